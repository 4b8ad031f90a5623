"""One small interface through which independent units of work are submitted.

A unit of work (one attack on one model, one shadow or victim model's training, one defense)
is a picklable top-level function applied to a picklable argument; it is keyed by content hash
and writes its artifact to the store, so it can run anywhere and a finished unit is never
repeated. Stages submit units through an :class:`Executor` and never care where they run:
:class:`SequentialExecutor` (the default) runs them in this process in order;
:class:`ProcessExecutor` runs them in a local process pool, each worker limited to its share
of the cores. A distributed engine only has to implement :meth:`Executor.map`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Protocol, TypeVar

from safedl.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs independent units of work; results come back in the order of ``items``.

    ``on_done(i)`` is called in this process as unit ``i`` finishes (progress reporting).
    """

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]: ...


class SequentialExecutor:
    """Run every unit in this process, one after the other."""

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_done is not None:
                on_done(i)
        return out


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


class ProcessExecutor:
    """Run units in a local pool of ``workers`` processes (spawned, so CUDA-safe).

    Each worker gets ``cores // workers`` torch threads (at least one), so parallel units do
    not oversubscribe the machine. ``fn`` and the items must be picklable (top-level
    functions, plain data).
    """

    def __init__(self, workers: int | None = None) -> None:
        cores = os.cpu_count() or 1
        self.workers = max(1, workers if workers is not None else cores)
        self.threads = max(1, cores // self.workers)

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_done: Callable[[int], None] | None = None,
    ) -> list[R]:
        if len(items) <= 1 or self.workers == 1:
            return SequentialExecutor().map(fn, items, on_done)
        ctx = multiprocessing.get_context("spawn")
        workers = min(self.workers, len(items))
        log.info("running %d units on %d worker processes", len(items), workers)
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(self.threads,)
        ) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            results: dict[int, R] = {}
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if on_done is not None:
                    on_done(i)
            return [results[i] for i in range(len(items))]


def get_executor(name: str = "sequential", workers: int | None = None) -> Executor:
    """The executor called ``name``: ``sequential`` or ``processes``."""
    if name == "sequential":
        return SequentialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    raise ConfigError(
        f"unknown executor {name!r}", hint="use 'sequential' (default) or 'processes'"
    )


__all__ = ["Executor", "ProcessExecutor", "SequentialExecutor", "get_executor"]
