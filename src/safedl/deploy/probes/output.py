"""DC17: a prediction response reveals no more than the output policy allows.

The probe sends one valid image and reads the JSON response generically: values under keys
that name logits, embeddings or features are internal representations; numbers under keys
that name scores, probabilities or confidences (or in numeric lists) are scores. The policy —
``label``, ``top_k`` (at most k scores), ``scores`` (the full vector) or ``logits`` — comes
from the deploy config, else from the run's threat model (``response_content``), else
``top_k`` with k = 1. Allowed scores must be rounded to ``decimals``.

With ``--run``, the measured privacy and extraction results set the severity: returned scores
on a model where membership inference with scores reached AUC ≥ 0.6, or extraction ≥ 80%
fidelity, fail at a raised severity even when the policy allows them; where the measured
advantage of scores is small, a violation is one level less severe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.evidence import Evidence
from safedl.deploy.probes.common import needs_key, needs_shape, run_probe
from safedl.deploy.probes.session import ProbeSession
from safedl.deploy.types import Outcome, Severity

HIGH_AUC = 0.6
LOW_AUC = 0.55
HIGH_FIDELITY = 0.8
_INTERNAL = re.compile(r"(?i)logit|embedding|feature|hidden|activation|penultimate|latent")
_SCORE = re.compile(r"(?i)score|prob|conf|likelihood|softmax|certainty")
_NOT_SCORE = re.compile(r"(?i)^(label|labels|class|classes|index|id|ids|version|n|count|k|top_k)$")


@dataclass
class Reading:
    """What a response body contains."""

    internal: list[str] = field(default_factory=list)  # key paths of logits / embeddings
    scores: list[float] = field(default_factory=list)

    @property
    def out_of_unit(self) -> bool:
        return any(v < 0.0 or v > 1.0 for v in self.scores)


def read_response(body: Any) -> Reading:
    """Classify the numbers of a prediction response."""
    reading = Reading()

    def walk(node: Any, path: str, scored: bool) -> None:
        key = path.rsplit(".", 1)[-1]
        if isinstance(node, dict):
            for k, v in node.items():
                child = f"{path}.{k}" if path else str(k)
                if _INTERNAL.search(str(k)):
                    reading.internal.append(child)
                    continue
                walk(v, child, scored or bool(_SCORE.search(str(k))))
        elif isinstance(node, list):
            numeric = [x for x in node if isinstance(x, int | float) and not isinstance(x, bool)]
            if len(node) >= 2 and len(numeric) == len(node) and not _NOT_SCORE.match(key):
                reading.scores += [float(x) for x in numeric]
                return
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]", scored)
        elif (
            isinstance(node, int | float)
            and not isinstance(node, bool)
            and scored
            and not _NOT_SCORE.match(key)
        ):
            reading.scores.append(float(node))

    walk(body, "", False)
    return reading


def _rounded(value: float, decimals: int) -> bool:
    scaled = value * 10**decimals
    return abs(scaled - round(scaled)) < 1e-6


def policy_of(ctx: CheckContext) -> tuple[str, str]:
    """(allowed output, where the policy comes from)."""
    configured = ctx.options.output_policy.allow
    if configured:
        return configured, "the deploy config"
    content = ctx.evidence.query_policy().response_content if ctx.evidence else None
    mapped = {"scores": "scores", "top_k": "top_k", "label": "label"}.get(content or "")
    if mapped:
        return mapped, f"the threat model (response_content = {content})"
    return "top_k", "the default policy"


def privacy_evidence(evidence: Evidence | None) -> tuple[str, bool, bool]:
    """(sentence citing measured privacy / extraction results, high risk?, low risk?)."""
    if evidence is None:
        return "", False, False
    scores, labels = evidence.membership()
    extraction = evidence.extraction()
    parts, high, low = [], False, False
    if scores is not None and scores.auc is not None:
        text = f"membership inference on this model reached AUC {scores.auc.value:.2f} with scores"
        if labels is not None and labels.auc is not None:
            text += f" and {labels.auc.value:.2f} with labels only"
        parts.append(text)
        high = scores.auc.value >= HIGH_AUC
        low = scores.auc.value < LOW_AUC
    if extraction is not None and extraction.fidelity is not None:
        q = f" after {extraction.queries:,.0f} queries" if extraction.queries else ""
        parts.append(f"extraction reached {extraction.fidelity.value:.0%} fidelity{q}")
        if extraction.fidelity.value >= HIGH_FIDELITY:
            high, low = True, False
    return "; ".join(parts), high, low


def _probe(ctx: CheckContext, s: ProbeSession) -> Outcome:
    skip = needs_shape(s) or needs_key(s)
    if skip:
        return skip
    ex = s.find("auth:good-key")
    if ex is None or ex.status is None or not 200 <= ex.status < 300:
        ex = s.predict("output")
    if ex.status is None or not 200 <= ex.status < 300:
        return Outcome.skipped(f"no successful prediction to inspect (got {ex.status or ex.error})")
    body = ex.json()
    if body is None:
        return Outcome.skipped("the prediction response is not JSON")
    reading = read_response(body)
    allow, source = policy_of(ctx)
    opts = ctx.options.output_policy
    n = len(reading.scores)
    classes = s.num_classes
    problems = []
    if reading.internal and allow != "logits":
        problems.append(f"returns internal values ({', '.join(reading.internal[:3])})")
    if reading.out_of_unit and allow != "logits":
        problems.append("returns scores outside [0, 1] (logits)")
    if allow == "label" and n:
        problems.append(f"returns {n} score(s) where the policy allows the label only")
    if allow == "top_k" and n > opts.top_k:
        full = " (the full vector)" if classes and n >= classes else ""
        problems.append(f"returns {n} scores{full} where the policy allows {opts.top_k}")
    if allow in ("top_k", "scores") and opts.decimals is not None and n:
        unrounded = [v for v in reading.scores if not _rounded(v, opts.decimals)]
        if unrounded:
            problems.append(
                f"{len(unrounded)} score(s) not rounded to {opts.decimals} decimals "
                f"(e.g. {unrounded[0]!r})"
            )
    cited, high_risk, low_risk = privacy_evidence(ctx.evidence)
    shown = f"{n} score(s) per image" if n else "the label only"
    details = (f"policy: {allow} (from {source})", f"response: {shown}")
    if problems:
        severity, reason = None, ""
        if n and high_risk:
            severity, reason = Severity.HIGH.raised(), f"measured: {cited}"
        elif low_risk:
            severity, reason = Severity.HIGH.lowered(), f"measured risk is low: {cited}"
        text = "; ".join(problems) + (f"; {cited}" if cited else "")
        return Outcome.failed(text, details=details, severity=severity, severity_reason=reason)
    if n and high_risk:
        return Outcome.failed(
            f"scores are returned (allowed by {source}), but {cited}: return labels only",
            details=details,
            severity=Severity.HIGH,
            severity_reason=f"measured: {cited}",
        )
    return Outcome.passed(
        f"returns {shown}, within the {allow} policy (from {source})"
        + (f"; {cited}" if cited else ""),
        details=details,
    )


def check_output_policy(ctx: CheckContext) -> Outcome:
    """DC17: no logits, embeddings or scores beyond the policy; scores rounded."""
    return run_probe(ctx, lambda s: _probe(ctx, s))


__all__ = ["check_output_policy", "policy_of", "privacy_evidence", "read_response"]
