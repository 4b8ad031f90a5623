"""A profile with ``target:``: the whole pipeline against a live server, black-box only.

The served model is the session's digits baseline; the profile names the same dataset and
seed, so the attacker's view (its data, its assumed architecture) matches what is served.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safedl.config.profile import PluginSpec, Profile
from safedl.errors import ConfigError
from safedl.pipeline.run import run_profile
from safedl.pipeline.stages.remote_plan import MEMBERS, TRAINING, WHITE_BOX, why_not_remote

from .conftest import ALICE


def _profile(url: str, out: Path, **target: object) -> Profile:
    return Profile.model_validate(
        {
            "name": "remote-target",
            "dataset": {"name": "digits"},
            "model": {"name": "small_cnn"},
            "training": {"epochs": 4, "batch_size": 64, "lr": 0.002},
            "target": {"url": url, "api_key_env": "SAFEDL_TEST_KEY", **target},
            "attacks": [
                {"name": "square", "params": {"eps": 0.3, "max_queries": 40}},
                {"name": "pgd", "params": {"eps": 0.1, "steps": 5}},
                {"name": "badnets", "params": {"poison_fraction": 0.1}},
                {"name": "loss_threshold"},
                {"name": "knockoff", "params": {"max_queries": 300, "epochs": 4}},
            ],
            "defenses": [{"name": "jpeg"}],
            "evaluation": {"samples": 30, "batch_size": 64},
            "output": {"dir": str(out), "formats": ["md", "json", "html"]},
            "device": "cpu",
        }
    )


def _served(log: Path) -> int:
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    return sum(e.get("n", 0) for e in lines if e["client"] == "alice" and e["status"] == 200)


@pytest.mark.slow
def test_a_profile_assesses_a_served_model_through_its_queries(
    serve, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    out = tmp_path / "remote-run"
    with serve() as url:
        run = run_profile(_profile(url, out, trained_on_dataset=True), out=out)
    record = run.record
    base = record.result("baseline")
    assert base["source"] == "remote" and base["model"]["endpoint"] == url
    assert base["model_id"].startswith("remote-")
    assert base["test_accuracy"]["value"] > 0.85  # the served model is the ~97% baseline

    attacks = record.result("attacks")
    ran = {a["attack"]: a for a in attacks["attacks"]}
    assert set(ran) == {"square", "loss_threshold", "knockoff"}
    assert all(a["status"] == "done" for a in ran.values())
    assert ran["square"]["attack_success_rate"]["value"] > 0.2
    assert ran["knockoff"]["fidelity"]["value"] > 0.3
    assert 0.0 <= ran["loss_threshold"]["auc"] <= 1.0
    left = {a["name"]: a["why"] for a in attacks["left_out"]}
    assert left == {"pgd": WHITE_BOX, "badnets": TRAINING}
    assert set(attacks["skipped"]) == {"curves", "validity"} and not attacks["validity"]

    assert record.stages["defenses"]["status"] == "skipped"
    assert "served target" in (record.stages["defenses"].get("note") or "")
    assert record.stages["reevaluation"]["status"] == "skipped"
    assert record.result("risk")["verdict"]["posture"] in ("low", "medium", "high", "critical")
    report = run.report_path.read_text()
    assert f"served at {url}" in report and "Not measured: validity" in report
    assert "- `pgd`: needs the model itself" in report
    # Every image the run sent reached the server and was counted there.
    assert _served(tmp_path / "requests.jsonl") >= base["queries"] + 30 * 2


def test_what_a_served_target_cannot_run(tmp_path) -> None:
    profile = _profile("http://127.0.0.1:9", tmp_path)
    why = {s.name: why_not_remote(s, profile) for s in profile.attacks}
    assert why == {
        "square": None,
        "pgd": WHITE_BOX,
        "badnets": TRAINING,
        "loss_threshold": MEMBERS,
        "knockoff": None,
    }
    assert why_not_remote(PluginSpec(name="hopskipjump"), profile) is None
    assert why_not_remote(PluginSpec(name="label_only"), profile) == MEMBERS


def test_a_target_with_weights_a_wrong_dataset_or_no_key_is_refused(
    serve, tmp_path, monkeypatch
) -> None:
    with pytest.raises(ValueError, match="keep one"):
        Profile.model_validate(
            {"name": "x", "target": {"url": "http://127.0.0.1:9"}, "model": {"weights": "w.pt"}}
        )
    rng = np.random.default_rng(0)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x=rng.random((60, 10, 10), dtype=np.float32), y=np.arange(60) % 10)
    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    profile = _profile("http://127.0.0.1:9", tmp_path / "r")
    with serve() as url:
        bad = Profile.model_validate(
            {
                **profile.model_dump(),
                "target": {"url": url, "api_key_env": "SAFEDL_TEST_KEY"},
                "dataset": {"name": f"npz:{wrong}"},
            }
        )
        with pytest.raises(ConfigError, match=r"target.url .*shape \[1, 8, 8\].*\[1, 10, 10\]"):
            run_profile(bad, out=tmp_path / "wrong")
    monkeypatch.delenv("SAFEDL_TEST_KEY")
    with pytest.raises(ConfigError, match=r"target\.api_key_env SAFEDL_TEST_KEY"):
        run_profile(profile, out=tmp_path / "nokey")
