"""Attack speed: Safe-DL's PGD against a bare hand-written loop, torchattacks and ART.

Same model (``small_cnn`` trained briefly on Fashion-MNIST), same test images, batch size,
steps (20), ε (0.1 L∞), step size (0.01) and random start for every method; rounds alternate
between the methods so that machine noise hits all alike, and the median over rounds is
reported. Prints images/s, robust accuracy and the speed ratio to the bare loop:

1. ``safedl pgd (generate)`` — ``early_stop: false``: every step on every image, as when the
   adversarial examples themselves are wanted;
2. ``bare loop`` — the PGD loop a PyTorch user writes by hand;
3. ``safedl pgd (robust acc)`` — ``early_stop: true``: images stop costing gradients once
   broken, which is all a robust-accuracy measurement needs;
4. / 5. torchattacks' and ART's PGD, when installed
   (``pip install torchattacks adversarial-robustness-toolbox``; not dependencies of Safe-DL).

    .venv/bin/python benchmarks/attack_speed.py [--n 1000] [--batch-size 250] [--rounds 5]
        [--epochs 1] [--weights FILE]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import load_dataset
from safedl.models import ModelAdapter, build_model
from safedl.registry import ATTACKS
from safedl.training import train

EPS, ALPHA, STEPS = 0.1, 0.01, 20
Method = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def bare_pgd(module: nn.Module, x: torch.Tensor, y: torch.Tensor, bs: int) -> torch.Tensor:
    """The PGD loop a PyTorch user writes by hand (Madry et al., 2018)."""
    module.eval()
    out = []
    for i in range(0, len(x), bs):
        xb, yb = x[i : i + bs], y[i : i + bs]
        adv = (xb + torch.empty_like(xb).uniform_(-EPS, EPS)).clamp(0, 1)
        for _ in range(STEPS):
            adv.requires_grad_(True)
            loss = F.cross_entropy(module(adv), yb)
            (grad,) = torch.autograd.grad(loss, adv)
            adv = adv.detach() + ALPHA * grad.sign()
            adv = torch.min(torch.max(adv, xb - EPS), xb + EPS).clamp(0, 1)
        out.append(adv)
    return torch.cat(out)


def methods(model: ModelAdapter, bs: int) -> dict[str, Method]:
    pgd = {"eps": EPS, "steps": STEPS, "step_size": ALPHA, "random_start": True}
    plain = ATTACKS.create("pgd", {**pgd, "early_stop": False})
    early = ATTACKS.create("pgd", {**pgd, "early_stop": True})
    found: dict[str, Method] = {
        "safedl pgd (generate)": lambda x, y: plain.generate(model, x, y, bs)[0],
        "bare loop": lambda x, y: bare_pgd(model.module, x, y, bs),
        "safedl pgd (robust acc)": lambda x, y: early.generate(model, x, y, bs)[0],
    }
    try:
        import torchattacks

        ta = torchattacks.PGD(model.module, eps=EPS, alpha=ALPHA, steps=STEPS, random_start=True)
        found["torchattacks PGD"] = lambda x, y: torch.cat(
            [ta(x[i : i + bs], y[i : i + bs]) for i in range(0, len(x), bs)]
        )
    except ImportError:
        print("torchattacks not installed; skipped")
    try:
        import numpy as np
        from art.attacks.evasion import ProjectedGradientDescent
        from art.estimators.classification import PyTorchClassifier

        clf = PyTorchClassifier(
            model.module,
            loss=nn.CrossEntropyLoss(),
            input_shape=model.input_shape,
            nb_classes=model.num_classes,
            clip_values=(0.0, 1.0),
        )
        art = ProjectedGradientDescent(
            clf, norm=np.inf, eps=EPS, eps_step=ALPHA, max_iter=STEPS, num_random_init=1,
            batch_size=bs, verbose=False,
        )  # fmt: skip
        found["ART PGD"] = lambda x, y: torch.from_numpy(art.generate(x.numpy(), y.numpy())).float()
    except ImportError:
        print("adversarial-robustness-toolbox not installed; skipped")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="test images attacked")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1, help="training epochs of the model")
    parser.add_argument(
        "--weights", type=Path, help="state dict to load, or to save after training"
    )
    args = parser.parse_args()

    splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    torch.manual_seed(0)
    module = build_model(ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes)
    model = ModelAdapter(module, input_shape=splits.input_shape, num_classes=splits.num_classes)
    if args.weights is not None and args.weights.exists():
        module.load_state_dict(torch.load(args.weights, weights_only=True))
    else:
        cfg = TrainingConfig(epochs=args.epochs, batch_size=128, lr=1e-3)
        train(model, splits.train, splits.val, cfg, seed=0)
        if args.weights is not None:
            torch.save(module.state_dict(), args.weights)
    x, y = splits.test.x[: args.n], splits.test.y[: args.n]
    clean = model.accuracy(x, y)
    print(f"small_cnn on Fashion-MNIST: clean accuracy {clean:.1%} on {len(x)} test images")
    print(f"PGD-{STEPS}, L∞ ε={EPS}, step {ALPHA}, random start, batch {args.batch_size}")

    todo = methods(model, args.batch_size)
    times: dict[str, list[float]] = {name: [] for name in todo}
    robust: dict[str, float] = {}
    for r in range(args.rounds):
        order = list(todo) if r % 2 == 0 else list(reversed(todo))
        for name in order:
            start = time.perf_counter()
            x_adv = todo[name](x, y)
            times[name].append(time.perf_counter() - start)
            robust[name] = model.accuracy(x_adv, y)

    bare = len(x) / statistics.median(times["bare loop"])
    print("\n| method | images/s | robust accuracy | vs bare loop |\n|---|---:|---:|---:|")
    for name in todo:
        speed = len(x) / statistics.median(times[name])
        print(f"| {name} | {speed:,.0f} | {robust[name]:.1%} | {speed / bare:.2f}x |")


if __name__ == "__main__":
    main()
