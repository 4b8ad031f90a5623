"""The safedl command: user errors are one message with exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from safedl.cli.app import main

ROOT = Path(__file__).resolve().parents[2]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_profile_validate_ok_and_bad(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "profile", "validate", "demo")
    assert code == 0 and "valid" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nattacks:\n  - name: pgd\n    params: {epz: 1}\n")
    code, out, err = cli(capsys, "profile", "validate", str(bad))
    assert code == 2
    assert "attacks.0.params.epz" in err and "'eps'" in err and str(bad) in err
    assert "Traceback" not in err


def test_profile_schema_presets_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "profile", "schema")
    assert code == 0 and json.loads(out)["title"] == "Profile"
    code, out, _ = cli(capsys, "profile", "presets")
    assert code == 0 and "demo" in out and "fashion-mnist" in out
    code, out, _ = cli(capsys, "profile", "show", "demo")
    assert code == 0 and out.startswith("version: 1")


def test_attacks_list_and_describe(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "attacks", "list")
    assert code == 0 and "pgd" in out and "fgsm" in out
    code, out, _ = cli(capsys, "attacks", "describe", "pgd")
    assert code == 0 and "Madry" in out and "restarts" in out
    code, _, err = cli(capsys, "attacks", "describe", "pgdd")
    assert code == 2 and "did you mean 'pgd'" in err
    code, out, _ = cli(capsys, "defenses", "list")
    assert code == 0


def test_run_quiet_with_bad_dataset_is_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(f"name: x\ndataset: {{name: 'npz:{tmp_path}/missing.npz'}}\n")
    code, _, err = cli(capsys, "--quiet", "run", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2 and "missing.npz" in err and "Traceback" not in err


def test_run_rejects_bad_device(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "run", "demo", "--device", "tpu")
    assert code == 2 and "--device" in err


def test_legacy_alias_runs_profile(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: alias\ntraining: {epochs: 2}\nattacks: [{name: fgsm}]\nevaluation: {samples: 40}\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run_framework.py"),
            "-q",
            "--profile",
            str(profile),
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "report.md").exists()
    bad = subprocess.run(
        [sys.executable, str(ROOT / "run_framework.py"), "--profile", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "file not found" in bad.stderr
