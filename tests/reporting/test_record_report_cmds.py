"""Record schema, re-rendering from the record alone, and comparing two runs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from safedl.cli.app import main
from safedl.pipeline.record import record_schema
from safedl.pipeline.run import run_profile
from safedl.profiles import profile_from_dict

QUICK = {
    "name": "rep",
    "training": {"epochs": 2},
    "attacks": [{"name": "fgsm", "params": {"eps": 0.2}}],
    "evaluation": {"samples": 40, "curves": False, "validity_checks": False},
}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("runs")
    a = run_profile(profile_from_dict(QUICK), out=base / "a").run_dir
    b = run_profile(profile_from_dict({**QUICK, "seed": 1}), out=base / "b").run_dir
    return a, b


def test_record_validates_against_published_schema(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    record = json.loads((runs[0] / "record.json").read_text())
    jsonschema.validate(record, record_schema())
    broken = {**record, "stages": {"x": {"status": "exploded"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, record_schema())
    code, out, _ = cli(capsys, "report", "schema")
    assert code == 0 and json.loads(out)["title"] == "RunRecord"


def test_report_rerenders_from_record_alone(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run = runs[0]
    (run / "report.md").unlink()
    (run / "artifacts").rename(run / "gone")  # nothing but the record (and plots) is read
    try:
        code, out, _ = cli(capsys, "report", str(run), "--format", "md")
        assert code == 0 and (run / "report.md").exists()
        code, out, _ = cli(capsys, "report", str(run), "--format", "json")
        assert json.loads(out)["profile"]["name"] == "rep"
        code, _, err = cli(capsys, "report", str(run), "--format", "pdf")
        assert code == 2 and "md, html or json" in err
    finally:
        (run / "gone").rename(run / "artifacts")
    code, _, err = cli(capsys, "report", str(run.parent))
    assert code == 2 and "record.json" in err


def test_compare_shows_changes(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "compare", str(runs[0]), str(runs[1]), "--json")
    diff = json.loads(out)
    assert code == 0 and diff["same_profile"] is False
    whats = {r["what"] for r in diff["rows"]}
    assert "clean test accuracy" in whats
    assert any(w.startswith("robust accuracy: fgsm") for w in whats)
    row = next(r for r in diff["rows"] if r["what"] == "clean test accuracy")
    assert row["delta"] == pytest.approx(row["b"] - row["a"])
    code, out, _ = cli(capsys, "compare", str(runs[0]), str(runs[0]))
    assert code == 0 and "+0.0 pts" in out
