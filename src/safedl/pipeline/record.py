"""The run record (``record.json``): every output of a run, versioned, validated, atomic.

Reports render from the record alone. Stages write only their own entry under ``stages``.
The record is checked against its typed models (:mod:`safedl.pipeline.results`) on every
write and on load, so a record that is truncated, hand-edited into nonsense or written by an
incompatible version gets one clear message instead of a wrong report. The resume journal
(finished units of work) lives in the artifact store, not here: the record holds outputs only.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safedl.atomic import atomic_write_json
from safedl.errors import RunError
from safedl.pipeline.results import STAGE_RESULTS

RECORD_VERSION = "2.0"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None."""
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
            name: package_version(name)
            for name in ("safedl", "torch", "numpy", "pydantic", "scikit-learn", "safetensors")
        },
    }
    return env


class ProfileRef(BaseModel):
    """Which profile produced the run."""

    name: str
    hash: str = Field(..., description="sha256 of the profile's result-determining content")
    description: str = ""


class StageEntry(BaseModel):
    """One stage's part of the record; ``result`` is typed per stage (STAGE_RESULTS)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "running", "done", "skipped", "failed"]
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    note: str | None = Field(None, description="Why a stage was skipped.")
    result: dict[str, Any] = Field(default_factory=dict)


class RunRecord(BaseModel):
    """``record.json``: every output of one run, versioned."""

    model_config = ConfigDict(extra="forbid")

    record_version: str = Field(..., pattern=r"^2\.\d+$")
    created: str
    updated: str
    safedl_version: str
    profile: ProfileRef
    seed: int
    device: str | None = None
    resumed: int = 0
    environment: dict[str, Any]
    stages: dict[str, StageEntry]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


def validate_record(data: dict[str, Any]) -> None:
    """Check a record against its typed models; ValueError naming the first bad field."""
    try:
        record = RunRecord.model_validate(data)
        for name, entry in record.stages.items():
            model = STAGE_RESULTS.get(name)
            if model is not None and entry.status == "done":
                try:
                    model.model_validate(entry.result)
                except ValidationError as exc:
                    raise ValueError(f"stages.{name}.result.{_first_error(exc)}") from None
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None


def record_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a run record, with each stage's typed result."""
    schema = RunRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://safe-dl.dev/schemas/record-2.json"
    schema["stage_results"] = {
        name: model.model_json_schema() for name, model in STAGE_RESULTS.items()
    }
    return schema


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
                f"{p}: record version {data['record_version']} was written by an older Safe-DL "
                f"and is not supported (this Safe-DL writes {RECORD_VERSION})",
                hint="re-run the profile into a new --out directory (the old run's report "
                "stays readable as it is)",
            )
        try:
            validate_record(data)
        except ValueError as exc:
            raise RunError(
                f"{p}: the run record is invalid: {exc}",
                hint="remove the run directory (or choose another --out) to run again",
            ) from None
        return cls(p, data)

    def save(self) -> None:
        """Validate, then write atomically (an invalid record is a bug: it raises)."""
        self.data["updated"] = now()
        validate_record(self.data)
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
