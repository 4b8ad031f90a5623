"""DC22: the endpoint serves the assessed model.

``GET /v1/model`` must report ``sha256`` or ``content_hash`` (at the top level or under
``model``), equal to the SHA-256 of the assessed artifact (``--run``) or to a pinned hash
(``pinned_sha256``).
"""

from __future__ import annotations

from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import run_probe
from safedl.deploy.probes.session import Exchange, ProbeSession
from safedl.deploy.types import Outcome

HASH_FIELDS = ("sha256", "content_hash")


def model_info(s: ProbeSession) -> Exchange:
    """GET /v1/model, once per session."""
    return s.find("model-info") or s.request("GET", "/v1/model", purpose="model-info")


def reported_hashes(body: Any) -> dict[str, str]:
    """Hash fields of a /v1/model body."""
    out: dict[str, str] = {}
    for node in (body, body.get("model") if isinstance(body, dict) else None):
        if isinstance(node, dict):
            for key in HASH_FIELDS:
                if isinstance(node.get(key), str):
                    out.setdefault(key, node[key].lower().removeprefix("sha256:"))
    return out


def _probe(ctx: CheckContext, s: ProbeSession) -> Outcome:
    artifact = ctx.evidence.assessed_artifact() if ctx.evidence else None
    if artifact is not None:
        expected, source = set(artifact.identities), "the assessed artifact"
    elif ctx.options.pinned_sha256:
        expected, source = set(ctx.options.pinned_sha256.values()), "pinned_sha256"
    else:
        return Outcome.skipped("no assessed or pinned hash to compare with: pass --run RUN_DIR")
    ex = model_info(s)
    if ex.status is None or not 200 <= ex.status < 300:
        return Outcome.failed(
            f"GET /v1/model → {ex.status or ex.error}: the served model is unknown"
        )
    hashes = reported_hashes(ex.json())
    if not hashes:
        return Outcome.failed("GET /v1/model reports neither sha256 nor content_hash")
    match = [k for k, v in hashes.items() if v in expected]
    shown = ", ".join(f"{k} {v[:16]}…" for k, v in hashes.items())
    if match:
        return Outcome.passed(f"the endpoint reports {shown}, equal to {source}")
    want = ", ".join(sorted(h[:16] + "…" for h in expected))
    return Outcome.failed(f"the endpoint reports {shown}; {source} is {want}")


def check_model_identity(ctx: CheckContext) -> Outcome:
    """DC22: /v1/model reports the assessed (or pinned) hash."""
    return run_probe(ctx, lambda s: _probe(ctx, s))


__all__ = ["check_model_identity", "model_info", "reported_hashes"]
