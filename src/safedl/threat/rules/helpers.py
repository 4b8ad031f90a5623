"""Short constructors for rule rows, so that each table reads as data."""

from __future__ import annotations

from safedl.threat.conditions import Rule, When


def raise_(rule_id: str, threat: str, likelihood: int, cond: When, because: str) -> Rule:
    """A rule that raises ``threat`` with at least ``likelihood`` (1-5) when ``cond`` holds."""
    return Rule(rule_id, cond, because, target=threat, likelihood=likelihood)


def adjust(rule_id: str, threats: tuple[str, ...], delta: int, cond: When, because: str) -> Rule:
    """A rule that adds ``delta`` to the likelihood of already raised ``threats``."""
    return Rule(rule_id, cond, because, targets=threats, likelihood_delta=delta)


def impact(rule_id: str, threats: tuple[str, ...], floor: int, cond: When, because: str) -> Rule:
    """A rule that sets an impact floor (1-5) for already raised ``threats``."""
    return Rule(rule_id, cond, because, targets=threats, impact=floor)


def impact_delta(
    rule_id: str, threats: tuple[str, ...], delta: int, cond: When, because: str
) -> Rule:
    """A rule that adds ``delta`` to the impact of already raised ``threats``."""
    return Rule(rule_id, cond, because, targets=threats, impact_delta=delta)


__all__ = ["adjust", "impact", "impact_delta", "raise_"]
