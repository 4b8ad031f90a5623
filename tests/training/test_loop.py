"""The training loop: learns, is deterministic, early-stops, resumes to identical weights."""

from __future__ import annotations

from pathlib import Path

import torch

from safedl.config import ModelConfig, TrainingConfig
from safedl.data import DataSplits
from safedl.models import ModelAdapter, build_model
from safedl.store import ArtifactStore
from safedl.training import evaluate, train, train_or_load


def fresh(digits: DataSplits, seed: int = 0, name: str = "small_cnn") -> ModelAdapter:
    torch.manual_seed(seed)
    module = build_model(ModelConfig(name=name), digits.input_shape, digits.num_classes)
    return ModelAdapter(
        module, input_shape=digits.input_shape, num_classes=digits.num_classes, device="cpu"
    )


def weights(model: ModelAdapter) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.module.parameters()]


def test_training_learns_digits(digits: DataSplits) -> None:
    model = fresh(digits)
    _, before = evaluate(model, digits.test)
    result = train(model, digits.train, digits.val, TrainingConfig(epochs=8, lr=0.003), seed=0)
    _, after = evaluate(model, digits.test)
    assert before < 0.3 and after > 0.9
    assert result.epochs_run == 8 and len(result.history) == 8
    assert result.samples_per_second > 0
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_same_seed_same_weights_other_seed_differs(digits: DataSplits) -> None:
    cfg = TrainingConfig(epochs=2, optimizer="sgd", lr=0.05)
    a, b, c = fresh(digits), fresh(digits), fresh(digits)
    train(a, digits.train, None, cfg, seed=1)
    train(b, digits.train, None, cfg, seed=1)
    train(c, digits.train, None, cfg, seed=2)
    assert all(torch.equal(p, q) for p, q in zip(weights(a), weights(b), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(weights(a), weights(c), strict=True))


def test_early_stopping_keeps_best_epoch(digits: DataSplits) -> None:
    model = fresh(digits)
    cfg = TrainingConfig(epochs=60, lr=0.01, early_stopping_patience=2)
    result = train(model, digits.train, digits.val, cfg, seed=0)
    assert result.stopped_early and result.epochs_run < 60
    accs = [h["val_accuracy"] for h in result.history]
    assert result.best_val_accuracy == max(accs)
    assert result.best_epoch == accs.index(max(accs)) + 1
    _, val_acc = evaluate(model, digits.val)
    assert val_acc == result.best_val_accuracy


def test_resume_from_checkpoint_gives_identical_weights(digits: DataSplits, tmp_path: Path) -> None:
    cfg = TrainingConfig(epochs=4, lr=0.003)
    whole = fresh(digits)
    train(whole, digits.train, digits.val, cfg, seed=5)
    ckpt = tmp_path / "c.ckpt"
    first = fresh(digits)
    train(
        first,
        digits.train,
        digits.val,
        cfg.model_copy(update={"epochs": 2}),
        seed=5,
        checkpoint=ckpt,
    )
    # The interrupted job comes back with the full config and picks up at epoch 2.
    resumed = fresh(digits, seed=99)
    result = train(resumed, digits.train, digits.val, cfg, seed=5, checkpoint=ckpt)
    assert result.epochs_run == 4 and len(result.history) == 4
    assert all(torch.equal(p, q) for p, q in zip(weights(whole), weights(resumed), strict=True))


def test_train_or_load_reuses_stored_model(digits: DataSplits, tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    cfg = TrainingConfig(epochs=2)
    a = fresh(digits)
    key, meta, reused = train_or_load(
        store, a, digits.train, digits.val, cfg, seed=0, spec={"m": 1}
    )
    assert not reused and meta["training"]["epochs_run"] == 2
    assert not list(tmp_path.glob("*.ckpt"))
    b = fresh(digits, seed=42)
    key2, _, reused2 = train_or_load(store, b, digits.train, digits.val, cfg, seed=0, spec={"m": 1})
    assert reused2 and key2 == key
    assert all(torch.equal(p, q) for p, q in zip(weights(a), weights(b), strict=True))
    key3, _, _ = train_or_load(
        store, fresh(digits), digits.train, digits.val, cfg, seed=1, spec={"m": 1}
    )
    assert key3 != key
