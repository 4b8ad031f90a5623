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
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from safedl.atomic import atomic_write_bytes, atomic_write_json, umask
from safedl.errors import RunError


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

    def _corrupt(self, path: Path, exc: Exception) -> RunError:
        return RunError(
            f"{path}: the artifact is corrupt or truncated ({type(exc).__name__}: {exc})",
            hint=f"delete {path.name} (and its .json sidecar) to recompute it",
        )

    def _read_json(self, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._corrupt(path, exc) from None
        if not isinstance(data, dict):
            raise self._corrupt(path, ValueError("not a JSON object"))
        return data

    def meta(self, key: str) -> dict[str, Any]:
        return self._read_json(self.path(key, ".json"))

    def put_json(self, key: str, data: dict[str, Any]) -> Path:
        """Store a JSON-only artifact (e.g. a finished unit's result) under ``key``."""
        target = self.path(key, ".result.json")
        atomic_write_json(target, data)
        return target

    def get_json(self, key: str) -> dict[str, Any] | None:
        """The JSON-only artifact stored under ``key``, or None when there is none."""
        path = self.path(key, ".result.json")
        return self._read_json(path) if path.exists() else None

    def save_tensors(
        self, key: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
    ) -> Path:
        """Write tensors then the sidecar; the sidecar's presence marks the artifact complete."""
        target = self.path(key)
        tmp = target.with_name(f".{target.name}.tmp")
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
        tmp.chmod(0o666 & ~umask())
        tmp.replace(target)
        atomic_write_json(self.path(key, ".json"), meta)
        return target

    def load_tensors(self, key: str, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
        path = self.path(key)
        try:
            return load_file(str(path), device=str(device))
        except (SafetensorError, OSError, ValueError) as exc:
            raise self._corrupt(path, exc) from None

    def save_model(self, key: str, module: nn.Module, meta: dict[str, Any]) -> Path:
        return self.save_tensors(key, dict(module.state_dict()), meta)

    def load_model(self, key: str, module: nn.Module) -> dict[str, Any]:
        """Load stored weights into ``module`` and return the artifact's metadata."""
        try:
            module.load_state_dict(self.load_tensors(key))
        except RuntimeError as exc:  # shapes or names do not match the module
            raise self._corrupt(self.path(key), exc) from None
        return self.meta(key)

    def scratch(self, key: str, suffix: str) -> Path:
        """Path for work in progress of an artifact (e.g. a training checkpoint)."""
        return self.root / f"{key}{suffix}"

    def write_bytes(self, name: str, data: bytes) -> Path:
        target = self.root / name
        atomic_write_bytes(target, data)
        return target
