"""``safedl threat-model``: answers files, presets, profiles, show, and a real terminal session."""

from __future__ import annotations

import io
import os
import runpy
import sys
from pathlib import Path

import pytest
import yaml

from safedl.cli.app import main
from safedl.profiles import load_profile
from safedl.threat import PRESETS, QUESTIONS, assess, parse_answers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["threat-model", *args])
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def write_answers(path: Path, answers: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(answers))
    return path


def test_answers_file_writes_a_profile_with_the_available_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = {**PRESETS["cloud-api"].answers, "rate_limit": "strict"}
    src = write_answers(tmp_path / "a.yaml", answers)
    out = tmp_path / "my profile.yaml"
    code, stdout, err = cli(capsys, "--answers", str(src), "--out", str(out), "--base", "demo")
    assert code == 0, err
    assert "model-extraction" in stdout and "AML.T0024.002" in stdout and "wrote" in stdout
    profile = load_profile(out)
    assert profile.name == "my-profile" and profile.dataset.name == "digits"
    assert profile.threat_model.preset is None
    assert profile.threat_model.answers["rate_limit"] == "strict"
    assert profile.threat_model.answers["input_control"] == ["digital"]
    expected = assess(answers, require_all=True)
    assert [(a.name, a.params) for a in profile.attacks] == [
        (p.name, p.params) for p in expected.available()
    ]
    assert all(a.params["max_queries"] == 1000 for a in profile.attacks if a.name == "square")
    text = out.read_text()
    assert text.startswith("# Written by `safedl threat-model`")
    for p in expected.unavailable():
        assert f"#   - {p.name} " in text


def test_preset_with_partial_answers_and_existing_file_needs_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "p.yaml"
    out.write_text("keep me\n")
    partial = write_answers(tmp_path / "a.yaml", {"response_content": "label"})
    args = ("--preset", "cloud-api", "--answers", str(partial), "--out", str(out))
    code, _, err = cli(capsys, *args)
    assert code == 2 and "file exists" in err and "--force" in err
    assert out.read_text() == "keep me\n"
    code, _, err = cli(capsys, *args, "--force")
    assert code == 0, err
    profile = load_profile(out)
    assert profile.threat_model.preset == "cloud-api"
    assert profile.threat_model.answers["response_content"] == "label"
    assert profile.threat_model.answers["model_value"] == "high"  # from the preset
    assert not {"square", "nes", "spsa"} & {a.name for a in profile.attacks}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"qery_access": "public"}, ["qery_access: unknown question", "'query_access'"]),
        ({"rate_limit": "sometimes"}, ["rate_limit: 'sometimes'", "strict, moderate, none"]),
    ],
)
def test_bad_answers_file_is_one_message_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    answers: dict[str, object],
    expected: list[str],
) -> None:
    src = write_answers(tmp_path / "a.yaml", {**PRESETS["cloud-api"].answers, **answers})
    code, _, err = cli(capsys, "--answers", str(src), "--out", str(tmp_path / "p.yaml"))
    assert code == 2 and "Traceback" not in err and str(src) in err
    for part in expected:
        assert part in err
    assert not (tmp_path / "p.yaml").exists()


def test_missing_answers_without_preset_and_broken_yaml_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = dict(PRESETS["cloud-api"].answers)
    del answers["capability"]
    src = write_answers(tmp_path / "a.yaml", answers)
    code, _, err = cli(capsys, "--answers", str(src), "--out", str(tmp_path / "p.yaml"))
    assert code == 2 and "capability: missing answer" in err and "low, medium, high" in err
    broken = tmp_path / "b.yaml"
    broken.write_text("modality: [natural\n")
    code, _, err = cli(capsys, "--answers", str(broken), "--out", str(tmp_path / "p.yaml"))
    assert code == 2 and "invalid YAML" in err


def test_no_terminal_and_no_answers_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys)
    assert code == 2 and "not a terminal" in err and "--answers" in err


def test_example_answers_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, template, _ = cli(capsys, "--example-answers")
    assert code == 0 and all(f"\n{q.id}: unknown" in template for q in QUESTIONS)
    src = tmp_path / "a.yaml"
    src.write_text(template)
    code, stdout, err = cli(capsys, "--answers", str(src), "--out", str(tmp_path / "p.yaml"))
    assert code == 0, err
    assert "Gaps" in stdout and "weights_exposure" in stdout
    code, template, _ = cli(capsys, "--example-answers", "--preset", "traffic-sign")
    assert "weights_exposure: on_device" in template


def test_show_presets_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(capsys, "show", str(ROOT / "traffic_signs_profile.yaml"))
    assert code == 0, err
    assert "evasion-white-box" in out and "AML.T0041" in out and "Attack plan" in out
    code, out, _ = cli(capsys, "show", "medical-imaging", "--json")
    assert code == 0 and '"membership-inference"' in out
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: bare\n")
    code, _, err = cli(capsys, "show", str(bare))
    assert code == 2 and "no threat model" in err and f"--base {bare}" in err
    code, out, _ = cli(capsys, "presets")
    assert code == 0 and all(name in out for name in PRESETS)


def test_alias_script_runs_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "p.yaml"
    argv = ["threat_model_cli.py", "-q", "--preset", "internal-vetted", "--yes", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(str(ROOT / "threat_model_cli.py"), run_name="__main__")
    assert exc.value.code in (0, None), capsys.readouterr().err
    assert load_profile(out).threat_model.preset == "internal-vetted"


def test_interactive_questionnaire_in_a_real_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("questionary")
    out = tmp_path / "tm.yaml"
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "safedl", "threat-model", "--preset", "cloud-api", "--out", str(out)],
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=60,
    )
    down, space, enter = "\x1b[B", " ", "\r"
    try:
        for q in QUESTIONS:
            child.expect_exact(q.text)
            if q.id == "rate_limit":  # preset: moderate → one down → none
                child.send(down)
            elif q.id == "input_control":  # preset: [digital] → also tick physical
                child.send(down)
                child.send(space)
            child.send(enter)
        child.expect_exact("wrote")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    answers = parse_answers(load_profile(out).threat_model.answers)
    expected = {**PRESETS["cloud-api"].answers}
    expected.update(rate_limit="none", input_control=["digital", "physical"])
    assert answers == parse_answers(expected)
