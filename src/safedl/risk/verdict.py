"""The verdict: the posture of the model, counting what was not tested.

The posture is the worst pessimistic band of the risks that lie inside the threat model (or
of all risks when the profile states none); stress tests inform but never set it by
themselves. A threat of level high or critical that no attack inside the threat model tested
(its plugin is unavailable, or the profile left it out) makes the assessment **incomplete**:
the summary says so and names the threats, and never reads as a plain low or medium.

A threat whose attacks inside the threat model all came back *not applicable* — the model no
longer grants the access they need, as after output hardening to labels only — is listed as
**removed** (with the reason) rather than untested: the threat as modelled cannot be mounted
against this model, and whatever leakage is left is measured by the other attacks.
"""

from __future__ import annotations

from typing import Any

ORDER = ("low", "medium", "high", "critical")
POSTURE = {
    "critical": "Not ready to ship: at least one critical risk is measured.",
    "high": "At risk: high risks are measured and need mitigation before deployment.",
    "medium": "Moderate: measured risks are medium; mitigate the top ones and re-assess.",
    "low": "Low measured risk for the threats that were simulated.",
    "unknown": "Not assessed: no attack results to score yet.",
}
UNTESTED_LEVELS = ("high", "critical")
SETS_POSTURE = ("in_threat_model", "no_threat_model")


def removed_threats(
    attacks: list[dict[str, Any]], threat: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Threats no attack inside the threat model tested because the model no longer grants
    their access (a stress test beyond the attacker model may still have run)."""
    if not threat:
        return []
    done = {
        tid
        for a in attacks
        if a.get("status") == "done" and a.get("scope") == "in_threat_model"
        for tid in a.get("threat_ids", [])
    }
    notes: dict[str, list[str]] = {}
    for a in attacks:
        if a.get("status") == "not_applicable" and a.get("scope") == "in_threat_model":
            for tid in a.get("threat_ids", []):
                notes.setdefault(tid, []).append(a.get("note") or a["attack"])
    return [
        {"id": t["id"], "title": t["title"], "level": t["level"], "why": notes[t["id"]][0]}
        for t in threat.get("threats", [])
        if t["id"] in notes and t["id"] not in done
    ]


def untested_threats(
    attacks: list[dict[str, Any]], threat: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Threats of level high or critical that no finished attack inside the model tested."""
    if not threat:
        return []
    tested = {
        tid
        for a in attacks
        if a.get("status") == "done" and a.get("scope") == "in_threat_model"
        for tid in a.get("threat_ids", [])
    }
    stressed = {
        tid
        for a in attacks
        if a.get("status") == "done" and a.get("scope") == "stress_test"
        for tid in a.get("threat_ids", [])
    }
    planned: dict[str, list[dict[str, Any]]] = {}
    for p in threat.get("plan", []):
        for tid in p.get("threat_ids", []):
            planned.setdefault(tid, []).append(p)
    removed = {t["id"] for t in removed_threats(attacks, threat)}
    out = []
    for t in threat.get("threats", []):
        if t["level"] not in UNTESTED_LEVELS or t["id"] in tested or t["id"] in removed:
            continue
        plans = planned.get(t["id"], [])
        if t["id"] in stressed:
            why = "only stress tests beyond the attacker model ran against it"
        elif any(p["status"] == "unavailable" for p in plans):
            names = ", ".join(p["name"] for p in plans if p["status"] == "unavailable")
            why = f"its planned attack ({names}) is not available in this installation"
        elif plans:
            why = "the profile left its planned attacks out"
        else:
            why = "no attack in Safe-DL simulates it"
        out.append({"id": t["id"], "title": t["title"], "level": t["level"], "why": why})
    return out


def verdict(
    risks: list[dict[str, Any]], attacks: list[dict[str, Any]], threat: dict[str, Any] | None
) -> dict[str, Any]:
    """The verdict: posture, completeness and headline (see the module docstring)."""
    counted = [r for r in risks if r.get("scope", "no_threat_model") in SETS_POSTURE]
    measured = max((r["pessimistic_band"] for r in counted), key=ORDER.index, default="unknown")
    untested = untested_threats(attacks, threat)
    headline = POSTURE[measured]
    if untested:
        names = "; ".join(f"{t['title']} ({t['level']})" for t in untested)
        headline = (
            f"Incomplete: {len(untested)} high or critical threat(s) were not tested — "
            f"{names}. The measured posture ({measured}) covers only what was tested."
        )
    elif measured == "unknown" and risks:
        headline = "Only stress tests ran: nothing inside the threat model was measured."
    removed = removed_threats(attacks, threat)
    if removed:
        names = "; ".join(t["title"] for t in removed)
        headline += f" Removed (the model no longer grants the access they need): {names}."
    return {
        "posture": measured,
        "complete": not untested,
        "headline": headline,
        "untested": untested,
        "removed": removed,
        "stress_tests": sum(1 for r in risks if r.get("scope") == "stress_test"),
        "outside_threat_model": sum(1 for a in attacks if a.get("scope") == "outside_threat_model"),
    }


__all__ = ["ORDER", "POSTURE", "removed_threats", "untested_threats", "verdict"]
