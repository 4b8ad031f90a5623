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


def _defended(stages: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per defended model: clean, adaptive robust accuracy per budget and leakage per threat."""
    out: dict[str, dict[str, Any]] = {}
    for m in stages.get("reevaluation", {}).get("result", {}).get("models", []):
        name = m["model"]
        out[f"{name}: clean accuracy"] = {"value": _value(m["clean"]["defended"]), "unit": "rate"}
        for b in m.get("budgets", []):
            what = f"{name}: robust accuracy (adaptive worst case), {b['norm']} ε={b['eps']:g}"
            out[what] = {"value": _value(b["robust_accuracy"]), "unit": "rate"}
        for r in m.get("privacy", []):
            side = r.get("defended") or {}
            unit = "auc" if side.get("metric") == "auc" else "rate"
            out[f"{name}: {r['threat']} ({side.get('metric')})"] = {
                "value": side.get("value"),
                "unit": unit,
            }
    return out


def _defense_rows(sa: dict[str, Any], sb: dict[str, Any], add: Any) -> None:
    """The defenses section: each defended model's figures in A and B."""
    da, db = _defended(sa), _defended(sb)
    for what in sorted(da.keys() | db.keys()):
        unit = (da.get(what) or db.get(what) or {}).get("unit", "rate")
        add(
            "defenses",
            what,
            (da.get(what) or {}).get("value"),
            (db.get(what) or {}).get("value"),
            unit,
        )


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
    _defense_rows(sa, sb, add)
    return {
        "a": {"profile": a.get("profile", {}), "created": a.get("created")},
        "b": {"profile": b.get("profile", {}), "created": b.get("created")},
        "same_profile": a.get("profile", {}).get("hash") == b.get("profile", {}).get("hash"),
        "rows": rows,
        "rating_changes": changed_bands,
    }
