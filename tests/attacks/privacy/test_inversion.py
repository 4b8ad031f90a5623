"""Model inversion: reconstructions an independent classifier recognises, unlike the starts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.attacks.privacy.game import Game

from safedl.attacks.privacy import InversionResult, run_privacy_attack
from safedl.attacks.privacy.inversion_base import class_means
from safedl.defenses.output.policy import OutputPolicy, hardened_oracles
from safedl.models import local_oracles
from safedl.reporting.privacy_plots import plot_inversions


def test_mi_face_reconstructs_recognisable_class_representatives(
    game: Game, tmp_path: Path
) -> None:
    result = run_privacy_attack("mi_face", local_oracles(game.target), game.privacy)
    assert isinstance(result, InversionResult) and result.status == "done"
    acc, control = result.evaluator_accuracy, result.control_accuracy
    assert acc is not None and control is not None
    assert control.value == 0.1  # one black start image: the evaluator names one class
    assert acc.low > control.high, (acc, control)
    # Closer to their own class mean than the start was (on Fashion-MNIST the nearest class
    # mean is still another class's for most: the evaluator, not pixels, recognises them).
    d = result.distances
    assert d["to_own_class_mean"] < 0.9 * d["start_to_own_class_mean"]
    assert result.nearest_mean_accuracy is not None
    assert result.images is not None and float(result.images.min()) >= 0.0
    assert float(result.images.max()) <= 1.0
    assert result.queries == result.extra["image_steps"] * (2 * 20 + 1)
    entry = json.loads(json.dumps(result.to_dict()))
    assert entry["family"] == "privacy" and entry["attack"] == "mi_face"
    means = class_means(game.privacy, 10)[result.targets]
    png = plot_inversions(
        result.images, game.splits.classes, tmp_path / "inv.png", starts=result.starts, means=means
    )
    assert png.stat().st_size > 1000


def test_mi_face_needs_scores(game: Game) -> None:
    hardened = hardened_oracles(local_oracles(game.target), OutputPolicy("label"))
    result = run_privacy_attack("mi_face", hardened, game.privacy)
    assert result.status == "not_applicable" and result.queries == 0
