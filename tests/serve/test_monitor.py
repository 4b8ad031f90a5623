"""Refuse and header actions, PRADA in the request path, and ``safedl monitor report`` on the
log: flags per detector and client, score plots, flagged inputs exported as an npz dataset."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch

from safedl.cli.app import main
from safedl.data import DataSplits
from safedl.serve.monitor_report import read_log

from .conftest import ADMIN, ALICE

H = {"Authorization": f"Bearer {ALICE}"}


def test_refuse_header_prada_and_monitor_report(
    serve, digits: DataSplits, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    detectors = [
        {"name": "energy", "action": "refuse", "params": {"target_fpr": 0.05}},
        {"name": "knn_distance", "action": "header"},
        {"name": "feature_squeezing", "action": "log"},
        {"name": "prada", "action": "log", "params": {"threshold": 0.9}},
    ]
    noise = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with serve(detectors=detectors, flagged_dir="flagged") as url:
        info = httpx.get(f"{url}/v1/model", headers=H).json()
        assert [d["name"] for d in info["detectors"]] == [d["name"] for d in detectors]
        assert "threshold" not in info["detectors"][0]  # thresholds are for admins only
        clean = [
            httpx.post(f"{url}/v1/predict", json=[x.tolist()], headers=H)
            for x in digits.test.x[:40]
        ]
        odd = [httpx.post(f"{url}/v1/predict", json=[x.tolist()], headers=H) for x in noise]
    codes = [r.status_code for r in clean]
    assert codes.count(200) >= 34  # about 5% of clean images refused, by calibration
    refused = [r for r in odd if r.status_code == 403]
    assert len(refused) >= 6 and refused[0].json() == {
        "error": "request refused by the monitoring policy"
    }
    assert any("knn_distance" in r.headers.get("X-SafeDL-Flags", "") for r in clean + odd)

    log = tmp_path / "requests.jsonl"
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    assert all(set(e["detectors"]) == {d["name"] for d in detectors} for e in lines)
    assert lines[-1]["detectors"]["prada"]["flagged"] in (True, False)
    out = tmp_path / "flagged.npz"
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "monitor", "report", str(log), "--json", "--plots", str(tmp_path / "plots"),
                "--export", str(out), "--flagged-dir", str(tmp_path / "flagged"),
            ]
        )  # fmt: skip
    assert exc.value.code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"] == 48 and summary["requests_by_client"] == {"alice": 48}
    assert summary["flags"]["energy"]["alice"] == len(refused) + codes.count(403)
    assert summary["clients_over_threshold"][0]["client"] == "alice"
    assert any(p.endswith("scores-energy.png") for p in summary["plots"])
    exported = np.load(out, allow_pickle=False)
    assert exported["x"].shape[1:] == (1, 8, 8) and len(exported["x"]) == summary["flagged_images"]
    assert set(exported.files) == {"x", "y"} and exported["x"].min() >= 0
    kept = {p.stem: np.load(p) for p in (tmp_path / "flagged").glob("*.npy")}
    assert len(kept) == len(exported["x"])
    assert any(np.array_equal(exported["x"][0], v) for v in kept.values())

    with pytest.raises(SystemExit) as exc:  # the console table with alice as the benign stream
        main(["monitor", "report", str(log), "--benign", "alice"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "on the benign stream" in text and "energy" in text and "prada" in text


def test_monitor_report_bad_log(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "log.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(SystemExit) as exc:
        main(["monitor", "report", str(bad)])
    assert exc.value.code == 2 and "no request log lines" in capsys.readouterr().err


def test_sampled_and_second_opinion_detectors(serve, digits: DataSplits, tmp_path: Path) -> None:
    """STRIP runs only where energy flagged; feature squeezing on a seeded ~30% of requests."""
    detectors = [
        {"name": "energy", "action": "log", "params": {"target_fpr": 0.05}},
        {"name": "strip", "when": "flagged", "params": {"replicas": 16}},
        {"name": "feature_squeezing", "when": "sampled", "sample_rate": 0.3},
    ]
    noise = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with serve(detectors=detectors) as url:
        images = [*digits.test.x[:40], *noise]
        codes = [httpx.post(f"{url}/v1/predict", json=[x.tolist()], headers=H).status_code
                 for x in images]  # fmt: skip
        admin = {"Authorization": f"Bearer {ADMIN}"}
        info = httpx.get(f"{url}/v1/model", headers=admin).json()["detectors"]
    assert codes == [200] * 48
    assert [(d["name"], d["when"]) for d in info] == [
        ("energy", "always"), ("strip", "flagged"), ("feature_squeezing", "sampled")
    ]  # fmt: skip
    assert info[1]["replicas"] == 16 and info[2]["sample_rate"] == 0.3
    lines = [json.loads(s) for s in (tmp_path / "requests.jsonl").read_text().splitlines()]
    energy_flags = [e["detectors"]["energy"]["flagged"] for e in lines]
    ran_strip = ["strip" in e["detectors"] for e in lines]
    assert ran_strip == energy_flags and any(ran_strip)  # the noise is flagged by energy
    for e in lines:
        if "strip" in e["detectors"]:
            (entropy,) = e["detectors"]["strip"]["scores"]
            assert 0.0 <= entropy <= np.log2(10) + 1e-6  # bits, over 10 classes
    squeezed = sum("feature_squeezing" in e["detectors"] for e in lines)
    assert 5 <= squeezed <= 25, squeezed  # 0.3 x 48 = 14.4 expected
    summary = read_log(tmp_path / "requests.jsonl").to_dict(benign=["alice"])
    assert summary["benign"]["false_positive_rate"]["feature_squeezing"]["n"] == squeezed
