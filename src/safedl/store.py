"""The artifact store: trained models and arrays addressed by a content hash of what made them.

A key is ``<kind>-<sha256 of the canonical JSON spec>[:20]``. The same inputs give the same
key, so a re-run, a resumed run or a later stage finds the artifact instead of recomputing it.
Tensors are stored as safetensors; a JSON sidecar holds the spec and metadata.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from safedl.atomic import atomic_write_bytes, atomic_write_json


def content_key(kind: str, spec: dict[str, Any]) -> str:
    """Stable key of an artifact from the JSON-serialisable ``spec`` that produced it."""
    blob = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str).encode()
    return f"{kind}-{hashlib.sha256(blob).hexdigest()[:20]}"


class ArtifactStore:
    """A folder of content-addressed artifacts inside a run directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str, suffix: str = ".safetensors") -> Path:
        return self.root / f"{key}{suffix}"

    def has(self, key: str) -> bool:
        """True when the artifact and its sidecar are both complete on disk."""
        return self.path(key).exists() and self.path(key, ".json").exists()

    def meta(self, key: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path(key, ".json").read_text(encoding="utf-8"))
        return data

    def save_tensors(
        self, key: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
    ) -> Path:
        """Write tensors then the sidecar; the sidecar's presence marks the artifact complete."""
        target = self.path(key)
        tmp = target.with_name(f".{target.name}.tmp")
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
        tmp.replace(target)
        atomic_write_json(self.path(key, ".json"), meta)
        return target

    def load_tensors(self, key: str, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
        return load_file(str(self.path(key)), device=str(device))

    def save_model(self, key: str, module: nn.Module, meta: dict[str, Any]) -> Path:
        return self.save_tensors(key, dict(module.state_dict()), meta)

    def load_model(self, key: str, module: nn.Module) -> dict[str, Any]:
        """Load stored weights into ``module`` and return the artifact's metadata."""
        module.load_state_dict(self.load_tensors(key))
        return self.meta(key)

    def scratch(self, key: str, suffix: str) -> Path:
        """Path for work in progress of an artifact (e.g. a training checkpoint)."""
        return self.root / f"{key}{suffix}"

    def write_bytes(self, name: str, data: bytes) -> Path:
        target = self.root / name
        atomic_write_bytes(target, data)
        return target
