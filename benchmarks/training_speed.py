"""Training speed: Safe-DL's training loop against a plain hand-written PyTorch loop.

Same model architecture and initial weights, same data, batch size, optimiser and epochs;
rounds alternate between the two so that machine noise hits both alike. Prints samples/s.

    .venv/bin/python benchmarks/training_speed.py [--dataset digits|fashion_mnist]
        [--epochs N] [--batch-size B] [--rounds R] [--train-limit N]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch import nn

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import load_dataset
from safedl.models import ModelAdapter, build_model
from safedl.training import train


def plain_loop(
    module: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, bs: int, lr: float
) -> float:
    """The loop a PyTorch user writes by hand; returns seconds."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), bs):
            idx = perm[i : i + bs]
            opt.zero_grad()
            loss = loss_fn(module(x[idx]), y[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-limit", type=int, default=20000)
    args = parser.parse_args()

    splits = load_dataset(DatasetConfig(name=args.dataset, train_limit=args.train_limit), seed=0)
    x, y = splits.train.x, splits.train.y
    torch.manual_seed(0)
    template = build_model(ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes)
    cfg = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, lr=1e-3)
    n = len(x) * args.epochs
    ours, plain = [], []
    for _ in range(args.rounds):
        module = copy.deepcopy(template)
        plain.append(n / plain_loop(module, x, y, args.epochs, args.batch_size, cfg.lr))
        adapter = ModelAdapter(
            copy.deepcopy(template),
            input_shape=splits.input_shape,
            num_classes=splits.num_classes,
            device="cpu",
        )
        start = time.perf_counter()
        train(adapter, splits.train, None, cfg, seed=0)
        ours.append(n / (time.perf_counter() - start))
    print(
        f"dataset {args.dataset}: {len(x)} samples x {args.epochs} epoch(s), batch "
        f"{args.batch_size}, small_cnn, {torch.get_num_threads()} threads, "
        f"{args.rounds} alternating rounds (median)"
    )
    print(f"{'loop':<22}{'samples/s':>12}")
    print(f"{'safedl.training.train':<22}{statistics.median(ours):>12.0f}")
    print(f"{'plain PyTorch loop':<22}{statistics.median(plain):>12.0f}")
    print(f"ratio ours/plain: {statistics.median(ours) / statistics.median(plain):.3f}")


if __name__ == "__main__":
    main()
