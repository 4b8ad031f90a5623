"""The run record (``record.json``): every output of a run, versioned, written atomically.

Reports render from the record alone. Stages write only their own entry under ``stages``.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from safedl.atomic import atomic_write_json
from safedl.errors import RunError

RECORD_VERSION = "1.0"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment(device: torch.device) -> dict[str, Any]:
    """Versions and hardware, for the reproducibility appendix."""
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": __import__("os").cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "cuda": torch.version.cuda if torch.cuda.is_available() else None,
        "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        "packages": {
            name: _version(name)
            for name in ("safedl", "torch", "numpy", "pydantic", "scikit-learn", "safetensors")
        },
    }
    return env


class Record:
    """A JSON document on disk with one entry per stage."""

    def __init__(self, path: str | Path, data: dict[str, Any]) -> None:
        self.path = Path(path)
        self.data = data

    @classmethod
    def new(cls, path: str | Path, **fields: Any) -> Record:
        data = {"record_version": RECORD_VERSION, "created": now(), "updated": now(), **fields}
        data.setdefault("stages", {})
        return cls(path, data)

    @classmethod
    def load(cls, path: str | Path) -> Record:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RunError(
                f"{p}: cannot read the run record ({exc})",
                hint="remove the run directory or choose another --out",
            ) from None
        if not isinstance(data, dict) or "record_version" not in data:
            raise RunError(f"{p}: not a Safe-DL run record (no record_version)")
        major = str(data["record_version"]).split(".")[0]
        if major != RECORD_VERSION.split(".")[0]:
            raise RunError(
                f"{p}: record version {data['record_version']} is not supported "
                f"(this Safe-DL writes {RECORD_VERSION})",
                hint="re-run into a new --out directory",
            )
        return cls(p, data)

    def save(self) -> None:
        self.data["updated"] = now()
        atomic_write_json(self.path, self.data)

    @property
    def stages(self) -> dict[str, dict[str, Any]]:
        stages: dict[str, dict[str, Any]] = self.data.setdefault("stages", {})
        return stages

    def stage(self, name: str) -> dict[str, Any]:
        """The entry of stage ``name`` (created empty if absent)."""
        return self.stages.setdefault(name, {"status": "pending"})

    def is_done(self, name: str) -> bool:
        return self.stages.get(name, {}).get("status") in ("done", "skipped")

    def result(self, name: str) -> dict[str, Any]:
        """The result of a stage, or an empty dict."""
        res: dict[str, Any] = self.stages.get(name, {}).get("result") or {}
        return res
