"""``safedl defend NAME --attack ATTACK``: a poisoning defense measured alone, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safedl.cli.app import main
from safedl.cli.defend_poison import parse_attack
from safedl.errors import ConfigError


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_parse_attack() -> None:
    assert parse_attack("badnets") == ("badnets", {})
    assert parse_attack("badnets:poison_fraction=0.05,target_class=3") == (
        "badnets",
        {"poison_fraction": 0.05, "target_class": 3},
    )
    with pytest.raises(ConfigError):
        parse_attack("badnets:poison_fraction")


def test_defend_against_badnets_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = [
        "-q",
        "defend",
        "fine_tuning",
        "-p",
        "epochs=30",
        "-p",
        "lr=0.01",
        "--attack",
        "badnets:fraction=0.1",
    ]
    args += ["--epochs", "12", "--cache", str(tmp_path), "--json"]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    r = json.loads(out)
    for side in ("baseline", "defended"):
        assert 0 <= r[side]["clean_accuracy"] <= 1
        assert 0 <= r[side]["attack_success_rate"] <= 1
        assert r[side]["attack_success_rate_ci"]["n"] > 0
    assert r["baseline"]["attack_success_rate"] >= 0.9
    assert r["metrics"]["clean_samples"] > 0 and r["cost"]["latency_ms"] > 0
    assert r["defended"]["attack_success_rate"] < r["baseline"]["attack_success_rate"]


def test_defend_filter_reports_precision_and_recall(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["-q", "defend", "knn_label_filter", "--attack", "label_flip:poison_fraction=0.3"]
    args += ["--epochs", "6", "--cache", str(tmp_path), "--json"]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    d = json.loads(out)["detection"]
    assert 0.8 <= d["precision"] <= 1 and 0.8 <= d["recall"] <= 1
    assert d["precision_ci"]["low"] <= d["precision"] <= d["precision_ci"]["high"]
    code, out, err = cli(
        capsys,
        "defend",
        "knn_label_filter",
        "--attack",
        "label_flip:poison_fraction=0.3",
        "--epochs",
        "6",
        "--cache",
        str(tmp_path),
    )
    assert code == 0 and "precision" in out and "attack success" in out


def test_defend_attack_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "defend", "strip", "--attack", "pgd", "--cache", str(tmp_path))
    assert code == 2 and "poisoning or backdoor" in err
    code, _, err = cli(
        capsys, "defend", "strip", "--attack", "badnets:size", "--cache", str(tmp_path)
    )
    assert code == 2 and "key=value" in err
