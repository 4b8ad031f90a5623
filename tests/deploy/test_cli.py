"""``safedl deploy check`` through the CLI: exit codes 0 / 1 / 2 and the output formats."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from safedl.cli.app import main

from .conftest import Keys, Server


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["deploy", "check", *args])
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "deploy.yaml"
    path.write_text(f"signing:\n  public_key: {keys.public}\nprobe:\n  oversized_bytes: 100000\n")
    return path


def test_fixed_project_exits_0(
    capsys: pytest.CaptureFixture[str], fixed_project: Path, run_dir: Path, config: Path
) -> None:
    code, out, err = cli(
        capsys, str(fixed_project), "--run", str(run_dir), "--config", str(config), "--offline"
    )
    assert code == 0, err
    assert "DC07" in out and "deploy check passed" in err
    code, out, _ = cli(
        capsys, str(fixed_project), "--run", str(run_dir), "--offline", "--format", "json",
        "--config", str(config),
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["summary"]["fail"] == 0 and data["summary"]["worst"] is None


def test_unsafe_project_exits_1(
    capsys: pytest.CaptureFixture[str], unsafe_project: Path, tmp_path: Path
) -> None:
    sarif = tmp_path / "deploy.sarif"
    code, _, err = cli(
        capsys, str(unsafe_project), "--offline", "--format", "sarif", "--output", str(sarif)
    )
    assert code == 1 and "deploy check failed" in err and "DC02" in err
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    code, out, _ = cli(capsys, str(unsafe_project), "--offline", "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert code == 1 and suite is not None and int(suite.get("failures", "0")) > 10


def test_fail_on_threshold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\nUSER app\n")  # DC15 (low) fails only
    code, _, err = cli(capsys, str(tmp_path), "--offline")
    assert code == 0 and "passed at --fail-on high" in err
    code, _, err = cli(capsys, str(tmp_path), "--offline", "--fail-on", "low")
    assert code == 1 and "DC15" in err
    markdown = tmp_path / "deploy.md"
    code, _, _ = cli(capsys, str(tmp_path), "--offline", "--output", str(markdown))
    assert code == 0 and markdown.read_text().startswith("## Deployment checks")


def test_probes_through_the_cli(
    capsys: pytest.CaptureFixture[str],
    passing_server: Server,
    run_dir: Path,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODEL_API_KEY", passing_server.state.api_key)
    code, out, err = cli(
        capsys, "--run", str(run_dir), "--url", passing_server.url,
        "--api-key-env", "MODEL_API_KEY", "--config", str(config), "--offline",
        "--format", "json", "--max-requests", "40",
    )  # fmt: skip
    data = json.loads(out)
    probes = [r for r in data["results"] if r["method"] == "probe"]
    assert code == 0, err
    assert {r["status"] for r in probes} == {"pass"} and data["probe"]["requests"] <= 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["does/not/exist"], "does/not/exist: no such file or folder"),
        (["--run", "{tmp}"], "no record.json here"),
        (["--url", "localhost:8000"], "not an http(s) URL"),
        (["--url", "http://127.0.0.1:9"], "cannot reach the server"),
        (["{tmp}", "--format", "xml"], "--format 'xml'"),
        (["{tmp}", "--fail-on", "severe"], "--fail-on 'severe'"),
        (["{tmp}", "--api-key-env", "SAFEDL_TEST_UNSET_VAR"], "SAFEDL_TEST_UNSET_VAR"),
        (["{tmp}", "--config", "{tmp}/bad.yaml"], "probe.max_request: unknown key"),
        (["{tmp}", "--config", "{tmp}/missing.yaml"], "cannot read the deploy config"),
        ([], "nothing to check"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bad.yaml").write_text("probe:\n  max_request: 5\n")
    code, _, err = cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2 and message in err and "Traceback" not in err, err


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, str(tmp_path), "--bogus")
    assert code == 2 and "--bogus" in err


def test_installed_command_gates_ci(unsafe_project: Path) -> None:
    """The installed ``safedl`` entry point exits 1 on the unsafe project."""
    exe = Path(sys.executable).with_name("safedl")
    proc = subprocess.run(
        [str(exe), "-q", "deploy", "check", str(unsafe_project), "--offline", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["worst"] == "critical"
