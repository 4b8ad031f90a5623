"""Detector correctness: calibrated FPR on a second clean split, OOD AUROC, and the stateful
detector against a Square attack through the server versus a benign stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.defenses.base import DefenseContext
from safedl.errors import DataError
from safedl.evaluation.roc import roc_auc
from safedl.models import ModelAdapter, build_model
from safedl.registry import DEFENSES
from safedl.serve.config import hash_key
from safedl.serve.remote_attack import run_remote_attack
from safedl.store import ArtifactStore
from safedl.training import train

from .conftest import ALICE, BOB


@pytest.fixture(scope="module")
def fashion(tmp_path_factory: pytest.TempPathFactory) -> tuple[DefenseContext, DataSplits]:
    """An MLP trained 2 epochs on Fashion-MNIST (54,000 train, 6,000 val, 10,000 test)."""
    try:
        splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available offline ({exc})")
    torch.manual_seed(0)
    module = build_model(ModelConfig(name="mlp"), splits.input_shape, splits.num_classes)
    model = ModelAdapter(module, input_shape=splits.input_shape, num_classes=10, device="cpu")
    cfg = TrainingConfig(epochs=2, batch_size=256, lr=2e-3)
    train(model, splits.train, splits.val, cfg, seed=0)
    ctx = DefenseContext(
        baseline=model,
        baseline_id="fashion-mlp",
        splits=splits,
        training=cfg,
        new_model=lambda: model,
        model_spec={"name": "mlp"},
        store=ArtifactStore(tmp_path_factory.mktemp("store")),
        seed=0,
        device=torch.device("cpu"),
    )
    return ctx, splits


@pytest.mark.parametrize("name", ["energy", "knn_distance"])
@pytest.mark.parametrize("target", [0.05, 0.01])
def test_calibrated_fpr_holds_on_the_test_split(fashion, name: str, target: float) -> None:
    """Calibrated on the 6,000 validation images, measured on the 10,000 test images.

    Measured (MLP, 84.7% test accuracy): energy 4.96% at 5% and 1.03% at 1%; k-NN 5.16% and
    0.95% (feature squeezing, same protocol: 5.19% and 0.98%).
    """
    ctx, _ = fashion
    params = {"target_fpr": target, **({"bank_size": 5000} if name == "knn_distance" else {})}
    result = DEFENSES.create(name, params).apply(ctx)
    test_fpr = result.metrics["test_fpr"]
    assert test_fpr["n"] == 10_000 and result.metrics["calibration_samples"] == 6_000
    assert abs(test_fpr["value"] - target) <= 0.01, test_fpr
    assert result.metrics["threshold"] == pytest.approx(result.metrics["threshold"])


def _mnist_digits() -> torch.Tensor:
    try:
        return load_dataset(DatasetConfig(name="mnist"), seed=0).test.x
    except DataError as exc:
        pytest.skip(f"MNIST is not available offline ({exc})")


def _auroc(ctx: DefenseContext, name: str, ood: torch.Tensor) -> float:
    det = DEFENSES.create(name, {}).calibrate(ctx)
    ind = det.scores(ctx.splits.test.x)
    out = det.scores(ood)
    return roc_auc(torch.cat([ind, out]), torch.cat([torch.zeros(len(ind)), torch.ones(len(out))]))


@pytest.mark.slow
def test_ood_auroc_fashion_vs_mnist(fashion) -> None:
    """Fashion-MNIST test images in distribution, MNIST test digits out: AUROC ≥ 0.9."""
    ood = _mnist_digits()
    ctx, _ = fashion
    aurocs = {n: _auroc(ctx, n, ood) for n in ("energy", "knn_distance")}
    assert max(aurocs.values()) >= 0.9, aurocs


def test_ood_auroc_fashion_vs_upscaled_digits(fashion, digits: DataSplits) -> None:
    """Stand-in while MNIST is absent: the bundled 8x8 digits upscaled to 28x28 as OOD.

    Not the issue's benchmark (these digits are blurrier than MNIST), so it is kept beside
    it, not instead of it. Measured: k-NN 0.923, energy 0.815 (so the test asks the best).
    """
    ood = F.interpolate(digits.test.x, size=(28, 28), mode="bilinear", align_corners=False)
    ctx, _ = fashion
    aurocs = {n: _auroc(ctx, n, ood.clamp(0, 1)) for n in ("energy", "knn_distance")}
    assert max(aurocs.values()) >= 0.9, aurocs


def _log(path: Path, client: str) -> list[dict]:
    lines = [json.loads(s) for s in path.read_text().splitlines()]
    return [e for e in lines if e["client"] == client and e["status"] == 200]


def test_stateful_detector_flags_square_not_a_benign_stream(
    serve, digits: DataSplits, tmp_path: Path, monkeypatch
) -> None:
    """Square (3 images, 100 queries each) through the server vs as many distinct test images."""
    import httpx

    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    detectors = [{"name": "query_similarity", "action": "header"}, {"name": "energy"}]
    clients = {
        "alice": {"key_sha256": hash_key(ALICE), "rate": 1000, "burst": 1000},
        "bob": {"key_sha256": hash_key(BOB), "rate": 1000, "burst": 1000},
    }
    with serve(detectors=detectors, clients=clients) as url:
        run_remote_attack(
            "square",
            {"eps": 0.03, "max_queries": 100},
            url=url,
            api_key_env="SAFEDL_TEST_KEY",
            limit=3,
        )
        attack = _log(tmp_path / "requests.jsonl", "alice")
        n = sum(e["n"] for e in attack)
        benign = digits.test.x[
            torch.randperm(len(digits.test), generator=torch.Generator().manual_seed(1))
        ][:n]
        headers = {"Authorization": f"Bearer {BOB}"}
        flagged_header = 0
        with httpx.Client(headers=headers) as client:
            for i in range(0, n, 8):
                r = client.post(f"{url}/v1/predict", json=benign[i : i + 8].tolist())
                assert r.status_code == 200
                flagged_header += "X-SafeDL-Flags" in r.headers
    assert 100 <= n <= 360
    seen, first = 0, None
    for e in attack:  # the first request in which the detector fired: queries up to it
        seen += e["n"]
        if first is None and e["detectors"]["query_similarity"]["flagged"]:
            first = seen
    assert first is not None and first <= 300, first
    from safedl.serve.monitor_report import read_log

    summary = read_log(tmp_path / "requests.jsonl").to_dict()
    (row,) = [r for r in summary["clients_over_threshold"] if r["detector"] == "query_similarity"]
    assert row["client"] == "alice" and row["first_flag_within_queries"] == first
    benign_log = _log(tmp_path / "requests.jsonl", "bob")
    assert sum(e["n"] for e in benign_log) == n
    assert not any(e["detectors"]["query_similarity"]["flagged"] for e in benign_log)
    assert flagged_header == 0
    # The report of the log with bob as the benign stream: each detector's false-positive
    # rate on it, and within how many queries each detector caught alice's attack.
    report = read_log(tmp_path / "requests.jsonl").to_dict(benign=["bob"])
    fpr = report["benign"]["false_positive_rate"]
    assert fpr["query_similarity"]["k"] == 0 and fpr["query_similarity"]["n"] == len(benign_log)
    assert fpr["energy"]["n"] == len(benign_log)  # its flags per request of 8 images
    caught = {r["detector"]: r for r in report["detection"]}
    assert set(caught) == {"query_similarity", "energy"}
    assert caught["query_similarity"]["first_flag_within_queries"] == first
    assert all(r["client"] == "alice" and r["queries"] == n for r in caught.values())
