"""Defense figures: the Pareto front is the non-dominated set; both plots write real PNGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from safedl.evaluation.metrics import rate
from safedl.reporting.defense_plots import (
    certified_curve,
    pareto_front,
    plot_certified,
    plot_pareto,
)


def test_pareto_front_keeps_only_non_dominated_points() -> None:
    points = [(0.88, 0.03), (0.81, 0.645), (0.87, 0.04), (0.80, 0.60), (0.81, 0.50)]
    assert pareto_front(points) == [1, 2, 0]
    assert pareto_front([(0.5, 0.5), (0.5, 0.5)]) == [0, 1]  # ties dominate nobody
    assert pareto_front([]) == []


def _model(name: str, clean: float, robust: float, plain: float) -> dict[str, Any]:
    return {
        "model": name,
        "clean": {
            "baseline": rate(880, 1000).to_dict(),
            "defended": rate(int(clean * 1000), 1000).to_dict(),
        },
        "budgets": [
            {
                "norm": "linf",
                "eps": 0.1,
                "baseline_robust_accuracy": rate(30, 1000).to_dict(),
                "robust_accuracy": rate(int(robust * 1000), 1000).to_dict(),
                "non_adaptive_robust_accuracy": rate(int(plain * 1000), 1000).to_dict(),
            }
        ],
    }


def test_plots_write_pngs(tmp_path: Path) -> None:
    models = [_model("pgd_at", 0.81, 0.645, 0.645), _model("jpeg", 0.87, 0.05, 0.9)]
    pareto = plot_pareto(models, {"pgd_at": 3.0, "jpeg": 1.0}, tmp_path / "plots" / "p.png")
    certified = {
        "curve": [
            {"radius": r, **rate(k, 100).to_dict()} for r, k in [(0.0, 90), (0.25, 80), (0.5, 60)]
        ]
    }
    cert = plot_certified(
        {"σ=0.25": certified_curve(certified)}, tmp_path / "cert.png", caps={"σ=0.25": 0.61}
    )
    for path in (pareto, cert):
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size[0] > 300
