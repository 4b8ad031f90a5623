"""Validity checks: automatic flags that say when an evasion evaluation cannot be trusted.

After AutoAttack's flags (Croce & Hein, 2020) and Carlini et al., "On Evaluating Adversarial
Robustness" (2019). Each check has a stable ID, a finding and a hint. A failed check marks the
results it concerns as unreliable in the record and in the report.

| ID | check |
|---|---|
| VC01 | zero or vanishing input gradients (gradient masking, saturated softmax) |
| VC02 | a black-box attack beats every white-box attack at the same budget |
| VC03 | accuracy does not fall to about zero at a very large ε |
| VC04 | more steps and restarts lower robust accuracy further (attack not converged) |
| VC05 | the model's outputs are not deterministic |
| VC06 | an adversarial example lies outside its ε-ball or [0, 1] |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import torch
from torch.nn import functional as F

from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

Status = Literal["pass", "fail", "not_applicable"]


def _evasion(result: dict[str, Any]) -> bool:
    """The checks concern finished evasion results only (not poisoning or privacy)."""
    return result.get("status") == "done" and result.get("family", "evasion") == "evasion"


@dataclass
class Finding:
    """The outcome of one check."""

    id: str
    name: str
    status: Status
    finding: str
    hint: str = ""
    attacks: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_gradients(model: ModelAdapter, data: TensorData, batch_size: int = 256) -> Finding:
    """VC01: share of examples whose loss gradient with respect to the input is (near) zero."""
    zero = torch.zeros(0, dtype=torch.bool)
    with model.attack_mode():
        parts = []
        for i in range(0, len(data), batch_size):
            x = data.x[i : i + batch_size].to(model.device).requires_grad_(True)
            y = data.y[i : i + batch_size].to(model.device)
            (g,) = torch.autograd.grad(F.cross_entropy(model.logits(x), y, reduction="sum"), x)
            parts.append((g.flatten(1).abs().amax(1) < 1e-10).cpu())
        zero = torch.cat(parts) if parts else zero
    share = float(zero.float().mean().item()) if len(zero) else 0.0
    ok = share <= 0.1
    return Finding(
        "VC01",
        "zero or vanishing gradients",
        "pass" if ok else "fail",
        f"{100 * share:.1f}% of evaluated examples have a zero input gradient",
        ""
        if ok
        else "gradient-based attacks are blind here (masking or saturation); trust "
        "black-box or adaptive attacks, or use a margin loss (APGD-DLR)",
    )


def check_blackbox_vs_whitebox(results: Sequence[dict[str, Any]]) -> Finding:
    """VC02: a score- or label-based attack must not beat all white-box attacks at one budget."""
    groups: dict[tuple[str, float], dict[str, list[tuple[int, float]]]] = {}
    for i, r in enumerate(results):
        if not _evasion(r) or r.get("minimum_norm"):
            continue
        access = ATTACKS.get(r["attack"]).access if r["attack"] in ATTACKS else "white-box"
        kind = "white" if access == "white-box" else "black"
        key = (r["params"].get("norm", "linf"), float(r["params"].get("eps", 0)))
        groups.setdefault(key, {"white": [], "black": []})[kind].append(
            (i, r["robust_accuracy"]["value"])
        )
    bad: list[int] = []
    compared = False
    for g in groups.values():
        if g["white"] and g["black"]:
            compared = True
            best_white = min(v for _, v in g["white"])
            bad += [i for i, v in g["black"] if v < best_white - 0.02]
    if not compared:
        return Finding(
            "VC02",
            "black-box beats white-box",
            "not_applicable",
            "no black-box and white-box attack share a budget",
        )
    return Finding(
        "VC02",
        "black-box beats white-box",
        "fail" if bad else "pass",
        f"{len(bad)} black-box attack(s) found lower robust accuracy than every white-box attack"
        if bad
        else "white-box attacks are at least as strong as black-box ones",
        "gradients are likely masked or obfuscated: the white-box numbers overestimate robustness"
        if bad
        else "",
        bad,
    )


def check_large_eps(
    model: ModelAdapter, data: TensorData, *, seed: int, batch_size: int = 256
) -> Finding:
    """VC03: PGD at ε = 0.5 (L∞) must bring accuracy to about zero."""
    res = ATTACKS.create("pgd", {"eps": 0.5, "steps": 20}, seed=seed).run(
        model, data, batch_size=batch_size
    )
    acc = res.robust_accuracy.value
    ok = acc <= 0.05
    return Finding(
        "VC03",
        "accuracy at very large ε",
        "pass" if ok else "fail",
        f"PGD-20 at ε = 0.5 (L∞) leaves {100 * acc:.1f}% accuracy",
        ""
        if ok
        else "an unbounded attack should reach ~0%: gradients are masked or the attack "
        "is misconfigured, so all robust accuracies are overestimates",
    )


def check_convergence(
    model: ModelAdapter,
    data: TensorData,
    results: Sequence[dict[str, Any]],
    *,
    seed: int,
    batch_size: int = 256,
) -> Finding:
    """VC04: rerun the plan's PGD with 4× steps and 2 restarts; accuracy must not drop much."""
    runs = [(i, r) for i, r in enumerate(results) if _evasion(r) and r.get("attack") == "pgd"]
    if not runs:
        return Finding(
            "VC04", "more steps or restarts", "not_applicable", "no PGD attack in the plan"
        )
    i, base = min(runs, key=lambda t: t[1]["robust_accuracy"]["value"])
    params = {
        **base["params"],
        "steps": 4 * int(base["params"].get("steps", 20)),
        "restarts": max(2, int(base["params"].get("restarts", 1))),
    }
    params.pop("step_size", None)
    n = len(data)
    stronger = ATTACKS.create("pgd", params, seed=seed + 1).run(model, data, batch_size=batch_size)
    before = ATTACKS.create("pgd", base["params"], seed=seed).run(
        model, data, batch_size=batch_size
    )
    drop = before.robust_accuracy.value - stronger.robust_accuracy.value
    ok = drop <= max(0.02, 2.0 / n)
    return Finding(
        "VC04",
        "more steps or restarts",
        "pass" if ok else "fail",
        f"PGD with {params['steps']} steps × {params['restarts']} restarts changes robust "
        f"accuracy by {-100 * drop:+.1f} points on {n} examples",
        "" if ok else "the attack had not converged: raise steps/restarts in the plan",
        [] if ok else [i],
    )


