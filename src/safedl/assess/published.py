"""VC07: robust accuracy above the best published figure for the dataset and budget.

A measured robust accuracy well above what the field's strongest defenses reach on the same
dataset at the same (or a smaller) budget is far more often a broken evaluation — gradient
masking, an attack that did not converge, a bug — than a breakthrough (Carlini et al., "On
Evaluating Adversarial Robustness", 2019, §5). The ceilings below are the best figures we
know of, rounded up, and the source of each; robust accuracy can only fall as ε grows, so a
ceiling applies to every budget at least as large as its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safedl.results import AttackEntry, EvasionEntry, Finding


@dataclass(frozen=True)
class Ceiling:
    """The best published robust accuracy for a dataset at a budget, rounded up."""

    dataset: str
    norm: str
    eps: float
    robust_accuracy: float
    source: str


CEILINGS: tuple[Ceiling, ...] = (
    Ceiling(
        "fashion_mnist",
        "linf",
        0.1,
        0.80,
        "PGD-AT 68.1%, TRADES 72.4%, IBP 78.4% (PGD-20); above ~80% is suspicious",
    ),
    Ceiling("mnist", "linf", 0.3, 0.96, "best AutoAttack figures on MNIST at ε = 0.3 are ~93–96%"),
    Ceiling(
        "cifar10",
        "linf",
        8 / 255,
        0.75,
        "RobustBench's best CIFAR-10 L∞ 8/255 models reach ~71–74% under AutoAttack",
    ),
    Ceiling("cifar10", "l2", 0.5, 0.85, "RobustBench's best CIFAR-10 L2 0.5 models reach ~82–84%"),
)


def _dataset_key(name: str | None) -> str:
    return (name or "").lower().replace("-", "_").replace(" ", "_")


def check_published(
    entries: Sequence[AttackEntry], dataset: str | None, *, name: str = "baseline"
) -> Finding:
    """VC07: no evasion result above the published ceiling at its dataset and budget."""
    key = _dataset_key(dataset)
    ceilings = [c for c in CEILINGS if c.dataset == key]
    if not ceilings:
        return Finding(
            id="VC07",
            name="robustness within the published state of the art",
            status="not_applicable",
            finding=f"no published ceiling is recorded for dataset {dataset!r}",
            model=name,
        )
    above: list[tuple[EvasionEntry, float, Ceiling]] = []
    for e in entries:
        if not isinstance(e, EvasionEntry) or e.status != "done" or e.robust_accuracy is None:
            continue
        if e.minimum_norm or e.params.get("targeted") or "eps" not in e.params:
            continue
        norm, eps = str(e.params.get("norm", "linf")), float(e.params["eps"])
        robust = e.robust_accuracy.value
        for c in ceilings:
            if c.norm == norm and eps >= c.eps - 1e-9 and robust > c.robust_accuracy:
                above.append((e, robust, c))
                break
    if not above:
        return Finding(
            id="VC07",
            name="robustness within the published state of the art",
            status="pass",
            finding="no robust accuracy exceeds the best published figure at its budget",
            model=name,
        )
    e, robust, c = above[0]
    return Finding(
        id="VC07",
        name="robustness within the published state of the art",
        status="fail",
        finding=f"{len(above)} result(s) above the published ceiling: {e.label or e.attack} "
        f"reports {100 * robust:.1f}% robust (ceiling "
        f"{100 * c.robust_accuracy:.0f}% at {c.norm} ε ≥ {c.eps:.3g}: {c.source})",
        hint="suspicious: confirm with a gradient-free attack at full budget (Square, 5 000 "
        "queries), AutoAttack and BPDA/EOT before trusting it",
        model=name,
        concerns=[x.unit for x, _, _ in above if x.unit is not None],
    )


__all__ = ["CEILINGS", "Ceiling", "check_published"]
