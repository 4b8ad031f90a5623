"""Validity findings: their own entries, referencing the results they concern.

A finding never edits the results it concerns; whether a result is reliable is derived from
the findings (:func:`unreliable_because`), so the record holds each fact once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FindingStatus = Literal["pass", "fail", "not_applicable"]


class Finding(BaseModel):
    """The outcome of one validity check on one model."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    status: FindingStatus
    finding: str
    hint: str = ""
    model: str = Field("baseline", description="The model the check ran on.")
    concerns: list[str] = Field(
        default_factory=list,
        description="Units (content keys) of the results the finding concerns; empty for a "
        "model-level finding, which concerns every evasion result on that model.",
    )
    model_level: bool = Field(
        False, description="A property of the model (gradients, determinism, large ε)."
    )


def unreliable_because(
    unit: str | None, family: str, model: str, findings: Iterable[Finding]
) -> list[str]:
    """Ids of the failed findings that concern the result ``unit`` (of ``family``, on ``model``).

    A failed finding naming units concerns those; a failed model-level finding concerns every
    evasion result measured on the same model.
    """
    out = []
    for f in findings:
        if f.status != "fail":
            continue
        if (unit is not None and unit in f.concerns) or (
            f.model_level and family == "evasion" and f.model == model
        ):
            out.append(f.id)
    return out


__all__ = ["Finding", "FindingStatus", "unreliable_because"]
