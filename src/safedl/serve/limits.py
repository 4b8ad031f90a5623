"""Per-client rate limits (token bucket) and quotas."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


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


__all__ = ["ClientLimits", "TokenBucket"]
