"""DC18: malformed inputs are rejected with a 4xx status, never a 5xx (a crash) or a 2xx
(the model ran on garbage).

Eight authenticated requests, built from the model's input shape [C, H, W]: wrong shape,
wrong dtype (strings), a NaN pixel, an infinite pixel, out-of-range pixels (2.0 and -1.0), an
oversized body (``probe.oversized_bytes``, default 2 MB, of valid-looking images), unparsable
JSON, and a body without ``inputs``. A 429 or no response makes a case inconclusive.
"""

from __future__ import annotations

import json
import math
from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import needs_key, needs_shape, run_probe
from safedl.deploy.probes.session import Exchange, ProbeSession
from safedl.deploy.types import Outcome, Severity

MAX_OVERSIZED_IMAGES = 1_000_000


def _with_pixels(batch: list[Any], *values: float) -> list[Any]:
    image = json.loads(json.dumps(batch))
    row = image[0][0][0]
    for i, v in enumerate(values):
        row[i % len(row)] = v
    return image


def cases(s: ProbeSession) -> list[tuple[str, dict[str, Any]]]:
    """(name, request keyword arguments) of every malformed input."""
    batch = s.valid_batch() or []
    c, h, w = ([*list(s.input_shape or (1, 1, 1)), 1, 1, 1])[:3]
    image_bytes = len(json.dumps(batch[0])) + 2 if batch else 16
    n_big = min(MAX_OVERSIZED_IMAGES, math.ceil(s.options.oversized_bytes / image_bytes))
    big = json.dumps({"inputs": batch * n_big})
    return [
        ("wrong shape", {"json_body": {"inputs": [[[[0.5] * (w + 1)] * (h + 1)] * c]}}),
        ("wrong dtype", {"json_body": {"inputs": [[[["a"] * w] * h] * c]}}),
        ("NaN", {"json_body": {"inputs": _with_pixels(batch, math.nan)}}),
        ("Inf", {"json_body": {"inputs": _with_pixels(batch, math.inf)}}),
        ("out of range", {"json_body": {"inputs": _with_pixels(batch, 2.0, -1.0)}}),
        (
            f"oversized ({len(big) / 1e6:.1f} MB, {n_big} images)",
            {"content": big, "headers": {"Content-Type": "application/json"}},
        ),
        (
            "unparsable JSON",
            {"content": "{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("no inputs field", {"json_body": {"images": batch}}),
    ]


def run_cases(s: ProbeSession) -> list[tuple[str, Exchange]]:
    """Send every case once (later probes reuse the exchanges)."""
    if "input-cases" not in s.notes:
        sent = []
        for name, kwargs in cases(s):
            sent.append((name, s.request("POST", "/v1/predict", purpose=f"input:{name}", **kwargs)))
        s.notes["input-cases"] = sent
    result: list[tuple[str, Exchange]] = s.notes["input-cases"]
    return result


def _probe(s: ProbeSession) -> Outcome:
    skip = needs_shape(s) or needs_key(s)
    if skip:
        return skip
    results = run_cases(s)
    crashed = [(n, e) for n, e in results if e.status is not None and e.status >= 500]
    accepted = [(n, e) for n, e in results if e.status is not None and e.status < 400]
    unclear = [(n, e) for n, e in results if e.status is None or e.status == 429]
    details = tuple(f"{n} → {e.status if e.status is not None else e.error}" for n, e in results)
    if crashed or accepted:
        parts = []
        if crashed:
            parts.append("5xx for " + ", ".join(f"{n} ({e.status})" for n, e in crashed))
        if accepted:
            parts.append("accepted " + ", ".join(f"{n} ({e.status})" for n, e in accepted))
        return Outcome.failed(
            "; ".join(parts),
            details=details,
            severity=Severity.HIGH if crashed else None,
            severity_reason="the server crashes on malformed input (denial of service)"
            if crashed
            else "",
        )
    if len(unclear) == len(results):
        return Outcome.skipped(
            "every malformed input was rate-limited or unanswered", details=details
        )
    note = f"; {len(unclear)} inconclusive (429 or no response)" if unclear else ""
    return Outcome.passed(
        f"{len(results) - len(unclear)} malformed inputs rejected with 4xx{note}", details=details
    )


def check_input_validation(ctx: CheckContext) -> Outcome:
    """DC18: malformed inputs get 4xx, never 5xx or 2xx."""
    return run_probe(ctx, _probe)


__all__ = ["cases", "check_input_validation", "run_cases"]
