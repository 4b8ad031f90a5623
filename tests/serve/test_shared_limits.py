"""Rate limits and quotas shared by the workers of one server (SQLite, one transaction each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from safedl.serve.limits import ClientLimits, SharedLimits


def test_two_handles_on_one_file_share_the_bucket_and_the_quota(tmp_path: Path) -> None:
    a, b = SharedLimits(tmp_path / "l.sqlite"), SharedLimits(tmp_path / "l.sqlite")
    grants = [lim.admit("bob", 1e-6, 3) == 0 for lim in (a, b, a, b, a, b)]
    assert grants == [True, True, True, False, False, False]
    assert a.admit("alice", 1e-6, 1) == 0  # buckets are per client
    assert a.charge("bob", 10, 15) and not b.charge("bob", 10, 15) and b.charge("bob", 5, 15)
    assert a.used("bob") == b.used("bob") == 15
    assert b.admit("bob", 1e-6, 3) > 1000  # Retry-After: the refill is a million seconds away


def test_same_answers_as_the_in_memory_limits(tmp_path: Path) -> None:
    shared, memory = SharedLimits(tmp_path / "l.sqlite"), ClientLimits()
    for lim in (shared, memory):
        assert [lim.admit("c", 1e-6, 2) == 0 for _ in range(4)] == [True, True, False, False]
        assert [lim.charge("c", 4, 10) for _ in range(3)] == [True, True, False]


def test_concurrent_processes_grant_the_burst_once(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    SharedLimits(path)  # create the tables before the race
    code = (
        "import sys; from safedl.serve.limits import SharedLimits; "
        "lim = SharedLimits(sys.argv[1]); "
        "print(sum(lim.admit('bob', 1e-6, 25) == 0 for _ in range(40)))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    granted = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(granted) == 25, granted  # 120 tries against a burst of 25: exactly 25 pass
