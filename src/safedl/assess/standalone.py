"""Assess one attack outside a profile: the model and data named by specs, trained once.

Used by ``safedl attack`` and :func:`safedl.run_attack_spec`. Without ``weights`` the model is
trained on the dataset's training split with the profile defaults and stored in a cache
directory keyed by content hash, so the next call reuses it (and a finished attack unit too).
The attack runs through :func:`~safedl.assess.assess_model` like every other attack, and the
validity checks that apply run after it (:func:`assess_one`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from safedl.assess.service import assess_model
from safedl.assess.target import ModelUnderTest, TrainingRecipe
from safedl.assess.units import AssessSettings
from safedl.assess.validity import CheckLevel, check_bounds, run_checks
from safedl.config.profile import DatasetConfig, ModelConfig, PluginSpec, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import ConfigError
from safedl.models import FreshModel, ModelAdapter, build_model, resolve_device
from safedl.registry import ATTACKS
from safedl.results import AttackEntry, EvasionEntry, Finding, unreliable_because
from safedl.store import ArtifactStore
from safedl.training import train_or_load

#: Examples the validity checks use after a standalone attack.
CHECK_SAMPLES = 200


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["eps=0.1", "norm=l2"]`` → ``{"eps": 0.1, "norm": "l2"}`` (values read as YAML)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r}: expected key=value, e.g. --param eps=0.1")
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"--param {pair!r}: cannot read the value {value!r}") from None
    return params


@dataclass
class AttackReport:
    """One attack assessed alone: its entry, the validity findings, and whether to trust it.

    Attributes:
        entry: The typed result (evasion, poisoning, ...), tagged with the model it ran on.
        validity: The checks that ran on the model and the result.
        examples: Adversarial examples (evasion; the ones the store kept), else None.
        trained: How the model was trained here (None for given weights or a given model).
    """

    entry: AttackEntry
    validity: list[Finding] = field(default_factory=list)
    examples: torch.Tensor | None = None
    trained: dict[str, Any] | None = None

    @property
    def unreliable_because(self) -> list[str]:
        """Ids of the failed checks that concern this result."""
        e = self.entry
        return unreliable_because(e.unit, e.family, e.model, self.validity)

    @property
    def reliable(self) -> bool:
        return not self.unreliable_because

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.entry.model_dump(mode="json"),
            "validity": [f.model_dump(mode="json") for f in self.validity],
            "reliable": self.reliable,
            "unreliable_because": self.unreliable_because,
        }


@dataclass
class Standalone:
    """A model under test and the examples to attack.

    Attributes:
        target: The model (with its training recipe, so poisoning attacks can train a victim).
        data: The test examples attacks are evaluated on (at most ``limit``).
        splits: The dataset's splits.
        trained: How the model was trained here (None for given weights).
        store: The cache that holds the trained model and finished units.
    """

    target: ModelUnderTest
    data: TensorData
    splits: DataSplits
    trained: dict[str, Any] | None
    store: ArtifactStore

    @property
    def model(self) -> ModelAdapter:
        return self.target.white_box()


def prepare(
    model_spec: str,
    data_spec: str,
    *,
    weights: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    epochs: int = 10,
    cache: str | Path = "runs/attack-cache",
) -> Standalone:
    """Load data and model (training it once into ``cache`` when no weights are given)."""
    splits = load_dataset(DatasetConfig(name=data_spec), seed=seed)
    mcfg = ModelConfig(name=model_spec, weights=weights)
    dev = resolve_device(device)
    fresh = FreshModel(mcfg, splits.input_shape, splits.num_classes, seed=seed, device=dev)
    store = ArtifactStore(Path(cache))
    tcfg = TrainingConfig(epochs=epochs, early_stopping_patience=3)
    trained = None
    if weights is None:
        model = fresh()
        spec = {"model": mcfg.model_dump(mode="json", exclude={"weights"}), "role": "standalone"}
        key, meta, reused = train_or_load(
            store,
            model,
            splits.train,
            splits.val,
            tcfg,
            seed=seed,
            spec=spec,
            description="training model",
        )
        trained = {
            "artifact": key,
            "reused": reused,
            "cache": str(cache),
            "epochs_run": meta["training"]["epochs_run"],
            "seconds": meta["training"]["seconds"],
        }
    else:
        module = build_model(mcfg, splits.input_shape, splits.num_classes)
        model = ModelAdapter(
            module, input_shape=splits.input_shape, num_classes=splits.num_classes, device=dev
        )
    model.module.eval()
    test = splits.test
    if limit is not None and limit < len(test):
        gen = torch.Generator().manual_seed(seed)
        test = test.subset(torch.randperm(len(test), generator=gen)[:limit].sort().values)
    recipe = TrainingRecipe(
        new_model=fresh,
        training=tcfg,
        train=splits.train,
        val=splits.val,
        test=test,
        model_spec=mcfg.model_dump(mode="json", exclude={"weights"}),
        classes=splits.classes,
        from_weights=weights is not None,
    )
    target = ModelUnderTest.local(model, name="model", recipe=recipe)
    return Standalone(target, test, splits, trained, store)


def assess_one(
    target: ModelUnderTest,
    data: TensorData,
    spec: PluginSpec,
    settings: AssessSettings,
    *,
    checks: CheckLevel | None = "basic",
) -> AttackReport:
    """Assess one attack on ``target`` and run the validity checks that apply.

    ``checks``: ``basic`` (zero gradients, determinism, bounds), ``full`` (also a very large
    ε and more steps and restarts) or None. Model-level checks need white-box access and
    concern evasion results only; the bounds check concerns every family.
    """
    (entry,) = assess_model(target, data, [spec], settings)
    validity: list[Finding] = []
    if checks is not None and entry.status == "done":
        subset = data.subset(torch.arange(min(CHECK_SAMPLES, len(data))))
        if isinstance(entry, EvasionEntry) and target.adapter is not None:
            validity = run_checks(
                target.adapter,
                subset,
                [entry],
                seed=settings.seed,
                batch_size=settings.batch_size,
                level=checks,
                name=target.name,
            )
        else:
            validity = [check_bounds([entry], name=target.name)]
    examples = None
    if isinstance(entry, EvasionEntry) and entry.artifact:
        examples = settings.store.load_tensors(entry.artifact)["x_adv"]
    return AttackReport(entry, validity, examples)


def run_spec(
    name: str,
    params: dict[str, Any],
    *,
    model: str = "small_cnn",
    data: str = "digits",
    weights: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    epochs: int = 10,
    batch_size: int = 256,
    cache: str | Path = "runs/attack-cache",
    checks: CheckLevel | None = "basic",
) -> tuple[Standalone, AttackReport]:
    """Validate, prepare the model and data (see :func:`prepare`) and assess attack ``name``.

    Bad names and parameters fail before any data is loaded.
    """
    ATTACKS.make_config(name, params)
    target = prepare(
        model,
        data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        cache=cache,
    )
    settings = AssessSettings(
        target.store, seed=seed, batch_size=batch_size, keep_examples=len(target.data)
    )
    report = assess_one(
        target.target, target.data, PluginSpec(name=name, params=params), settings, checks=checks
    )
    report.trained = target.trained
    return target, report


def assess_adapter(
    name: str,
    model: ModelAdapter,
    data: TensorData,
    params: dict[str, Any],
    *,
    seed: int = 0,
    batch_size: int = 256,
    checks: CheckLevel | None = "basic",
) -> AttackReport:
    """Assess one evasion attack on an in-memory model (a temporary store holds the unit)."""
    if ATTACKS.get(name).family != "evasion":
        raise ConfigError(
            f"attack {name!r} is not an evasion attack; run it with safedl.run_attack_spec "
            "(which trains the victim) or through a profile"
        )
    target = ModelUnderTest.local(model, name="model", batch_size=batch_size)
    with tempfile.TemporaryDirectory(prefix="safedl-attack-") as tmp:
        settings = AssessSettings(
            ArtifactStore(tmp), seed=seed, batch_size=batch_size, keep_examples=len(data)
        )
        return assess_one(
            target, data, PluginSpec(name=name, params=params), settings, checks=checks
        )


__all__ = [
    "AttackReport",
    "Standalone",
    "assess_adapter",
    "assess_one",
    "parse_params",
    "prepare",
    "run_spec",
]
