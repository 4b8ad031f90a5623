"""Risk scores: a pure function of the threat model and the measured attack results.

For every attack that ran, three factors in [0, 1] are multiplied and scaled to 0–10:

* **impact** — what the attack achieved, measured: success rate (evasion), attack success rate
  (backdoors), accuracy drop or targeted success (poisoning), advantage (privacy);
* **likelihood** — how likely such an attacker is, from the threat model: the linked threat's
  likelihood (1–5) / 5, lowered when the attack needs more access than the attacker has or uses
  a larger budget than the attacker's;
* **consequence** — how bad a successful attack is for this system: the linked threat's
  impact (1–5) / 5.

Without a threat model, likelihood and consequence are assumed 0.6 and say so. The score is
given from the point estimate and from the pessimistic end of the impact's 95% CI. Bands: low
< 2.5 ≤ medium < 5 ≤ high < 7.5 ≤ critical. An evaluation that failed a validity check is
rated "unreliable — assume high" (never low), naming the check, and shows no score.

Each attack entry carries its scope against the threat model (:mod:`safedl.threat.scope`): a
*stress test* (beyond the attacker's budget or access) is scored but informs only; an attack
*outside the threat model* (no threat covers it) is not scored — it is listed with why, since
assumed factors would read like measurements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from safedl.results import Finding, unreliable_because

ASSUMED = 0.6
KNOWLEDGE_RANK = {"white-box": 3, "grey-box": 2, "black-box-scores": 1, "black-box-labels": 0}
ACCESS_NEED = {"white-box": 3, "model": 3, "scores": 1, "labels": 0, "training-data": 0}
BANDS = ((7.5, "critical"), (5.0, "high"), (2.5, "medium"), (0.0, "low"))


def band(score: float) -> str:
    """Severity band of a 0–10 score."""
    return next(name for floor, name in BANDS if score >= floor)


@dataclass
class Factor:
    """One factor of a score, with its value and the reason for it."""

    name: str
    value: float
    reason: str


@dataclass
class Risk:
    """The risk of one attack run, recomputable from its factors."""

    attack: str
    index: int
    family: str
    threats: list[str]
    impact: float
    likelihood: float
    consequence: float
    score: float
    pessimistic_score: float
    band: str
    pessimistic_band: str
    factors: list[Factor]
    formula: str
    reliable: bool = True
    failed_checks: list[str] = field(default_factory=list)
    rating: str = ""
    label: str = ""
    model: str = "baseline"
    unit: str | None = None
    scope: str = "no_threat_model"
    scope_reason: str = ""
    #: No detector is evaluated yet, so detectability does not enter the score.
    detectability: str = "not measured (no detector evaluated)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _impact(r: dict[str, Any]) -> tuple[float, float, str]:
    """(point, pessimistic, reason) of what the attack achieved."""
    family = r.get("family", "evasion")
    if family in ("poisoning", "backdoor") and r.get("attack_success_rate"):
        # What the poison adds over the clean model's own errors (for random label flipping
        # this is the accuracy drop).
        a, base = r["attack_success_rate"], r.get("baseline_attack_success_rate") or {"value": 0}
        point = max(0.0, a["value"] - base["value"])
        pess = max(0.0, a["high"] - base["value"])
        return (
            point,
            pess,
            (
                f"success {100 * a['value']:.1f}% against {100 * base['value']:.1f}%"
                " on the clean model"
            ),
        )
    if family == "privacy" and r.get("auc") is not None:
        # Membership advantage over guessing, from the ROC AUC: 2 · (AUC − ½), floored at 0.
        auc = float(r["auc"])
        high = float((r.get("auc_ci") or [auc, auc])[1])
        point, pess = max(0.0, 2 * auc - 1), max(0.0, 2 * high - 1)
        return point, pess, f"membership AUC {auc:.3f} (advantage {point:.2f})"
    if family == "extraction" and isinstance(r.get("fidelity"), dict):
        f = r["fidelity"]
        queries = r.get("queries")
        return (
            float(f["value"]),
            float(f["high"]),
            f"stolen copy agrees with the model on {100 * f['value']:.1f}% ({queries} queries)",
        )
    if not r.get("attack_success_rate"):
        return 0.0, 0.0, "no measured success rate"
    a = r["attack_success_rate"]
    extra = ""
    if r.get("minimum_norm") and r.get("extra", {}).get("accuracy_at_eps"):
        at = r["extra"]["accuracy_at_eps"]
        clean = r["clean_accuracy"]["value"] or 1.0
        point = max(0.0, 1 - at["value"] / clean)
        return point, max(0.0, 1 - at["low"] / clean), f"accuracy at ε {100 * at['value']:.1f}%"
    return a["value"], a["high"], f"success rate {100 * a['value']:.1f}%{extra}"


def _likelihood(
    r: dict[str, Any], linked: list[dict[str, Any]], attacker: dict[str, Any] | None
) -> tuple[float, list[Factor]]:
    notes: list[Factor] = []
    if not linked:
        return ASSUMED, [
            Factor(
                "likelihood", ASSUMED, "no threat in the threat model covers this attack: assumed"
            )
        ]
    top = max(linked, key=lambda t: t["likelihood"])
    value = top["likelihood"] / 5
    notes.append(
        Factor(
            "threat likelihood",
            value,
            f"threat {top['id']} ({top['title']}) rated {top['likelihood']}/5",
        )
    )
    if attacker:
        have = KNOWLEDGE_RANK.get(attacker.get("knowledge", "white-box"), 3)
        need = ACCESS_NEED.get(r.get("access", "white-box"), 3)
        if need > have:
            notes.append(
                Factor(
                    "access",
                    0.6,
                    f"the attack uses {r.get('access')} access but the "
                    f"attacker has {attacker.get('knowledge')}: an upper bound",
                )
            )
        eps_budget = attacker.get("budgets", {}).get("eps", {})
        norm = r.get("params", {}).get("norm", "linf")
        eps = r.get("params", {}).get("eps")
        if eps is not None and norm in eps_budget and eps > eps_budget[norm] * 1.0001:
            notes.append(
                Factor(
                    "budget",
                    0.5,
                    f"ε = {eps} exceeds the attacker's {norm} budget {eps_budget[norm]}",
                )
            )
    for f in notes[1:]:
        value *= f.value
    return value, notes


def score_attack(
    index: int,
    r: dict[str, Any],
    threat: dict[str, Any] | None,
    findings: Sequence[Finding] = (),
) -> Risk:
    """The risk of one attack result, given the threat-model result (or None) and findings."""
    threats = (threat or {}).get("threats", [])
    linked = [t for t in threats if r["attack"] in t.get("attacks", [])]
    impact, pessimistic, why = _impact(r)
    likelihood, like_factors = _likelihood(r, linked, (threat or {}).get("attacker"))
    if linked:
        worst = max(linked, key=lambda t: t["impact"])
        consequence = worst["impact"] / 5
        cons = Factor(
            "consequence", consequence, f"threat {worst['id']} impact rated {worst['impact']}/5"
        )
    else:
        consequence = ASSUMED
        cons = Factor("consequence", ASSUMED, "no threat model impact for this attack: assumed")
    score = round(10 * impact * likelihood * consequence, 2)
    pess = round(10 * pessimistic * likelihood * consequence, 2)
    factors = [Factor("impact", round(impact, 4), why), *like_factors, cons]
    family = r.get("family", "evasion")
    failed = unreliable_because(r.get("unit"), family, r.get("model", "baseline"), findings)
    risk = Risk(
        attack=r["attack"],
        index=index,
        family=family,
        threats=[t["id"] for t in linked],
        impact=round(impact, 4),
        likelihood=round(likelihood, 4),
        consequence=round(consequence, 4),
        score=score,
        pessimistic_score=pess,
        band=band(score),
        pessimistic_band=band(pess),
        factors=factors,
        formula=f"10 × impact {impact:.3f} × likelihood {likelihood:.3f} × consequence "
        f"{consequence:.3f} = {score:.2f} (pessimistic impact {pessimistic:.3f} → {pess:.2f})",
        reliable=not failed,
        failed_checks=failed,
        label=r.get("label") or r["attack"],
        model=r.get("model", "baseline"),
        unit=r.get("unit"),
        scope=r.get("scope", "no_threat_model"),
        scope_reason=r.get("scope_reason", ""),
    )
    if failed:
        risk.rating = f"unreliable — assume high (failed {', '.join(failed)})"
        for attr in ("band", "pessimistic_band"):
            if getattr(risk, attr) in ("low", "medium"):
                setattr(risk, attr, "high")
    else:
        risk.rating = risk.band
    return risk


def score_all(
    attacks: list[dict[str, Any]],
    threat: dict[str, Any] | None,
    findings: Sequence[Finding] = (),
) -> tuple[list[Risk], list[dict[str, Any]]]:
    """``(risks, not_scored)``: risks of the finished attacks, highest pessimistic score first,
    and the attacks outside the threat model, each with why it is not scored."""
    risks, not_scored = [], []
    for i, r in enumerate(attacks):
        if r.get("status") != "done":
            continue
        if r.get("scope") == "outside_threat_model":
            not_scored.append(
                {
                    "attack": r["attack"],
                    "index": i,
                    "label": r.get("label") or r["attack"],
                    "model": r.get("model", "baseline"),
                    "why": r.get("scope_reason", "no threat of the threat model covers it"),
                }
            )
            continue
        risks.append(score_attack(i, r, threat, findings))
    risks.sort(key=lambda k: (-k.pessimistic_score, -k.score, k.index))
    return risks, not_scored


def headline(risk: dict[str, Any], measured: str = "") -> str:
    """A risk as a person names it: "PGD, L∞ ε = 0.2, white-box: 98.9% success — high, 6.2/10".

    An unreliable result shows "unreliable — assume high" and no score beside it; a stress
    test says so.
    """
    measured = measured or next(
        (f["reason"] for f in risk.get("factors", []) if f["name"] == "impact"), ""
    )
    what = f"{risk['label']}: {measured}" if measured else risk["label"]
    if not risk.get("reliable", True):
        return f"{what} — {risk['rating']}"
    tail = (
        f"{risk['rating']}, score {risk['score']:.1f}/10 "
        f"(pessimistic {risk['pessimistic_score']:.1f})"
    )
    if risk.get("scope") == "stress_test":
        tail += " — stress test, informs only"
    return f"{what} — {tail}"
