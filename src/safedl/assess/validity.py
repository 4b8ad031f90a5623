"""Validity checks: automatic flags that say when an evasion evaluation cannot be trusted.

After AutoAttack's flags (Croce & Hein, 2020) and Carlini et al., "On Evaluating Adversarial
Robustness" (2019). Each check has a stable ID, a finding and a hint. A finding is an entry of
its own that names the model it ran on and the results (units) it concerns; a failed check
makes those results unreliable in the risk stage and the report (see
:func:`safedl.results.unreliable_because`) without editing them. A failed model-level check
(VC01, VC03, VC05) concerns every evasion result on that model.

| ID | check |
|---|---|
| VC01 | zero or vanishing input gradients (gradient masking, saturated softmax) |
| VC02 | a black-box attack beats every white-box attack at the same budget |
| VC03 | accuracy does not fall to about zero at a very large ε |
| VC04 | more steps and restarts lower robust accuracy further (attack not converged) |
| VC05 | the model's outputs are not deterministic |
| VC06 | an adversarial example lies outside its ε-ball or [0, 1] |
| VC07 | robust accuracy above the best published figure for the dataset and budget |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch.nn import functional as F

from safedl.assess.published import check_published
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS
from safedl.results import AttackEntry, EvasionEntry, Finding

#: ``basic`` runs the cheap checks (gradients, determinism, bounds, black-box vs white-box);
#: ``full`` adds the ones that attack again (very large ε, more steps and restarts).
CheckLevel = Literal["basic", "full"]


def _evasion(entries: Sequence[AttackEntry]) -> list[EvasionEntry]:
    """The checks concern finished evasion results only (not poisoning or privacy)."""
    return [e for e in entries if isinstance(e, EvasionEntry) and e.status == "done"]


def check_gradients(
    model: ModelAdapter, data: TensorData, batch_size: int = 256, *, name: str = "baseline"
) -> Finding:
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
        id="VC01",
        name="zero or vanishing gradients",
        status="pass" if ok else "fail",
        finding=f"{100 * share:.1f}% of evaluated examples have a zero input gradient",
        hint=""
        if ok
        else "gradient-based attacks are blind here (masking or saturation); trust "
        "black-box or adaptive attacks, or use a margin loss (APGD-DLR)",
        model=name,
        model_level=True,
    )


def check_blackbox_vs_whitebox(
    entries: Sequence[AttackEntry], *, name: str = "baseline"
) -> Finding:
    """VC02: a score- or label-based attack must not beat all white-box attacks at one budget."""
    groups: dict[tuple[str, float], dict[str, list[tuple[str, float]]]] = {}
    for e in _evasion(entries):
        if e.minimum_norm or e.robust_accuracy is None or e.unit is None:
            continue
        kind = "white" if (e.access or "white-box") == "white-box" else "black"
        key = (str(e.params.get("norm", "linf")), float(e.params.get("eps", 0)))
        groups.setdefault(key, {"white": [], "black": []})[kind].append(
            (e.unit, e.robust_accuracy.value)
        )
    bad: list[str] = []
    compared = False
    for g in groups.values():
        if g["white"] and g["black"]:
            compared = True
            best_white = min(v for _, v in g["white"])
            bad += [u for u, v in g["black"] if v < best_white - 0.02]
    if not compared:
        return Finding(
            id="VC02",
            name="black-box beats white-box",
            status="not_applicable",
            finding="no black-box and white-box attack share a budget",
            model=name,
        )
    return Finding(
        id="VC02",
        name="black-box beats white-box",
        status="fail" if bad else "pass",
        finding=f"{len(bad)} black-box attack(s) found lower robust accuracy than every "
        "white-box attack"
        if bad
        else "white-box attacks are at least as strong as black-box ones",
        hint="gradients are likely masked or obfuscated: the white-box numbers overestimate "
        "robustness"
        if bad
        else "",
        model=name,
        concerns=bad,
    )


def check_large_eps(
    model: ModelAdapter,
    data: TensorData,
    *,
    seed: int,
    batch_size: int = 256,
    name: str = "baseline",
) -> Finding:
    """VC03: PGD at ε = 0.5 (L∞) must bring accuracy to about zero."""
    res = ATTACKS.create("pgd", {"eps": 0.5, "steps": 20}, seed=seed).run(
        model, data, batch_size=batch_size
    )
    acc = res.robust_accuracy.value
    ok = acc <= 0.05
    return Finding(
        id="VC03",
        name="accuracy at very large ε",
        status="pass" if ok else "fail",
        finding=f"PGD-20 at ε = 0.5 (L∞) leaves {100 * acc:.1f}% accuracy",
        hint=""
        if ok
        else "an unbounded attack should reach ~0%: gradients are masked or the attack "
        "is misconfigured, so all robust accuracies are overestimates",
        model=name,
        model_level=True,
    )


def check_convergence(
    model: ModelAdapter,
    data: TensorData,
    entries: Sequence[AttackEntry],
    *,
    seed: int,
    batch_size: int = 256,
    name: str = "baseline",
) -> Finding:
    """VC04: rerun the plan's PGD with 4× steps and 2 restarts; accuracy must not drop much."""
    runs = [e for e in _evasion(entries) if e.attack == "pgd" and e.robust_accuracy is not None]
    if not runs:
        return Finding(
            id="VC04",
            name="more steps or restarts",
            status="not_applicable",
            finding="no PGD attack in the plan",
            model=name,
        )
    base = min(runs, key=lambda e: e.robust_accuracy.value if e.robust_accuracy else 1.0)
    params = {
        **base.params,
        "steps": 4 * int(base.params.get("steps", 20)),
        "restarts": max(2, int(base.params.get("restarts", 1))),
    }
    params.pop("step_size", None)
    n = len(data)
    stronger = ATTACKS.create("pgd", params, seed=seed + 1).run(model, data, batch_size=batch_size)
    before = ATTACKS.create("pgd", base.params, seed=seed).run(model, data, batch_size=batch_size)
    drop = before.robust_accuracy.value - stronger.robust_accuracy.value
    ok = drop <= max(0.02, 2.0 / n)
    return Finding(
        id="VC04",
        name="more steps or restarts",
        status="pass" if ok else "fail",
        finding=f"PGD with {params['steps']} steps × {params['restarts']} restarts changes "
        f"robust accuracy by {-100 * drop:+.1f} points on {n} examples",
        hint="" if ok else "the attack had not converged: raise steps/restarts in the plan",
        model=name,
        concerns=[] if ok or base.unit is None else [base.unit],
    )


