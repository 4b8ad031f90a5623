"""Shadow (reference) models: trained like the target on known halves of the data.

The design follows LiRA's (Carlini et al. 2022): shadows come in pairs; each pair splits the
candidates (members and non-members of the target, membership unknown to the attacker) and
the population into two random halves, one per shadow. So every candidate is IN for exactly
half of the shadows, and so is every population example. Each shadow is a fresh model of the
target's architecture, re-initialised with its own seed, trained with the target's settings
through the one training loop (:func:`safedl.training.train`; see :func:`fit_or_load`) and
cached in the artifact store by content key: LiRA, RMIA and Shokri's attack share the same
shadows, and a re-run trains none. Trainings are independent units submitted to the target's
executor, so ``k`` shadows may train in parallel processes.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from safedl.attacks.privacy.target import PrivacyTarget
from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.executor import Executor, SequentialExecutor
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore, content_key
from safedl.training import train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShadowUnit:
    """One shadow training: everything a worker process needs (picklable)."""

    store_root: str
    new_model: Callable[[], ModelAdapter]
    train: TensorData
    val: TensorData | None
    training: TrainingConfig
    seed: int
    spec: dict[str, Any]


def reinitialise(module: nn.Module, seed: int) -> None:
    """Reset every layer that has ``reset_parameters`` from a generator seeded with ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in module.modules():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()


def fit_or_load(
    store: ArtifactStore,
    model: ModelAdapter,
    data: TensorData,
    val: TensorData | None,
    cfg: TrainingConfig,
    *,
    seed: int,
    spec: dict[str, Any],
    description: str,
) -> tuple[str, bool]:
    """:func:`safedl.training.train_or_load` without its per-epoch checkpoint; same key.

    A shadow trains in seconds, and writing a resumable checkpoint after every epoch doubled
    its training time (measured: 0.77 s against 1.45 s for 40 epochs of a small MLP), so a
    shadow trains through the one loop (:func:`safedl.training.train`) in one go and is stored
    when finished; a killed run loses at most the shadows in flight. The content key is the
    one :func:`~safedl.training.train_or_load` would give.

    Returns:
        ``(key, reused)``.
    """
    key = content_key(
        "model",
        {
            "spec": spec,
            "train": data.fingerprint(),
            "val": val.fingerprint() if val is not None else None,
            "training": cfg.model_dump(mode="json"),
            "seed": seed,
        },
    )
    if store.has(key):
        store.load_model(key, model.module)
        model.module.eval()
        return key, True
    result = train(model, data, val, cfg, seed=seed, description=description)
    store.save_model(key, model.module, {"spec": spec, "seed": seed, "training": result.to_dict()})
    return key, False


def train_shadow_unit(unit: ShadowUnit) -> tuple[str, bool]:
    """Train (or load) one shadow into the store; ``(key, reused)``. Top-level: picklable."""
    store = ArtifactStore(unit.store_root)
    model = unit.new_model()
    reinitialise(model.module, unit.seed)
    return fit_or_load(
        store,
        model,
        unit.train,
        unit.val,
        unit.training,
        seed=unit.seed,
        spec=unit.spec,
        description=f"shadow {unit.spec.get('index')}",
    )


@dataclass
class ShadowSet:
    """Trained shadows and which examples each one saw.

    Attributes:
        models: The shadow models (white-box: the attacker trained them).
        keep: ``[k, n_candidates]`` True where a shadow trained on a candidate.
        population_keep: ``[k, n_population]`` True where a shadow trained on a population
            example.
        keys: Store keys of the shadows.
        trained: How many were trained in this call (the rest came from the store).
        seconds: Wall time of training or loading them.
    """

    models: list[ModelAdapter]
    keep: Tensor
    population_keep: Tensor
    keys: list[str]
    trained: int
    seconds: float

    def summary(self) -> dict[str, Any]:
        """JSON summary for a result's ``extra``."""
        return {
            "shadows": len(self.models),
            "trained": self.trained,
            "reused": len(self.models) - self.trained,
            "seconds": self.seconds,
            "train_size": int(self.keep[0].sum() + self.population_keep[0].sum())
            if len(self.models)
            else 0,
        }


