"""Run one attack outside a profile: the model and data named by specs, trained once if needed.

Used by ``safedl attack`` and :func:`safedl.run_attack_spec`. Without ``weights`` the model is
trained on the dataset's training split with the profile defaults and stored in a cache
directory keyed by content hash, so the next call reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from safedl.attacks.evasion.base import EvasionAttack, EvasionResult
from safedl.attacks.poisoning.evaluate import PoisoningResult
from safedl.config.profile import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import ConfigError
from safedl.models import ModelAdapter, build_model, resolve_device
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore
from safedl.training import train_or_load

#: Families whose attacks poison the training data (run by :func:`run_poisoning_attack`).
POISONING_FAMILIES = ("poisoning", "backdoor")


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
class Standalone:
    """A model and the examples to attack, ready for :meth:`EvasionAttack.run`.

    The last fields let poisoning attacks train a victim the way the model was trained.
    """

    model: ModelAdapter
    data: TensorData
    splits: DataSplits
    trained: dict[str, Any] | None
    model_config: ModelConfig | None = None
    training: TrainingConfig | None = None
    cache: Path | None = None


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
    torch.manual_seed(seed)
    module = build_model(mcfg, splits.input_shape, splits.num_classes)
    model = ModelAdapter(
        module,
        input_shape=splits.input_shape,
        num_classes=splits.num_classes,
        device=resolve_device(device),
    )
    trained = None
    tcfg = TrainingConfig(epochs=epochs, early_stopping_patience=3)
    if weights is None:
        store = ArtifactStore(Path(cache))
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
        }
    model.module.eval()
    test = splits.test
    if limit is not None and limit < len(test):
        gen = torch.Generator().manual_seed(seed)
        test = test.subset(torch.randperm(len(test), generator=gen)[:limit].sort().values)
    return Standalone(model, test, splits, trained, mcfg, tcfg, Path(cache))


def run_named_attack(
    name: str,
    params: dict[str, Any],
    target: Standalone,
    *,
    seed: int = 0,
    batch_size: int = 256,
) -> EvasionResult:
    """Validate ``params`` against the attack's Config and run it on ``target``."""
    attack = ATTACKS.create(name, params, seed=seed)
    if not isinstance(attack, EvasionAttack):
        raise ConfigError(
            f"attack {name!r} ({ATTACKS.get(name).family}) does not run on a trained model "
            "alone; run it through a profile"
        )
    return attack.run(target.model, target.data, batch_size=batch_size)


def run_poisoning_attack(
    name: str,
    params: dict[str, Any],
    target: Standalone,
    *,
    seed: int = 0,
    batch_size: int = 256,
) -> PoisoningResult:
    """Poison the training split, train a victim like ``target.model`` and compare the two.

    The poisoned set and the victim are kept in the same cache as the trained model, keyed by
    content hash, so a second call reuses both. The victim is trained from scratch with the
    same settings and seed as the model (``--epochs``); clean accuracy, success rate and the
    baseline's accuracy are measured on ``target.data``.
    """
    from safedl.attacks.poisoning import PoisoningAttack, evaluate_poisoning
    from safedl.attacks.poisoning.pipeline import victim_factory

    attack = ATTACKS.create(name, params, seed=seed)
    if not isinstance(attack, PoisoningAttack):
        raise ConfigError(f"attack {name!r} ({ATTACKS.get(name).family}) is not a poisoning attack")
    if target.model_config is None or target.training is None or target.cache is None:
        raise ConfigError(
            "poisoning needs the model spec, training settings and cache of prepare()"
        )
    splits, model = target.splits, target.model
    factory = victim_factory(
        target.model_config,
        splits.input_shape,
        splits.num_classes,
        seed=seed,
        device=model.device,
        normalization=model.normalization,
    )
    return evaluate_poisoning(
        attack,
        train=splits.train,
        val=splits.val,
        test=target.data,
        baseline=model,
        victim_factory=factory,
        training=target.training,
        store=ArtifactStore(target.cache),
        seed=seed,
        model_spec=target.model_config.model_dump(mode="json", exclude={"weights"}),
        classes=splits.classes,
        batch_size=batch_size,
    )


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
) -> tuple[Standalone, EvasionResult | PoisoningResult]:
    """Validate, prepare the model and data (see :func:`prepare`) and run attack ``name``.

    Bad names and parameters fail before any data is loaded. Poisoning and backdoor attacks go
    to :func:`run_poisoning_attack`, the others to :func:`run_named_attack`.
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
    if ATTACKS.get(name).family in POISONING_FAMILIES:
        return target, run_poisoning_attack(name, params, target, seed=seed, batch_size=batch_size)
    return target, run_named_attack(name, params, target, seed=seed, batch_size=batch_size)
