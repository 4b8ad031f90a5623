"""DC26–DC29: process controls a person must confirm, with the evidence to ask for.

Without ``--run`` every item is listed as ``manual``. With a run whose threat model has no
threat that calls for an item, it is skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Outcome


@dataclass(frozen=True)
class ManualItem:
    what: str
    ask_for: tuple[str, ...]
    threats: frozenset[str]  # threats that call for it (empty: any threat at medium or above)


ITEMS: dict[str, ManualItem] = {
    "incident": ManualItem(
        "incident response for the model",
        (
            "the runbook for model incidents (abuse, extraction, evasion campaigns, drift)",
            "who is paged, and the last drill's date",
            "how to roll back to the previous model and revoke API keys",
        ),
        frozenset(),
    ),
    "retraining": ManualItem(
        "approval of retraining and new training data",
        (
            "the change process for training data and retrained models",
            "the last approval record: data diff, evaluation results, sign-off",
        ),
        frozenset(
            {
                "data-poisoning",
                "label-manipulation",
                "backdoor",
                "model-poisoning",
                "feedback-skewing",
            }
        ),
    ),
    "retention": ManualItem(
        "retention of training data, queries and logs",
        (
            "the retention periods for training data, logged queries and responses",
            "evidence that deletion past them runs (job, ticket, audit log)",
        ),
        frozenset({"membership-inference", "model-inversion"}),
    ),
    "access": ManualItem(
        "reviews of access to the model, its weights and API keys",
        (
            "the list of API key holders and of who can read the weights or the registry",
            "the date and outcome of the last access review",
        ),
        frozenset({"model-extraction", "weight-theft", "model-poisoning", "supply-chain"}),
    ),
}


def _item(ctx: CheckContext, key: str) -> Outcome:
    item = ITEMS[key]
    asks = tuple(f"ask for: {a}" for a in item.ask_for)
    ev = ctx.evidence
    if ev is None or not ev.has_threat_model():
        return Outcome.manual(f"confirm {item.what}", details=asks)
    threats = ev.threats()
    if item.threats:
        calling = [t for t in threats if t.id in item.threats]
    else:
        calling = [t for t in threats if t.level in ("medium", "high", "critical")]
    if not calling:
        scope = ", ".join(sorted(item.threats)) if item.threats else "at medium or above"
        return Outcome.skipped(f"not called for: the threat model has no threat {scope}")
    because = ", ".join(f"{t.id} ({t.level})" for t in calling[:4])
    return Outcome.manual(f"confirm {item.what}; called for by {because}", details=asks)


def check_incident_response(ctx: CheckContext) -> Outcome:
    """DC26."""
    return _item(ctx, "incident")


def check_retraining_approval(ctx: CheckContext) -> Outcome:
    """DC27."""
    return _item(ctx, "retraining")


def check_data_retention(ctx: CheckContext) -> Outcome:
    """DC28."""
    return _item(ctx, "retention")


def check_access_review(ctx: CheckContext) -> Outcome:
    """DC29."""
    return _item(ctx, "access")


__all__ = [
    "ITEMS",
    "check_access_review",
    "check_data_retention",
    "check_incident_response",
    "check_retraining_approval",
]
