"""Console output of the CLI: rich consoles, logging, progress bars and error reporting."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from safedl.progress import Task, set_progress_factory

out = Console()
err = Console(stderr=True)


def configure(*, quiet: bool, verbose: bool) -> None:
    """Set log level and install (or not) progress bars on stderr."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger("safedl")
    root.handlers.clear()
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    set_progress_factory(None if quiet or not err.is_terminal else _rich_progress)


class _RichTask:
    def __init__(self, progress: Progress, task_id: object) -> None:
        self.progress = progress
        self.task_id = task_id

    def advance(self, n: float = 1) -> None:
        self.progress.advance(self.task_id, n)  # type: ignore[arg-type]


@contextmanager
def _rich_progress(description: str, total: float | None) -> Iterator[Task]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        yield _RichTask(progress, progress.add_task(description, total=total))


def error(message: str) -> None:
    """Print a user error: one message, no traceback."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)


def pct(rate: Any) -> str:
    """A rate with its 95% interval, ``62.1% [57.0, 67.0]``: a dict or an object with
    ``value``, ``low`` and ``high``; a dash for none."""
    if not rate:
        return "—"
    v, lo, hi = (
        (rate["value"], rate["low"], rate["high"])
        if isinstance(rate, dict)
        else (rate.value, rate.low, rate.high)
    )
    return f"{100 * v:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
