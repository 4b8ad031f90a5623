"""DC20, DC21, DC23: what else the server exposes — docs and debug pages, metrics, CORS."""

from __future__ import annotations

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import run_probe
from safedl.deploy.probes.session import ProbeSession
from safedl.deploy.types import Outcome

DOC_PATHS = ("/docs", "/redoc", "/openapi.json", "/debug")
PROBE_ORIGIN = "https://safedl-probe.invalid"


def _docs(s: ProbeSession) -> Outcome:
    served = []
    details = []
    for path in DOC_PATHS:
        ex = s.request("GET", path, purpose=f"docs:{path}", auth=False)
        details.append(f"GET {path} → {ex.status if ex.status is not None else ex.error}")
        if ex.status is not None and 200 <= ex.status < 300:
            served.append(f"{path} ({ex.status})")
    if served:
        return Outcome.failed(
            f"served without credentials: {', '.join(served)}", details=tuple(details)
        )
    return Outcome.passed(f"{', '.join(DOC_PATHS)} are not served", details=tuple(details))


def check_docs_off(ctx: CheckContext) -> Outcome:
    """DC20: /docs, /redoc, /openapi.json and /debug get no 2xx."""
    return run_probe(ctx, _docs)


def _metrics(s: ProbeSession) -> Outcome:
    ex = s.request("GET", "/metrics", purpose="metrics", auth=False)
    if ex.status is None:
        return Outcome.skipped(f"GET /metrics: no response ({ex.error})")
    if 200 <= ex.status < 300:
        return Outcome.failed(f"GET /metrics without credentials → {ex.status} ({len(ex.body)} B)")
    return Outcome.passed(f"GET /metrics without credentials → {ex.status}")


def check_metrics_private(ctx: CheckContext) -> Outcome:
    """DC21: /metrics is not served to anonymous clients."""
    return run_probe(ctx, _metrics)


def _cors(s: ProbeSession) -> Outcome:
    preflight = s.request(
        "OPTIONS",
        "/v1/predict",
        purpose="cors:preflight",
        auth=False,
        headers={
            "Origin": PROBE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    simple = s.request(
        "GET", "/healthz", purpose="cors:simple", auth=False, headers={"Origin": PROBE_ORIGIN}
    )
    bad, details = [], []
    for name, ex in (("preflight", preflight), ("GET /healthz", simple)):
        h = {k.lower(): v for k, v in ex.headers.items()}
        origin = h.get("access-control-allow-origin")
        creds = h.get("access-control-allow-credentials", "").lower() == "true"
        details.append(f"{name}: Allow-Origin {origin!r}, Allow-Credentials {creds}")
        if creds and origin == "*":
            bad.append(f"{name}: Allow-Origin * with credentials")
        elif creds and origin == PROBE_ORIGIN:
            bad.append(f"{name}: reflects an arbitrary origin with credentials")
    if bad:
        return Outcome.failed("; ".join(bad), details=tuple(details))
    return Outcome.passed(
        "no wildcard or reflected origin together with credentials", details=tuple(details)
    )


def check_cors(ctx: CheckContext) -> Outcome:
    """DC23: CORS never allows any origin together with credentials."""
    return run_probe(ctx, _cors)


__all__ = ["DOC_PATHS", "check_cors", "check_docs_off", "check_metrics_private"]
