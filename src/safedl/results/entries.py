"""Per-attack result entries, one type per family, told apart by the ``family`` field.

Every entry says which model it was measured on (``model``: ``baseline`` or a defense's id,
and ``model_id``: the content hash of that model) and which unit of work produced it
(``unit``: the content key that a resumed run finds it by). ``scope`` says how the attack
relates to the threat model: inside it, a stress test beyond the attacker's budget or access,
outside it (no threat covers it), or that there was no threat model at all.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

Scope = Literal["in_threat_model", "stress_test", "outside_threat_model", "no_threat_model"]
#: ``not_applicable``: the model does not grant the access the attack needs (a score-based
#: attack against a model that answers labels only) — the threat it tests is removed, not tested.
Status = Literal["done", "unavailable", "failed", "not_applicable"]


class RateModel(BaseModel):
    """A proportion ``k / n`` with its 95% Wilson interval (see ``evaluation.metrics.Rate``)."""

    model_config = ConfigDict(extra="forbid")

    value: float = Field(ge=0, le=1)
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    k: int = Field(ge=0)
    n: int = Field(ge=0)


class EntryBase(BaseModel):
    """What every attack entry carries, whatever its family."""

    model_config = ConfigDict(extra="forbid")

    attack: str
    params: dict[str, Any] = Field(default_factory=dict)
    status: Status = "done"
    note: str | None = None
    unit: str | None = Field(None, description="Content key of the unit of work.")
    model: str = Field("baseline", description="The model under test: baseline or a defense.")
    model_id: str | None = Field(None, description="Content hash of the model under test.")
    access: str | None = None
    label: str = Field("", description="The attack as a person names it.")
    scope: Scope = "no_threat_model"
    scope_reason: str = ""
    threat_ids: list[str] = Field(default_factory=list)
    adaptive: bool = Field(False, description="An adaptive attack chosen for a defense.")
    adaptive_reason: str = Field("", description="Why the adaptive attack was chosen.")
    view: str | None = Field(
        None,
        description="The view of the model the examples were computed on (BPDA, EOT, "
        "the baseline for transfer); they are always scored on the model itself.",
    )
    seconds: float | None = None
    reused: bool = Field(False, description="Read from the store: the unit had finished before.")

    #: Metric fields a finished entry of this family must carry.
    required_when_done: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _done_has_metrics(self) -> EntryBase:
        if self.status == "done":
            missing = [f for f in self.required_when_done if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a finished {self.attack} entry lacks {', '.join(missing)}")
        return self


class EvasionEntry(EntryBase):
    """An evasion attack: clean and robust accuracy, success, norms, speed, bounds."""

    family: Literal["evasion"] = "evasion"
    required_when_done: ClassVar[tuple[str, ...]] = (
        "clean_accuracy",
        "robust_accuracy",
        "attack_success_rate",
    )
    n: int | None = None
    minimum_norm: bool = False
    clean_accuracy: RateModel | None = None
    robust_accuracy: RateModel | None = None
    attack_success_rate: RateModel | None = None
    norms: dict[str, dict[str, float]] = Field(default_factory=dict)
    max_violation: float = 0.0
    within_bounds: bool = True
    images_per_second: float | None = None
    per_class_robust_accuracy: dict[str, float] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)
    artifact: str | None = Field(
        None, description="Store key of the per-example outcome and kept examples."
    )


class PoisoningEntry(EntryBase):
    """A poisoning or backdoor attack: the victim trained on poisoned data against the model."""

    family: Literal["poisoning", "backdoor"] = "poisoning"
    required_when_done: ClassVar[tuple[str, ...]] = ("clean_accuracy", "attack_success_rate")
    n: int | None = None
    poison_count: int | None = None
    poison_fraction: float | None = None
    labels_changed: int | None = None
    clean_accuracy: RateModel | None = None
    baseline_accuracy: RateModel | None = None
    accuracy_drop: float | None = None
    attack_success_rate: RateModel | None = None
    baseline_attack_success_rate: RateModel | None = None
    robust_accuracy: RateModel | None = None
    per_class_accuracy: dict[str, dict[str, float]] = Field(default_factory=dict)
    norms: dict[str, dict[str, float]] = Field(default_factory=dict)
    max_violation: float = 0.0
    within_bounds: bool = True
    images_per_second: float | None = None
    poison_artifact: str | None = None
    poison_reused: bool | None = None
    victim_artifact: str | None = None
    victim: dict[str, Any] = Field(default_factory=dict)
    target_class_probability: dict[str, float] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    plots: dict[str, str] = Field(default_factory=dict)


class PrivacyEntry(EntryBase):
    """A membership-inference or model-inversion attack."""

    model_config = ConfigDict(extra="allow")

    family: Literal["privacy"] = "privacy"
    auc: float | None = None
    balanced_accuracy: RateModel | float | None = None
    tpr_at_fpr: dict[str, Any] = Field(default_factory=dict)
    members: int | None = None
    non_members: int | None = None
    queries: dict[str, Any] | int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    plots: dict[str, str] = Field(default_factory=dict)


class ExtractionEntry(EntryBase):
    """A model-extraction attack: how faithful and accurate the stolen copy is."""

    model_config = ConfigDict(extra="allow")

    family: Literal["extraction"] = "extraction"
    fidelity: RateModel | float | None = None
    accuracy: RateModel | float | None = None
    victim_accuracy: RateModel | float | None = None
    queries: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    plots: dict[str, str] = Field(default_factory=dict)


AttackEntry = Annotated[
    EvasionEntry | PoisoningEntry | PrivacyEntry | ExtractionEntry,
    Field(discriminator="family"),
]
_ADAPTER: TypeAdapter[AttackEntry] = TypeAdapter(AttackEntry)


def parse_entry(data: dict[str, Any]) -> AttackEntry:
    """Validate a serialised entry into its family's type."""
    return _ADAPTER.validate_python(data)


__all__ = [
    "AttackEntry",
    "EntryBase",
    "EvasionEntry",
    "ExtractionEntry",
    "PoisoningEntry",
    "PrivacyEntry",
    "RateModel",
    "Scope",
    "parse_entry",
]
