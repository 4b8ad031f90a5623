"""Compare two runs: what changed in metrics and risks between record A and record B."""

from __future__ import annotations

import json
from typing import Any

SHOWN = ("eps", "norm", "steps", "restarts", "targeted", "max_queries", "fraction")


def _key(a: dict[str, Any]) -> str:
    """Identity of an attack run across records: its name and all its parameters."""
    return f"{a['attack']} {json.dumps(a.get('params', {}), sort_keys=True)}"


def _label(key: str) -> str:
    """A readable label: the name and the parameters that usually tell runs apart."""
    name, _, blob = key.partition(" ")
    params = json.loads(blob)
    shown = [f"{k}={params[k]}" for k in SHOWN if params.get(k) not in (None, False)]
    return f"{name} {' '.join(shown)}".strip()


def _value(rate: dict[str, Any] | None) -> float | None:
    return None if not rate else float(rate["value"])


def compare_records(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Rows of (what, A, B, B − A) for baseline accuracy, each attack, worst case and risks."""
    rows: list[dict[str, Any]] = []

    def add(section: str, what: str, va: float | None, vb: float | None, unit: str) -> None:
        delta = None if va is None or vb is None else vb - va
        rows.append(
            {"section": section, "what": what, "a": va, "b": vb, "delta": delta, "unit": unit}
        )

    sa, sb = a.get("stages", {}), b.get("stages", {})
    ba = sa.get("baseline", {}).get("result", {})
    bb = sb.get("baseline", {}).get("result", {})
    add(
        "baseline",
        "clean test accuracy",
        _value(ba.get("test_accuracy")),
        _value(bb.get("test_accuracy")),
        "rate",
    )
    atk_a = {
        _key(x): x
        for x in sa.get("attacks", {}).get("result", {}).get("attacks", [])
        if x.get("status") == "done"
    }
    atk_b = {
        _key(x): x
        for x in sb.get("attacks", {}).get("result", {}).get("attacks", [])
        if x.get("status") == "done"
    }
    for k in sorted(set(atk_a) | set(atk_b)):
        add(
            "attacks",
            f"robust accuracy: {_label(k)}",
            _value(atk_a.get(k, {}).get("robust_accuracy")),
            _value(atk_b.get(k, {}).get("robust_accuracy")),
            "rate",
        )
    wa: dict[tuple[str, float], dict[str, Any]] = {
        (w["norm"], w["eps"]): w
        for w in sa.get("attacks", {}).get("result", {}).get("worst_case", [])
    }
    wb: dict[tuple[str, float], dict[str, Any]] = {
        (w["norm"], w["eps"]): w
        for w in sb.get("attacks", {}).get("result", {}).get("worst_case", [])
    }
    for budget in sorted(set(wa) | set(wb)):
        add(
            "worst case",
            f"{budget[0]} ε={budget[1]:g}",
            _value(wa.get(budget, {}).get("robust_accuracy")),
            _value(wb.get(budget, {}).get("robust_accuracy")),
            "rate",
        )
    ra = {
        _key(atk): r
        for r in sa.get("risk", {}).get("result", {}).get("risks", [])
        for atk in [sa["attacks"]["result"]["attacks"][r["index"]]]
    }
    rb = {
        _key(atk): r
        for r in sb.get("risk", {}).get("result", {}).get("risks", [])
        for atk in [sb["attacks"]["result"]["attacks"][r["index"]]]
    }
    changed_bands = []
    for k in sorted(set(ra) | set(rb)):
        add(
            "risk",
            f"score: {_label(k)}",
            ra.get(k, {}).get("score"),
            rb.get(k, {}).get("score"),
            "score",
        )
        band_a, band_b = ra.get(k, {}).get("rating"), rb.get(k, {}).get("rating")
        if band_a != band_b:
            changed_bands.append({"attack": _label(k), "a": band_a, "b": band_b})
    return {
        "a": {"profile": a.get("profile", {}), "created": a.get("created")},
        "b": {"profile": b.get("profile", {}), "created": b.get("created")},
        "same_profile": a.get("profile", {}).get("hash") == b.get("profile", {}).get("hash"),
        "rows": rows,
        "rating_changes": changed_bands,
    }
