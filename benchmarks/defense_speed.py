"""Defense speed: PGD-AT, fast AT and certification against hand-written loops.

Same model (``small_cnn``), same Fashion-MNIST images, batch size and optimiser (Adam 1e-3) for
every method; rounds alternate between the methods so that machine noise hits all alike, and the
median over rounds is reported. Prints, side by side:

1. ``safedl pgd_at`` — one epoch of the one training loop with PGD-AT's loss (8 steps of
   2.5·ε/8, L∞ ε = 0.1, random start) against ``hand-written PGD-AT``, the loop a PyTorch user
   writes (Madry et al., 2018); ours should be at least as fast;
2. ``safedl fast_at`` — one epoch of fast AT (FGSM from a random start, step 1.25·ε) against
   ``safedl pgd_at``: fast AT should be at least 3× faster per epoch;
3. ``safedl certify`` — CERTIFY (n0 = 100, n = 1 000, σ = 0.25) batched over images and draws,
   against ``bare Cohen loop``, the reference implementation's one-image-at-a-time loop
   (noise in batches, ``bincount``, Clopper–Pearson), in images certified per second.

    .venv/bin/python benchmarks/defense_speed.py [--train 4096] [--certify 64] [--rounds 3]
        [--batch-size 128]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from scipy.stats import beta, norm
from torch import nn
from torch.nn import functional as F

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import TensorData, load_dataset
from safedl.defenses.smoothing import SmoothedClassifier
from safedl.models import ModelAdapter, build_model
from safedl.registry import DEFENSES
from safedl.training import train

EPS, STEPS = 0.1, 8
ALPHA = 2.5 * EPS / STEPS
SIGMA, N0, N, ALPHA_CERT = 0.25, 100, 1000, 0.001


def hand_written_pgd_at(module: nn.Module, data: TensorData, bs: int, seed: int) -> None:
    """One epoch of PGD adversarial training as a PyTorch user writes it."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    module.train()
    perm = torch.randperm(len(data))
    for i in range(0, len(data), bs):
        idx = perm[i : i + bs]
        x, y = data.x[idx], data.y[idx]
        adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)
        for _ in range(STEPS):
            adv.requires_grad_(True)
            loss = F.cross_entropy(module(adv), y)
            (grad,) = torch.autograd.grad(loss, adv)
            adv = adv.detach() + ALPHA * grad.sign()
            adv = torch.min(torch.max(adv, x - EPS), x + EPS).clamp(0, 1)
        opt.zero_grad()
        F.cross_entropy(module(adv), y).backward()
        opt.step()


def bare_cohen_certify(model: ModelAdapter, x: torch.Tensor, bs: int) -> list[tuple[int, float]]:
    """Cohen et al.'s reference CERTIFY: one image at a time, noise in batches of ``bs``."""
    out = []
    model.module.eval()
    k = model.num_classes
    with torch.no_grad():
        for img in x:

            def counts(num: int, img: torch.Tensor = img) -> np.ndarray:
                c = np.zeros(k, dtype=int)
                while num > 0:
                    m = min(bs, num)
                    num -= m
                    batch = img.repeat((m, 1, 1, 1))
                    noise = torch.randn_like(batch) * SIGMA
                    pred = model.logits(batch + noise).argmax(1)
                    c += np.bincount(pred.numpy(), minlength=k)
                return c

            c_a = int(counts(N0).argmax())
            n_a = int(counts(N)[c_a])
            p_lower = beta.ppf(ALPHA_CERT, n_a, N - n_a + 1) if n_a > 0 else 0.0
            out.append((c_a, float(SIGMA * norm.ppf(p_lower))) if p_lower > 0.5 else (-1, 0.0))
    return out


def median_seconds(methods: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in methods}
    for r in range(rounds):
        for name in list(methods) if r % 2 == 0 else list(reversed(methods)):
            start = time.perf_counter()
            methods[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=4096, help="training images per epoch")
    parser.add_argument("--certify", type=int, default=64, help="test images certified")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    data = splits.train.subset(torch.arange(args.train))
    shape, classes = splits.input_shape, splits.num_classes
    cfg = TrainingConfig(epochs=1, batch_size=args.batch_size, lr=1e-3)

    def fresh() -> ModelAdapter:
        torch.manual_seed(0)
        module = build_model(ModelConfig(name="small_cnn"), shape, classes)
        return ModelAdapter(module, input_shape=shape, num_classes=classes)

    def ours(name: str, params: dict[str, object]) -> Callable[[], object]:
        def run() -> object:
            model = fresh()
            loss = DEFENSES.create(name, params, seed=0).loss(model)
            return train(model, data, None, cfg, seed=0, loss_fn=loss)

        return run

    print(f"small_cnn, Fashion-MNIST: {len(data)} training images, batch {args.batch_size}")
    at = median_seconds(
        {
            "safedl pgd_at": ours("pgd_at", {"eps": EPS, "steps": STEPS}),
            "hand-written PGD-AT": lambda: hand_written_pgd_at(
                fresh().module, data, args.batch_size, 0
            ),
            "safedl fast_at": ours("fast_at", {"eps": EPS, "guard": False}),
        },
        args.rounds,
    )
    print("\n| training (one epoch) | seconds | images/s | vs hand-written PGD-AT |")
    print("|---|---:|---:|---:|")
    for name, sec in at.items():
        ratio = at["hand-written PGD-AT"] / sec
        print(f"| {name} | {sec:.1f} | {len(data) / sec:,.0f} | {ratio:.2f}x faster |")
    print(f"fast AT vs PGD-AT per epoch: {at['safedl pgd_at'] / at['safedl fast_at']:.1f}x faster")

    model = fresh()
    train(model, splits.train.subset(torch.arange(10_000)), None, cfg, seed=0)
    x = splits.test.x[: args.certify]
    smoothed = SmoothedClassifier(model, SIGMA, batch_size=1000)
    cert = median_seconds(
        {
            "safedl certify": lambda: smoothed.certify(x, n0=N0, n=N, alpha=ALPHA_CERT),
            "bare Cohen loop": lambda: bare_cohen_certify(model, x, 1000),
        },
        args.rounds,
    )
    print(f"\n| certify (n0={N0}, n={N}, σ={SIGMA}) | images/s | vs bare loop |\n|---|---:|---:|")
    for name, sec in cert.items():
        print(f"| {name} | {len(x) / sec:,.1f} | {cert['bare Cohen loop'] / sec:.2f}x |")


if __name__ == "__main__":
    main()
