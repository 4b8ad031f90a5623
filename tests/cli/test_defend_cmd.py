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
