"""DC19: error responses leak no traceback, file path or framework version.

Reads every error response the earlier probes provoked (auth refusals, malformed inputs) and
adds a request for a path that does not exist and an unparsable body; checks bodies and the
``Server`` / ``X-Powered-By`` headers against a small pattern table.
"""

from __future__ import annotations

import re

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import run_probe
from safedl.deploy.probes.session import Exchange, ProbeSession
from safedl.deploy.types import Outcome

LEAK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("traceback", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")),
    (
        "file path",
        re.compile(
            r"(?:/(?:home|usr|opt|srv|var|app|root|tmp|Users|workspace)/[\w.@+-]+(?:/[\w.@+-]+)*"
            r"|[A-Za-z]:\\(?:[\w .@+-]+\\)+[\w .@+-]+|site-packages|dist-packages)"
        ),
    ),
    (
        "framework version",
        re.compile(
            r"(?i)\b(?:uvicorn|gunicorn|hypercorn|fastapi|starlette|flask|werkzeug|django|"
            r"torch|pytorch|python|cpython|tensorflow|keras|onnxruntime|nginx|apache)"
            r"[/ ]v?\d+\.\d+"
        ),
    ),
)
_HEADERS = ("server", "x-powered-by", "x-aspnet-version")


def leaks(exchange: Exchange) -> list[str]:
    """What ``exchange`` gives away, by pattern name."""
    found = []
    headers = " ".join(f"{k}: {v}" for k, v in exchange.headers.items() if k.lower() in _HEADERS)
    for name, pattern in LEAK_PATTERNS:
        m = pattern.search(exchange.body) or (
            pattern.search(headers) if name == "framework version" else None
        )
        if m:
            found.append(f"{name} ({m.group(0)[:60]!r})")
    return found


def _probe(s: ProbeSession) -> Outcome:
    s.request("GET", "/safedl-probe-missing-route", purpose="leak:not-found")
    if not any(e.purpose.startswith("input:") for e in s.exchanges):
        s.request(
            "POST",
            "/v1/predict",
            purpose="leak:unparsable",
            content="{not json",
            headers={"Content-Type": "application/json"},
        )
    errors = [e for e in s.exchanges if e.is_error]
    if not errors:
        return Outcome.skipped("no error response to inspect")
    found = [(e, leaks(e)) for e in errors]
    bad = [(e, f) for e, f in found if f]
    details = tuple(
        f"{e.method} {e.path} ({e.purpose}) → {e.status}: {', '.join(f)}" for e, f in bad
    )
    if bad:
        kinds = sorted({item.split(" (")[0] for _, f in bad for item in f})
        return Outcome.failed(
            f"{len(bad)} of {len(errors)} error responses leak {', '.join(kinds)}: {details[0]}",
            details=details,
        )
    return Outcome.passed(f"{len(errors)} error responses leak no traceback, path or version")


def check_error_leakage(ctx: CheckContext) -> Outcome:
    """DC19: no traceback, file path or framework version in error responses."""
    return run_probe(ctx, _probe)


__all__ = ["LEAK_PATTERNS", "check_error_leakage", "leaks"]