def check_determinism(model: ModelAdapter, data: TensorData, *, name: str = "baseline") -> Finding:
    """VC05: two forward passes on the same inputs must give the same outputs."""
    x = data.x[:256]
    with model.attack_mode(), torch.no_grad():
        a = model.logits(x)
        b = model.logits(x)
    diff = float((a - b).abs().max().item()) if len(x) else 0.0
    ok = diff <= 1e-5
    return Finding(
        id="VC05",
        name="deterministic outputs",
        status="pass" if ok else "fail",
        finding=f"largest difference between two passes: {diff:.2e}",
        hint=""
        if ok
        else "randomised defenses need EOT attacks; single-run numbers are unreliable",
        model=name,
        model_level=True,
    )


def check_bounds(entries: Sequence[AttackEntry], *, name: str = "baseline") -> Finding:
    """VC06: every adversarial example inside its ε-ball and [0, 1]."""
    bad = [e.unit for e in entries if e.status == "done" and not getattr(e, "within_bounds", True)]
    units = [u for u in bad if u is not None]
    return Finding(
        id="VC06",
        name="examples inside the threat model",
        status="fail" if bad else "pass",
        finding=f"{len(bad)} attack(s) produced examples outside their ε-ball or [0, 1]"
        if bad
        else "every example lies inside its ε-ball and [0, 1]",
        hint="a bug in the attack: its numbers do not measure the stated threat" if bad else "",
        model=name,
        concerns=units,
    )


def run_checks(
    model: ModelAdapter,
    data: TensorData,
    entries: Sequence[AttackEntry],
    *,
    seed: int,
    batch_size: int = 256,
    level: CheckLevel = "full",
    name: str = "baseline",
    dataset: str | None = None,
) -> list[Finding]:
    """The checks of ``level`` on ``model`` (called ``name``) and its results ``entries``.

    ``dataset`` (its registered name) enables VC07, the published-ceiling check.
    """
    findings = [
        check_gradients(model, data, batch_size, name=name),
        check_blackbox_vs_whitebox(entries, name=name),
    ]
    if level == "full":
        findings.append(check_large_eps(model, data, seed=seed, batch_size=batch_size, name=name))
        findings.append(
            check_convergence(model, data, entries, seed=seed, batch_size=batch_size, name=name)
        )
    findings.append(check_determinism(model, data, name=name))
    findings.append(check_bounds(entries, name=name))
    if dataset is not None:
        findings.append(check_published(entries, dataset, name=name))
    return findings


__all__ = [
    "CheckLevel",
    "check_blackbox_vs_whitebox",
    "check_bounds",
    "check_convergence",
    "check_determinism",
    "check_gradients",
    "check_large_eps",
    "run_checks",
]