def check_determinism(model: ModelAdapter, data: TensorData) -> Finding:
    """VC05: two forward passes on the same inputs must give the same outputs."""
    x = data.x[:256]
    with model.attack_mode(), torch.no_grad():
        a = model.logits(x)
        b = model.logits(x)
    diff = float((a - b).abs().max().item()) if len(x) else 0.0
    ok = diff <= 1e-5
    return Finding(
        "VC05",
        "deterministic outputs",
        "pass" if ok else "fail",
        f"largest difference between two passes: {diff:.2e}",
        "" if ok else "randomised defenses need EOT attacks; single-run numbers are unreliable",
    )


def check_bounds(results: Sequence[dict[str, Any]]) -> Finding:
    """VC06: every adversarial example inside its ε-ball and [0, 1]."""
    bad = [
        i
        for i, r in enumerate(results)
        if r.get("status") == "done" and not r.get("within_bounds", True)
    ]
    return Finding(
        "VC06",
        "examples inside the threat model",
        "fail" if bad else "pass",
        f"{len(bad)} attack(s) produced examples outside their ε-ball or [0, 1]"
        if bad
        else "every example lies inside its ε-ball and [0, 1]",
        "a bug in the attack: its numbers do not measure the stated threat" if bad else "",
        bad,
    )


def run_checks(
    model: ModelAdapter,
    data: TensorData,
    results: Sequence[dict[str, Any]],
    *,
    seed: int,
    batch_size: int = 256,
) -> list[Finding]:
    """All checks; the model-level ones (VC01, VC03, VC05) concern every attack when they fail."""
    return [
        check_gradients(model, data, batch_size),
        check_blackbox_vs_whitebox(results),
        check_large_eps(model, data, seed=seed, batch_size=batch_size),
        check_convergence(model, data, results, seed=seed, batch_size=batch_size),
        check_determinism(model, data),
        check_bounds(results),
    ]


def mark_unreliable(results: list[dict[str, Any]], findings: Sequence[Finding]) -> None:
    """Set ``reliable`` and ``unreliable_because`` on each finished result in place.

    A failed model-level check (no attack named) concerns every evasion result; a check that
    names attacks concerns those, whatever their family.
    """
    for i, r in enumerate(results):
        if r.get("status") != "done":
            continue
        failed = [
            f.id
            for f in findings
            if f.status == "fail" and (i in f.attacks or (not f.attacks and _evasion(r)))
        ]
        r["reliable"] = not failed
        r["unreliable_because"] = failed
