"""The one training loop: baseline, poisoned, defended, shadow and surrogate models all use it.

Seeded and deterministic on CPU: each epoch's shuffle and dropout noise are derived from
``(seed, epoch)``, so a run resumed from an epoch checkpoint ends with the same weights as an
uninterrupted one. Data stays as in-memory tensors; batches are index slices, not a DataLoader.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.progress import track
from safedl.training.checkpoint import load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)

#: Optional hook ``(logits_fn, x, y) -> loss`` that replaces plain cross-entropy
#: (adversarial training and robust losses plug in here).
LossFn = Callable[
    [Callable[[torch.Tensor], torch.Tensor], torch.Tensor, torch.Tensor], torch.Tensor
]


@dataclass
class TrainResult:
    """What training did: per-epoch history, the epoch kept, and the measured speed."""

    epochs_run: int
    best_epoch: int
    best_val_accuracy: float | None
    stopped_early: bool
    seconds: float
    samples_per_second: float
    history: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _seed_noise(value: int, device: torch.device) -> None:
    """Seed dropout and other in-model noise for one epoch, on the device that draws it.

    ``torch.manual_seed`` would also queue seeds for every lazily initialised accelerator
    backend (CUDA, XPU, MTIA), formatting a stack trace for each: about a millisecond per
    call, which shows in many short trainings (shadow models). Seeding only the generators
    the training uses gives the same numbers.
    """
    torch.default_generator.manual_seed(value)
    if device.type == "cuda":
        torch.cuda.manual_seed(value)


def _optimizer(params: Any, cfg: TrainingConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainingConfig) -> Any:
    if cfg.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    return None


@torch.inference_mode()
def evaluate(model: ModelAdapter, data: TensorData, batch_size: int = 1024) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``data``."""
    was_training = model.module.training
    model.module.eval()
    loss_sum = torch.zeros((), device=model.device)
    correct = torch.zeros((), device=model.device, dtype=torch.long)
    for i in range(0, len(data), batch_size):
        xb = data.x[i : i + batch_size].to(model.device, non_blocking=True)
        yb = data.y[i : i + batch_size].to(model.device, non_blocking=True)
        logits = model.logits(xb)
        loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum")
        correct += (logits.argmax(1) == yb).sum()
    model.module.train(was_training)
    n = max(len(data), 1)
    return float(loss_sum.item()) / n, float(correct.item()) / n


def train(
    model: ModelAdapter,
    train_data: TensorData,
    val_data: TensorData | None,
    cfg: TrainingConfig,
    *,
    seed: int,
    checkpoint: str | Path | None = None,
    loss_fn: LossFn | None = None,
    description: str = "training",
) -> TrainResult:
    """Train ``model`` in place and return what happened.

    Args:
        model: adapter around the module to train (normalisation happens inside it).
        train_data: training examples in [0, 1].
        val_data: validation examples; used for early stopping and choosing the best epoch.
        cfg: optimiser, epochs, batch size, schedule and early-stopping settings.
        seed: seed of shuffling, initial dropout noise and any randomness in ``loss_fn``.
        checkpoint: file for an epoch checkpoint; when it exists, training resumes from it.
        loss_fn: replaces cross-entropy; receives ``(model.logits, x, y)``.
        description: label of the progress bar.
    """
    module, device = model.module, model.device
    has_val = val_data is not None and len(val_data) > 0
    opt = _optimizer(module.parameters(), cfg)
    sched = _scheduler(opt, cfg)
    state: dict[str, Any] = {
        "epoch": 0,
        "history": [],
        "best_acc": -1.0,
        "best_epoch": 0,
        "bad_epochs": 0,
        "best_state": None,
        "stopped_early": False,
    }
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        state = load_checkpoint(ckpt, module, opt, sched)
        log.info("%s: resuming from epoch %d", description, state["epoch"])

    n = len(train_data)
    x_all = train_data.x.to(device)
    y_all = train_data.y.to(device)
    bs = cfg.batch_size
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    train_seconds = sum(h["seconds"] for h in state["history"])
    with track(description, total=cfg.epochs) as task:
        task.advance(state["epoch"])
        while state["epoch"] < cfg.epochs and not state["stopped_early"]:
            epoch = state["epoch"]
            start = time.perf_counter()
            gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
            _seed_noise(seed * 100_003 + epoch, device)
            perm = torch.randperm(n, generator=gen).to(device)
            module.train()
            losses: list[torch.Tensor] = []  # batch means, weighted and summed once per epoch
            for i in range(0, n, bs):
                idx = perm[i : i + bs]
                xb, yb = x_all[idx], y_all[idx]
                opt.zero_grad(set_to_none=True)
                if loss_fn is None:
                    loss = criterion(model.logits(xb), yb)
                else:
                    loss = loss_fn(model.logits, xb, yb)
                loss.backward()
                opt.step()
                losses.append(loss.detach())
            if sched is not None:
                sched.step()
            seconds = time.perf_counter() - start
            train_seconds += seconds
            sizes = torch.full((len(losses),), float(bs), device=device)
            if losses:
                sizes[-1] = n - bs * (len(losses) - 1)
            loss_sum = float((torch.stack(losses) * sizes).sum()) if losses else 0.0
            entry = {"epoch": epoch + 1, "train_loss": loss_sum / max(n, 1), "seconds": seconds}
            if has_val:
                assert val_data is not None
                entry["val_loss"], entry["val_accuracy"] = evaluate(model, val_data)
                if entry["val_accuracy"] > state["best_acc"]:
                    state["best_acc"], state["best_epoch"] = entry["val_accuracy"], epoch + 1
                    state["bad_epochs"] = 0
                    state["best_state"] = copy.deepcopy(module.state_dict())
                else:
                    state["bad_epochs"] += 1
                patience = cfg.early_stopping_patience
                if patience is not None and state["bad_epochs"] >= patience:
                    state["stopped_early"] = True
            else:
                state["best_epoch"] = epoch + 1
            state["history"].append(entry)
            state["epoch"] = epoch + 1
            log.debug("%s epoch %d: %s", description, epoch + 1, entry)
            if ckpt is not None:
                save_checkpoint(ckpt, module, opt, sched, state)
            task.advance(1)

    if has_val and state["best_state"] is not None:
        module.load_state_dict(state["best_state"])
    module.eval()
    epochs_run = state["epoch"]
    return TrainResult(
        epochs_run=epochs_run,
        best_epoch=state["best_epoch"],
        best_val_accuracy=state["best_acc"] if has_val else None,
        stopped_early=state["stopped_early"],
        seconds=train_seconds,
        samples_per_second=n * epochs_run / train_seconds if train_seconds > 0 else 0.0,
        history=state["history"],
    )
