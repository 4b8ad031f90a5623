"""A model's identity: a content hash of its weights and of how it maps images to outputs.

Results name the model they were measured on by this hash, never by a file path: a retrained
file at the same path gets a new identity, so a resumed run cannot reuse stale results.
"""

from __future__ import annotations

import hashlib
import json

from safedl.models.adapter import ModelAdapter


def weights_fingerprint(adapter: ModelAdapter) -> str:
    """SHA-256 of the module's state dict (names, dtypes, shapes and bytes), in a stable order."""
    h = hashlib.sha256()
    for name, tensor in sorted(adapter.module.state_dict().items()):
        array = tensor.detach().cpu().contiguous().numpy()
        h.update(f"{name}:{array.dtype.str}:{tuple(array.shape)}\n".encode())
        h.update(array.tobytes())
    return h.hexdigest()


def model_fingerprint(adapter: ModelAdapter) -> str:
    """SHA-256 of the weights plus the spec around them (architecture, shapes, normalisation).

    Two adapters with the same fingerprint answer every input identically (up to device
    arithmetic), so a result measured on one holds for the other.
    """
    norm = adapter.normalization
    spec = {
        "module": f"{type(adapter.module).__module__}.{type(adapter.module).__qualname__}",
        "input_shape": list(adapter.input_shape),
        "num_classes": adapter.num_classes,
        "normalization": None if norm is None else norm.model_dump(mode="json"),
        "weights": weights_fingerprint(adapter),
    }
    blob = json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


__all__ = ["model_fingerprint", "weights_fingerprint"]
