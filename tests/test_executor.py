"""The executor interface: same results, same order, whichever executor runs the units."""

from __future__ import annotations

import pytest

from safedl.errors import ConfigError
from safedl.executor import ProcessExecutor, SequentialExecutor, get_executor


def test_sequential_and_processes_agree() -> None:
    # Units must be importable in a spawned worker: a built-in stands in for a stage's unit.
    items = [-3, 1, -4, 1, -5]
    assert SequentialExecutor().map(abs, items) == [3, 1, 4, 1, 5]
    assert ProcessExecutor(2).map(abs, items) == [3, 1, 4, 1, 5]


def test_unknown_executor_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown executor"):
        get_executor("cluster")
    assert isinstance(get_executor(), SequentialExecutor)


def test_on_done_reports_every_unit() -> None:
    for executor in (SequentialExecutor(), ProcessExecutor(2)):
        seen: list[int] = []
        assert executor.map(abs, [-1, -2, -3], on_done=seen.append) == [1, 2, 3]
        assert sorted(seen) == [0, 1, 2]
