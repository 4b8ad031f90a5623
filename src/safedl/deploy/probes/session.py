"""One bounded HTTP session for every probe of a deployment check.

The session counts each request and refuses to send more than ``max_requests`` or to start
one after ``max_seconds``; each request's timeout never runs past the deadline. Responses are
kept (bodies truncated) so later probes reuse them: the leakage probe reads the error bodies
the input probe provoked instead of sending its own.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from safedl.deploy.options import ProbeOptions
from safedl.errors import ConfigError

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'safedl[deploy]' (httpx)"
BODY_LIMIT = 65_536


class BudgetExhausted(Exception):
    """The probes' request or time budget is spent."""


@dataclass(frozen=True)
class Exchange:
    """One request and its response (``status`` None when no response came)."""

    method: str
    path: str
    purpose: str
    status: int | None
    headers: dict[str, str]
    body: str
    seconds: float
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_error(self) -> bool:
        return self.status is not None and self.status >= 400


def validate_url(url: str) -> str:
    """``url`` without a trailing slash, or ``ConfigError`` when it is not an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--url {url!r}: not an http(s) URL",
            hint="give the server's base URL, e.g. --url http://127.0.0.1:8000",
        )
    try:
        parts.port  # noqa: B018  (raises for a bad port)
    except ValueError:
        raise ConfigError(f"--url {url!r}: the port is not a number in 0–65535") from None
    return url.rstrip("/")


@dataclass
class ProbeSession:
    """The probes' HTTP client, with shared bounds and a log of every exchange."""

    base_url: str
    api_key: str | None
    options: ProbeOptions
    input_shape: tuple[int, ...] | None = None
    num_classes: int | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    _client: Any = None
    _started: float = 0.0

    def __post_init__(self) -> None:
        try:
            import httpx
        except ImportError:
            raise ConfigError(f"probing --url needs httpx: {INSTALL_HINT}") from None
        self.base_url = validate_url(self.base_url)
        self._client = httpx.Client(base_url=self.base_url, follow_redirects=False)
        self._started = time.monotonic()

    # ── bounds ──────────────────────────────────────────────────────────────────────────
    @property
    def requests_sent(self) -> int:
        return len(self.exchanges)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def remaining_requests(self) -> int:
        return self.options.max_requests - self.requests_sent

    def remaining_seconds(self) -> float:
        return self.options.max_seconds - self.elapsed

    def budget_text(self) -> str:
        return f"{self.options.max_requests} requests / {self.options.max_seconds:g} s"

    # ── requests ────────────────────────────────────────────────────────────────────────
    def auth_headers(self, key: str | None = None) -> dict[str, str]:
        key = self.api_key if key is None else key
        return {"Authorization": f"Bearer {key}", "X-API-Key": key} if key else {}

    def request(
        self,
        method: str,
        path: str,
        *,
        purpose: str,
        auth: bool = True,
        key: str | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        """Send one request within the budget.

        Raises:
            BudgetExhausted: the request or time budget is spent.
        """
        import httpx

        if self.remaining_requests() <= 0 or self.remaining_seconds() <= 0:
            raise BudgetExhausted(self.budget_text())
        send_headers = {**(self.auth_headers(key) if auth or key else {}), **(headers or {})}
        if json_body is not None:
            content = json.dumps(json_body)  # allow_nan: NaN / Infinity tokens on purpose
            send_headers.setdefault("Content-Type", "application/json")
        timeout = max(0.05, min(self.options.request_timeout, self.remaining_seconds()))
        start = time.monotonic()
        try:
            response = self._client.request(
                method, path, content=content, headers=send_headers, timeout=timeout
            )
            body = response.text[:BODY_LIMIT]
            exchange = Exchange(
                method, path, purpose, response.status_code, dict(response.headers), body,
                time.monotonic() - start,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            exchange = Exchange(
                method, path, purpose, None, {}, "", time.monotonic() - start,
                f"{type(exc).__name__}: {exc}"[:200],
            )  # fmt: skip
        self.exchanges.append(exchange)
        log.debug("probe %s %s (%s): %s", method, path, purpose, exchange.status or exchange.error)
        return exchange

    def find(self, purpose: str) -> Exchange | None:
        """The first exchange sent for ``purpose``."""
        return next((e for e in self.exchanges if e.purpose == purpose), None)

    # ── inputs ──────────────────────────────────────────────────────────────────────────
    def valid_batch(self, n: int = 1) -> list[Any] | None:
        """A deterministic batch of ``n`` valid images, or None when the shape is unknown."""
        if self.input_shape is None:
            return None
        rng = random.Random(0)
        c, h, w = ([*list(self.input_shape), 1, 1, 1])[:3]
        return [
            [[[round(rng.random(), 3) for _ in range(w)] for _ in range(h)] for _ in range(c)]
            for _ in range(n)
        ]

    def predict(self, purpose: str, *, key: str | None = None, auth: bool = True) -> Exchange:
        """POST a valid image (a 1×1×1 stand-in when the shape is unknown)."""
        batch = self.valid_batch() or [[[[0.5]]]]
        return self.request(
            "POST", "/v1/predict", purpose=purpose, auth=auth, key=key, json_body={"inputs": batch}
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


__all__ = ["BudgetExhausted", "Exchange", "ProbeSession", "validate_url"]
