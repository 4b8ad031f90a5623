"""The stage contract: read the profile and the record, return this stage's part of the record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from safedl.pipeline.context import RunContext


@dataclass
class StageOutcome:
    """What a stage produced: ``done`` with a result, or ``skipped`` with a note saying why."""

    status: Literal["done", "skipped"]
    result: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


class Stage(ABC):
    """One step of the pipeline. A ``done`` stage is not run again when a run resumes."""

    name: str
    #: Cheap stages that depend on everything before them (the report) run on every resume.
    always_run: ClassVar[bool] = False

    @abstractmethod
    def run(self, ctx: RunContext) -> StageOutcome:
        """Do the stage's work; save intermediate units through ``ctx.record`` to resume."""


class NotBuiltStage(Stage):
    """A stage of the design that this version does not implement yet: skipped with a note."""

    always_run = True

    def __init__(self, name: str, note: str) -> None:
        self.name = name
        self.note = note

    def run(self, ctx: RunContext) -> StageOutcome:
        return StageOutcome("skipped", note=self.note)
