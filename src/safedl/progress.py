"""Progress reporting without printing from the library.

The library announces long work through :func:`track`; by default nothing is shown. The CLI
installs a rich progress bar with :func:`set_progress_factory` (and removes it for ``--quiet``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Task(Protocol):
    """A unit of long work that can advance."""

    def advance(self, n: float = 1) -> None: ...


class _NullTask:
    def advance(self, n: float = 1) -> None:
        return None


ProgressFactory = Callable[[str, float | None], AbstractContextManager[Task]]


@contextmanager
def _null_factory(description: str, total: float | None) -> Iterator[Task]:
    yield _NullTask()


_factory: ProgressFactory = _null_factory


def set_progress_factory(factory: ProgressFactory | None) -> None:
    """Install a progress factory (``None`` restores the silent default)."""
    global _factory
    _factory = factory or _null_factory


def track(description: str, total: float | None = None) -> AbstractContextManager[Task]:
    """Context manager yielding a :class:`Task` whose ``advance`` moves a progress bar."""
    return _factory(description, total)
