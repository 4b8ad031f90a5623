"""``safedl defend``: one defense applied and re-evaluated alone, JSON shape and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safedl.cli.app import main


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_defend_json_has_baseline_defended_attacks_and_cost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["-q", "defend", "bit_depth_reduction", "-p", "bits=1", "--eps", "0.1"]
    args += ["--limit", "60", "--epochs", "4", "--cache", str(tmp_path), "--json"]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    result = json.loads(out)
    for side in ("baseline", "defended"):
        assert 0 <= result[side]["clean_accuracy"] <= 1
        assert 0 <= result[side]["robust_accuracy"] <= 1
    assert (
        result["defended"]["robust_accuracy"] <= result["defended"]["non_adaptive_robust_accuracy"]
    )
    assert any(a["adaptive"] for a in result["attacks"])
    assert any(not a["adaptive"] for a in result["attacks"])
    assert result["cost"]["latency_ms"] > 0


def test_defend_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "defend", "nope", "--cache", str(tmp_path))
    assert code == 2 and "unknown defense" in err
    code, _, err = cli(capsys, "defend", "jpeg", "-p", "qualityy=3", "--cache", str(tmp_path))
    assert code == 2 and "quality" in err


def test_defend_output_hardening_reruns_the_leakage_attacks_label_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["-q", "defend", "output_hardening", "--limit", "60", "--epochs", "4"]
    code, out, err = cli(capsys, *args, "--cache", str(tmp_path), "--json")
    assert code == 0, err
    result = json.loads(out)
    status = {(a["attack"], a["adaptive"]): a["status"] for a in result["attacks"]}
    # the score-based attack no longer applies to a label-only model: not a success, not a crash
    assert status[("loss_threshold", False)] == "not_applicable"
    # the attacks that need only labels ran against the hardened model
    assert status[("label_only", True)] == "done"
    assert status[("knockoff", True)] == "done" and status[("hopskipjump", True)] == "done"
    hard = next(a for a in result["attacks"] if a["attack"] == "knockoff" and a["adaptive"])
    assert hard["params"]["labels"] == "hard" and 0 <= hard["fidelity"] <= 1
    threats = {row["threat"] for row in result["privacy"]}
    assert threats == {"membership inference", "model stealing"}
    assert result["mitigation_claim"]["allowed"] is True
    # clean accuracy is unchanged: the labels the hardened model answers are the model's own
    assert result["defended"]["clean_accuracy"] == result["baseline"]["clean_accuracy"]
