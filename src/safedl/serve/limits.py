"""Per-client rate limits (token bucket) and quotas, in one process or shared by workers.

:class:`ClientLimits` keeps them in memory (one worker). :class:`SharedLimits` keeps them in a
SQLite file that every worker of one server opens, each decision one ``BEGIN IMMEDIATE``
transaction, so a client gets its rate and its quota once, not once per worker.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; one request takes one token."""

    rate: float
    burst: int
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.burst)

    def take(self, now: float | None = None) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class ClientLimits:
    """The buckets and image counts of every client (thread-safe)."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit(self, client: str, rate: float, burst: int) -> int:
        """0 when the request may proceed, else the whole seconds of a ``Retry-After``."""
        with self._lock:
            bucket = self._buckets.setdefault(client, TokenBucket(rate, burst))
            wait = bucket.take()
        return 0 if wait == 0.0 else max(1, math.ceil(wait))

    def charge(self, client: str, images: int, quota: int | None) -> bool:
        """Count ``images`` against the client's quota; False (nothing counted) when over."""
        with self._lock:
            used = self._used.get(client, 0)
            if quota is not None and used + images > quota:
                return False
            self._used[client] = used + images
            return True

    def used(self, client: str) -> int:
        return self._used.get(client, 0)


class SharedLimits:
    """The buckets and image counts of every client, shared by processes through SQLite.

    ``time.monotonic`` is one clock for every process of the machine (Linux, macOS), so the
    buckets refill alike whichever worker reads them.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # state of one server's lifetime
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS bucket (client TEXT PRIMARY KEY, tokens REAL, stamp REAL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS used (client TEXT PRIMARY KEY, n INTEGER)")

    def _transaction(self, fn: Any) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    def admit(self, client: str, rate: float, burst: int) -> int:
        """0 when the request may proceed, else the whole seconds of a ``Retry-After``."""

        def step(db: sqlite3.Connection) -> float:
            now = time.monotonic()
            row = db.execute("SELECT tokens, stamp FROM bucket WHERE client = ?", (client,))
            found = row.fetchone()
            bucket = TokenBucket(rate, burst, *(found or (float(burst), now)))
            wait = bucket.take(now)
            db.execute(
                "INSERT OR REPLACE INTO bucket VALUES (?, ?, ?)", (client, bucket.tokens, now)
            )
            return wait

        wait = self._transaction(step)
        return 0 if wait == 0.0 else max(1, math.ceil(wait))

    def charge(self, client: str, images: int, quota: int | None) -> bool:
        """Count ``images`` against the client's quota; False (nothing counted) when over."""

        def step(db: sqlite3.Connection) -> bool:
            used = self._used(db, client)
            if quota is not None and used + images > quota:
                return False
            db.execute("INSERT OR REPLACE INTO used VALUES (?, ?)", (client, used + images))
            return True

        granted: bool = self._transaction(step)
        return granted

    @staticmethod
    def _used(db: sqlite3.Connection, client: str) -> int:
        row = db.execute("SELECT n FROM used WHERE client = ?", (client,)).fetchone()
        return int(row[0]) if row else 0

    def used(self, client: str) -> int:
        with self._lock:
            return self._used(self._db, client)


__all__ = ["ClientLimits", "SharedLimits", "TokenBucket"]
