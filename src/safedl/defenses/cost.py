"""Measured cost of a defense: latency per image beside the baseline's, training time, memory.

Every defense reports a :class:`~safedl.defenses.base.DefenseCost` built here, so all costs in
a report are measured the same way and never looked up in a table:

* **latency** — milliseconds per image of batched prediction (``ModelAdapter.predict``: eval
  mode, ``torch.inference_mode``, outputs copied back to the CPU, which also synchronises a
  GPU). The defended model and the baseline are timed in alternating rounds on the same probe
  images, after one warm-up pass each, and the median round counts, so machine noise hits both
  alike. ``latency_ratio`` > 1 means the defense slows inference down.
* **training time** — wall seconds the defense spent building its artifact in this run (time
  it with :class:`Stopwatch`); 0 with ``reused=True`` when the artifact came from the store,
  whose original time goes in ``train_seconds_original``.
* **clean accuracy** — :func:`accuracy_cost` scores the defended model and the baseline on
  the same test images (the accuracy a defense gives up is part of its price).
* **extra memory** — bytes of parameters and buffers of the defended module beyond the
  baseline's (an input transformation's tables, a detector's state), plus any state the
  defense keeps outside the module (``extra_state_bytes``), in MiB. Activation memory is not
  included.

Typical use inside ``Defense.apply``::

    with Stopwatch() as clock:
        ...  # train or fit
    cost = defense_cost(ctx, defended_adapter, train_seconds=clock.seconds)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import torch
from torch import nn

from safedl.defenses.base import DefenseContext, DefenseCost
from safedl.evaluation.metrics import rate_of
from safedl.models import ModelAdapter

MIB = 1024.0 * 1024.0


class Stopwatch:
    """Wall-clock timer for a block: ``with Stopwatch() as t: ...`` then ``t.seconds``."""

    def __init__(self) -> None:
        self._start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self._start


def module_bytes(module: nn.Module) -> int:
    """Bytes held by the parameters and buffers of ``module`` (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for t in list(module.parameters()) + list(module.buffers()):
        key = t.data_ptr()
        if key in seen:
            continue
        seen.add(key)
        total += t.numel() * t.element_size()
    return total


def measure_latency(
    models: Mapping[str, ModelAdapter],
    probe: torch.Tensor,
    *,
    batch_size: int = 256,
    repeats: int = 5,
    budget_seconds: float = 5.0,
) -> dict[str, float]:
    """Median milliseconds per image of batched prediction, for each model on ``probe``.

    Args:
        models: Models to time, by name; timed in alternating order every round.
        probe: ``[N, C, H, W]`` images in [0, 1] (N > 0).
        batch_size: Images per forward pass.
        repeats: Timed rounds (after one warm-up pass per model); the median counts.
        budget_seconds: When the warm-up shows that ``repeats`` rounds would take longer,
            the probe is cut (down to one batch) and then the rounds (down to 3) to fit; a
            slow, randomised model with many votes is timed on fewer images, never skipped.

    Returns:
        Milliseconds per image, by the names of ``models``.

    Raises:
        ValueError: ``probe`` is empty or ``repeats`` < 1.
    """
    if len(probe) == 0:
        raise ValueError("latency probe holds no images")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    names = list(models)
    warm = 0.0
    for name in names:  # warm-up: allocator, kernels, lazy initialisation
        start = time.perf_counter()
        models[name].predict(probe[:batch_size], batch_size=batch_size)
        warm += time.perf_counter() - start
    per_image = warm / min(len(probe), batch_size)  # all models, one image each
    fits = int(budget_seconds / max(per_image * repeats, 1e-12))
    probe = probe[: max(min(len(probe), fits), min(len(probe), batch_size))]
    fit = int(budget_seconds / max(per_image * len(probe), 1e-12))
    repeats = max(min(3, repeats), min(repeats, fit))
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            start = time.perf_counter()
            models[name].predict(probe, batch_size=batch_size)
            times[name].append(time.perf_counter() - start)
    return {name: 1000.0 * statistics.median(t) / len(probe) for name, t in times.items()}


def measure_cost(
    defended: ModelAdapter,
    baseline: ModelAdapter,
    probe: torch.Tensor,
    *,
    train_seconds: float,
    baseline_train_seconds: float | None = None,
    reused: bool = False,
    train_seconds_original: float | None = None,
    extra_state_bytes: int = 0,
    batch_size: int = 256,
    repeats: int = 5,
) -> DefenseCost:
    """Measure the cost of ``defended`` beside ``baseline`` (see the module docstring).

    Args:
        defended: The defended model, as it would be deployed.
        baseline: The undefended model, timed the same way on the same images.
        probe: Images used for timing.
        train_seconds: Seconds spent building the defense in this run (0 when reused).
        baseline_train_seconds: The baseline's training time, when known.
        reused: The defended artifact came from the store.
        train_seconds_original: When reused, the time it originally took to build.
        extra_state_bytes: State the defense keeps outside the module.
        batch_size: Images per forward pass while timing.
        repeats: Timed rounds per model.
    """
    latency = measure_latency(
        {"defended": defended, "baseline": baseline},
        probe,
        batch_size=batch_size,
        repeats=repeats,
    )
    extra = max(0, module_bytes(defended.module) - module_bytes(baseline.module))
    return DefenseCost(
        train_seconds=float(train_seconds),
        latency_ms=latency["defended"],
        baseline_latency_ms=latency["baseline"],
        baseline_train_seconds=baseline_train_seconds,
        extra_memory_mb=(extra + int(extra_state_bytes)) / MIB,
        reused=reused,
        train_seconds_original=train_seconds_original,
    )


def probe_images(ctx: DefenseContext, n: int = 256) -> torch.Tensor:
    """The first ``n`` test images of the context (validation, then training, if it has none)."""
    for split in (ctx.splits.test, ctx.splits.val, ctx.splits.train):
        if len(split) > 0:
            return split.x[:n]
    raise ValueError("the defense context holds no images to time the model on")


def defense_cost(
    ctx: DefenseContext,
    defended: ModelAdapter,
    *,
    train_seconds: float,
    reused: bool = False,
    train_seconds_original: float | None = None,
    extra_state_bytes: int = 0,
    probe_size: int = 256,
    repeats: int = 5,
) -> DefenseCost:
    """:func:`measure_cost` of ``defended`` against ``ctx.baseline`` on the context's images.

    Uses ``ctx.batch_size`` and, when the context knows it, the baseline's training time.
    """
    return measure_cost(
        defended,
        ctx.baseline,
        probe_images(ctx, probe_size),
        train_seconds=train_seconds,
        baseline_train_seconds=ctx.baseline_train_seconds,
        reused=reused,
        train_seconds_original=train_seconds_original,
        extra_state_bytes=extra_state_bytes,
        batch_size=ctx.batch_size,
        repeats=repeats,
    )


def accuracy_cost(ctx: DefenseContext, defended: ModelAdapter, n: int = 1000) -> dict[str, Any]:
    """Clean accuracy of ``defended`` and of the baseline on the first ``n`` test images.

    The accuracy a defense gives up is part of its price; both rates carry their 95% CIs.
    Randomised models are scored on one draw per image, as a deployed model answers.
    """
    test = ctx.splits.test
    x, y = test.x[:n], test.y[:n]
    ok = defended.predict(x, batch_size=ctx.batch_size) == y
    base_ok = ctx.baseline.predict(x, batch_size=ctx.batch_size) == y
    return {
        "clean_accuracy": rate_of(ok).to_dict(),
        "baseline_clean_accuracy": rate_of(base_ok).to_dict(),
    }


__all__ = [
    "Stopwatch",
    "accuracy_cost",
    "defense_cost",
    "measure_cost",
    "measure_latency",
    "module_bytes",
    "probe_images",
]
