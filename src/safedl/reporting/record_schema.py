"""The published JSON Schema of ``record.json`` (``safedl report schema``).

The record's top level and each stage entry are typed; a stage's ``result`` is an object whose
shape belongs to that stage and is documented with it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ProfileRef(BaseModel):
    """Which profile produced the run."""

    name: str
    hash: str = Field(..., description="sha256 of the profile's result-determining content")
    description: str = ""


class StageEntry(BaseModel):
    """One stage's part of the record."""

    model_config = ConfigDict(extra="allow")

    status: Literal["pending", "running", "done", "skipped", "failed"]
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    note: str | None = Field(None, description="Why a stage was skipped.")
    result: dict[str, Any] = Field(default_factory=dict)


class RunRecord(BaseModel):
    """``record.json``: every output of one run, versioned."""

    model_config = ConfigDict(extra="allow")

    record_version: str = Field(..., pattern=r"^1\.\d+$")
    created: str
    updated: str
    safedl_version: str
    profile: ProfileRef
    seed: int
    device: str | None = None
    resumed: int = 0
    environment: dict[str, Any]
    stages: dict[str, StageEntry]


def record_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a run record."""
    schema = RunRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://safe-dl.dev/schemas/record-1.json"
    return schema
