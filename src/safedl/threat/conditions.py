"""A small declarative matcher over answers, used by every rule table.

A condition has three clauses, each a mapping ``question → values``; an answer *hits* a clause
entry when it contains at least one of the listed values:

- ``all``: every entry is hit;
- ``any``: at least one entry is hit (an empty ``any`` is true);
- ``none``: no entry is hit.

Conditions are evaluated on *effective* answers ('Don't know' replaced by its conservative
assumption), so an unknown answer raises every threat its assumption raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Clause = tuple[tuple[str, tuple[str, ...]], ...]


def _clause(entries: Mapping[str, tuple[str, ...] | str] | None) -> Clause:
    if not entries:
        return ()
    return tuple((q, (v,) if isinstance(v, str) else tuple(v)) for q, v in sorted(entries.items()))


@dataclass(frozen=True)
class When:
    """A condition over answers; build it with :func:`when`."""

    all: Clause = ()
    any: Clause = ()
    none: Clause = ()

    def questions(self) -> list[str]:
        """Every question the condition looks at, in first-mention order."""
        seen: dict[str, None] = {}
        for clause in (self.all, self.any, self.none):
            for q, _ in clause:
                seen.setdefault(q, None)
        return list(seen)

    def matches(self, answers: Mapping[str, tuple[str, ...]]) -> bool:
        """Whether ``answers`` (effective answers) satisfy the condition."""

        def hit(q: str, values: tuple[str, ...]) -> bool:
            return any(v in values for v in answers.get(q, ()))

        return (
            all(hit(q, v) for q, v in self.all)
            and (not self.any or any(hit(q, v) for q, v in self.any))
            and not any(hit(q, v) for q, v in self.none)
        )


def when(
    all: Mapping[str, tuple[str, ...] | str] | None = None,
    any: Mapping[str, tuple[str, ...] | str] | None = None,
    none: Mapping[str, tuple[str, ...] | str] | None = None,
) -> When:
    """Build a condition, e.g. ``when(all={"query_access": ("public", "customers")})``."""
    return When(_clause(all), _clause(any), _clause(none))


ALWAYS = When()


@dataclass(frozen=True)
class Rule:
    """One row of a rule table.

    Attributes:
        id: unique, stable id (cited in reasons and in tests).
        when: the condition over answers.
        because: the reason shown to people, in one sentence.
        target: what it sets: a threat id (threat rules), or a facet value (attacker rules).
        likelihood: likelihood floor (1-5) set by a threat-raising rule; None for modifiers.
        impact: impact floor (1-5), or None.
        likelihood_delta: added to the likelihood of an already raised threat.
        impact_delta: added to the impact of an already raised threat.
        targets: extra threat ids the same rule applies to (impact rules cover groups).
    """

    id: str
    when: When
    because: str
    target: str = ""
    likelihood: int | None = None
    impact: int | None = None
    likelihood_delta: int = 0
    impact_delta: int = 0
    targets: tuple[str, ...] = field(default=())

    @property
    def raises(self) -> bool:
        """True for a rule that raises its threat (sets a likelihood floor)."""
        return self.likelihood is not None

    def applies_to(self) -> tuple[str, ...]:
        """Every threat (or facet) id this rule affects."""
        return (self.target, *self.targets) if self.target else self.targets


__all__ = ["ALWAYS", "Rule", "When", "when"]
