"""The profile: every input of an assessment, typed, with unknown keys rejected.

A profile holds inputs only; stages never rewrite it. Outputs go to the run record.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

ReportFormat = Literal["md", "json", "html"]


class Strict(BaseModel):
    """Base of every profile section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ThreatModelConfig(Strict):
    """Inputs of the threat-modelling stage: a preset context and questionnaire answers.

    Answers override the preset's; without a preset, unanswered questions count as 'Don't
    know' (assumed conservatively, reported as gaps). Write one with ``safedl threat-model``.
    """

    preset: str | None = Field(
        None,
        description="Name of a threat-model preset to start from (safedl threat-model presets).",
    )
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="Questionnaire answers, keyed by question id: a value, or a list for "
        "multi-select questions; 'unknown' means Don't know.",
    )


class DatasetConfig(Strict):
    """Which data to assess on and how to split it."""

    name: str = Field(
        "digits",
        description=(
            "A registered dataset (digits, fashion_mnist, mnist, cifar10) or a spec: "
            "'npz:PATH', 'folder:PATH' or 'python:module:function'."
        ),
    )
    root: str | None = Field(
        None, description="Directory holding the dataset's files (file-based datasets)."
    )
    val_fraction: float = Field(
        0.1, ge=0.0, lt=0.5, description="Share of training data for validation."
    )
    test_fraction: float = Field(
        0.2, gt=0.0, lt=0.5, description="Test share for datasets without an official test split."
    )
    train_limit: int | None = Field(
        None, gt=0, description="Use at most this many training samples."
    )
    test_limit: int | None = Field(None, gt=0, description="Use at most this many test samples.")
    image_size: int | None = Field(
        None, gt=0, description="Resize images to this square size (folder datasets)."
    )
    grayscale: bool = Field(False, description="Convert images to one channel (folder datasets).")


class NormalizationConfig(Strict):
    """Per-channel normalisation applied inside the model adapter."""

    mean: list[float]
    std: list[float]

    @field_validator("std")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        if any(s <= 0 for s in v):
            raise ValueError("every std must be positive")
        return v


class ModelConfig(Strict):
    """Which model to assess."""

    name: str = Field(
        "small_cnn",
        description=(
            "A built-in architecture (small_cnn, mlp, resnet18) or the user's own factory as "
            "'path/to/file.py:factory' or 'package.module:factory'."
        ),
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the factory."
    )
    weights: str | None = Field(
        None,
        description="Trained weights (.safetensors, or a state dict .pt/.pth read with "
        "weights_only). When given, the baseline is not trained.",
    )
    normalization: NormalizationConfig | None = Field(
        None, description="Normalisation applied inside the adapter; inputs are always in [0, 1]."
    )


class TargetConfig(Strict):
    """A served model to assess through its endpoint only (a black-box assessment).

    The attacks query ``url`` (a Safe-DL server, or any endpoint speaking its JSON); white-box
    attacks, poisoning, the validity checks and defenses need the model itself and are left
    out. The profile's ``model`` and ``training`` are then what the attacker assumes about the
    served model (a thief's or shadow model's architecture and training).
    """

    url: str = Field(
        ...,
        pattern=r"^https?://",
        description="Base URL of the endpoint (it answers POST /v1/predict and GET /v1/model).",
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the API key (never the key itself).",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for one request.")
    max_wait: float = Field(
        120.0, ge=0, description="Seconds in all to wait out rate limits (429 + Retry-After)."
    )
    trained_on_dataset: bool = Field(
        False,
        description="The served model was trained on this profile's training split (as a "
        "Safe-DL run of the same dataset section and seed is): membership attacks run only "
        "then, since they need to know its members.",
    )


class TrainingConfig(Strict):
    """Settings of the one training loop used for every model Safe-DL trains."""

    epochs: int = Field(10, ge=1, le=1000)
    batch_size: int = Field(128, ge=1)
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = Field(1e-3, gt=0)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    scheduler: Literal["none", "cosine"] = "none"
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    early_stopping_patience: int | None = Field(
        None, ge=1, description="Stop after this many epochs without validation improvement."
    )


class PluginSpec(Strict):
    """One entry of an attack or defense plan."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class EvaluationConfig(Strict):
    """How attacks are evaluated."""

    samples: int = Field(1000, ge=1, description="Test examples used to evaluate each attack.")
    batch_size: int = Field(256, ge=1, description="Batch size for attacks and inference.")
    curves: bool = Field(True, description="Measure robustness curves (accuracy against ε).")
    curve_samples: int = Field(500, ge=1, description="Examples per robustness-curve point.")
    curve_attacks: list[PluginSpec] = Field(
        default_factory=list,
        description="Attacks whose robustness curves are measured (default: the plan's FGSM, "
        "PGD and APGD-CE attacks). Points beyond the attacker model are stress tests.",
    )
    validity_checks: bool = Field(True, description="Run the validity checks after the attacks.")
    check_samples: int = Field(200, ge=1, description="Examples used by the validity checks.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes for independent units of work (attacks); 1 runs them "
        "in this process, in order.",
    )


class OutputConfig(Strict):
    """Where and how results are written."""

    dir: str | None = Field(
        None, description="Run directory; default runs/<profile name>-<profile hash>."
    )
    formats: list[ReportFormat] = Field(
        default_factory=lambda: list[ReportFormat](["md", "json", "html"]),
        description="Report formats to write.",
    )


class Profile(Strict):
    """A complete assessment: what to assess and how."""

    version: Literal[1] = 1
    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)
    description: str = ""
    threat_model: ThreatModelConfig = Field(default_factory=ThreatModelConfig)
    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    attacks: list[PluginSpec] = Field(default_factory=list, description="The attack plan.")
    defenses: list[PluginSpec] | Literal["recommended"] = Field(
        default_factory=list,
        description="The defense plan, or 'recommended': the first registered defense that the "
        "risk stage recommends for the top risk, with its default parameters.",
    )
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    seed: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    target: TargetConfig | None = Field(
        None,
        description="Assess a served model through its endpoint instead of training or "
        "loading one (black-box attacks only).",
    )

    @field_validator("target")
    @classmethod
    def _target_excludes_weights(
        cls, target: TargetConfig | None, info: ValidationInfo
    ) -> TargetConfig | None:
        model = info.data.get("model")
        if target is not None and model is not None and model.weights:
            raise ValueError(
                "target and model.weights both name the model under test; keep one "
                "(target for a served model, model.weights for local weights)"
            )
        return target


__all__ = [
    "DatasetConfig",
    "EvaluationConfig",
    "ModelConfig",
    "NormalizationConfig",
    "OutputConfig",
    "PluginSpec",
    "Profile",
    "TargetConfig",
    "ThreatModelConfig",
    "TrainingConfig",
]
