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

import torch
from torch import nn

from safedl.defenses.base import DefenseContext, DefenseCost
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
) -> dict[str, float]:
    """Median milliseconds per image of batched prediction, for each model on ``probe``.

    Args:
        models: Models to time, by name; timed in alternating order every round.
        probe: ``[N, C, H, W]`` images in [0, 1] (N > 0).
        batch_size: Images per forward pass.
        repeats: Timed rounds (after one warm-up pass per model); the median counts.

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
    for name in names:  # warm-up: allocator, kernels, lazy initialisation
        models[name].predict(probe[:batch_size], batch_size=batch_size)
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


__all__ = [
    "Stopwatch",
    "defense_cost",
    "measure_cost",
    "measure_latency",
    "module_bytes",
    "probe_images",
]
