"""The executor interface: same results, same order, whichever executor runs the units."""

from __future__ import annotations

import pytest

from safedl.errors import ConfigError
from safedl.executor import ProcessExecutor, SequentialExecutor, get_executor


def _square(x: int) -> int:
    return x * x


def test_sequential_and_processes_agree() -> None:
    items = list(range(5))
    assert SequentialExecutor().map(_square, items) == [0, 1, 4, 9, 16]
    assert ProcessExecutor(2).map(_square, items) == [0, 1, 4, 9, 16]


def test_unknown_executor_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown executor"):
        get_executor("cluster")
    assert isinstance(get_executor(), SequentialExecutor)