def shadow_design(
    n_candidates: int, n_population: int, k: int, population_take: int, seed: int
) -> tuple[Tensor, Tensor]:
    """Inclusion matrices of ``k`` shadows (``k`` even): complementary halves per pair.

    Returns:
        ``(keep [k, n_candidates], population_keep [k, n_population])`` booleans; every
        candidate is IN for exactly ``k / 2`` shadows (for an even ``n_candidates``).
    """
    if k < 2 or k % 2:
        raise ConfigError(f"the number of shadow models must be even and >= 2, got {k}")
    gen = torch.Generator().manual_seed(seed)
    keep = torch.zeros(k, n_candidates, dtype=torch.bool)
    pop = torch.zeros(k, n_population, dtype=torch.bool)
    half_c, half_p = n_candidates // 2, n_population // 2
    take = min(population_take, half_p)
    for j in range(0, k, 2):
        perm = torch.randperm(n_candidates, generator=gen)
        keep[j, perm[:half_c]] = True
        keep[j + 1, perm[half_c : 2 * half_c]] = True
        perm = torch.randperm(n_population, generator=gen)
        pop[j, perm[:take]] = True
        pop[j + 1, perm[half_p : half_p + take]] = True
    return keep, pop


def _executor_for(target: PrivacyTarget) -> Executor:
    if isinstance(target.executor, SequentialExecutor):
        return target.executor
    try:
        pickle.dumps(target.new_model)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        log.warning(
            "shadow models train sequentially: the model builder cannot be sent to worker "
            "processes (%s); pass a safedl.models.FreshModel to train them in parallel",
            exc,
        )
        return SequentialExecutor()
    return target.executor


#: Shadow sizes already warned about in this process (see :func:`train_shadows`).
_WARNED: set[tuple[int, int | None, int]] = set()


def train_shadows(target: PrivacyTarget, k: int, *, role: str = "shadow") -> ShadowSet:
    """Train (or load) ``k`` shadows of ``target`` on complementary halves of the data."""
    start = time.perf_counter()
    candidates = target.candidates
    n_pop = len(target.population)
    half_c = len(candidates) // 2
    wanted = (target.train_size - half_c) if target.train_size is not None else n_pop // 2
    if wanted > n_pop // 2:
        sizes = (half_c + n_pop // 2, target.train_size, n_pop)
        # once per process and sizes: LiRA, RMIA and the shadow-model attack share the shadows
        level = logging.INFO if sizes in _WARNED else logging.WARNING
        _WARNED.add(sizes)
        log.log(
            level,
            "shadows see %d examples instead of the target's %s: the population holds only %d",
            *sizes,
        )
    keep, pop_keep = shadow_design(len(candidates), n_pop, k, max(wanted, 0), target.seed)
    design = content_key(
        "design",
        {
            "k": k,
            "seed": target.seed,
            "candidates": candidates.fingerprint(),
            "population": target.population.fingerprint(),
            "take": int(pop_keep[0].sum()),
        },
    )
    units = []
    for i in range(k):
        cand_idx = torch.nonzero(keep[i]).flatten()
        pop_idx = torch.nonzero(pop_keep[i]).flatten()
        x = torch.cat([candidates.x[cand_idx], target.population.x[pop_idx]])
        y = torch.cat([candidates.y[cand_idx], target.population.y[pop_idx]])
        seed = target.seed * 1_000 + 17 + i
        spec = {"role": role, "model": target.model_spec, "index": i, "design": design}
        units.append(
            ShadowUnit(
                str(target.store.root),
                target.new_model,
                TensorData(x, y),
                target.val,
                target.training,
                seed,
                spec,
            )
        )
    log.info("training or loading %d %s models", k, role)
    outcomes = _executor_for(target).map(train_shadow_unit, units)
    models = []
    for key, _ in outcomes:
        model = target.new_model()
        target.store.load_model(key, model.module)
        model.module.eval()
        models.append(model)
    return ShadowSet(
        models=models,
        keep=keep,
        population_keep=pop_keep,
        keys=[key for key, _ in outcomes],
        trained=sum(not reused for _, reused in outcomes),
        seconds=time.perf_counter() - start,
    )


__all__ = [
    "ShadowSet",
    "ShadowUnit",
    "fit_or_load",
    "reinitialise",
    "shadow_design",
    "train_shadow_unit",
    "train_shadows",
]
