"""Privacy speed: Safe-DL's LiRA against a hand-written LiRA loop, and extraction per 1k queries.

Same data, architecture, training settings and shadow design for every method (Fashion-MNIST,
an MLP overfitting 2n images, n members, n non-members, k shadows each trained on half of the
candidates and n population images; Adam, batch 128):

1. ``hand-written LiRA`` — what a PyTorch user writes: k shadows trained with a plain loop,
   then per-example Gaussian fits of the logit-scaled confidence and the online likelihood
   ratio (scipy ``norm.logpdf``), as in the reference code;
2. ``safedl lira (sequential)`` — shadows through the one training loop, cached in a fresh
   artifact store (rows 1 and 2 alternate over ``--rounds`` rounds; medians);
3. ``safedl lira (2 processes)`` — the same with a :class:`~safedl.executor.ProcessExecutor`
   training shadows in parallel (another fresh store);
4. ``safedl lira (cached)`` — the same call again: every shadow comes from the store.

Then the cost per 1 000 extraction queries: Knockoff (random, soft labels) through an Oracle,
thief training included, against a bare loop (victim forward passes and a plain distillation
loop with the same epochs and batch size). Prints seconds, AUC / fidelity and ratios.

    .venv/bin/python benchmarks/privacy_speed.py [--n 500] [--shadows 8] [--epochs 40]
        [--queries 5000] [--thief-epochs 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from torch import nn
from torch.nn import functional as F

from safedl.attacks.extraction import ExtractionTarget, run_extraction_attack
from safedl.attacks.privacy import PrivacyTarget, run_privacy_attack
from safedl.attacks.privacy.shadows import reinitialise, shadow_design
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import TensorData, load_dataset
from safedl.evaluation.roc import roc_auc
from safedl.executor import ProcessExecutor
from safedl.models import FreshModel, local_oracles
from safedl.store import ArtifactStore
from safedl.training import train_or_load

MODEL = ModelConfig(name="mlp", params={"hidden": [64]})


def plain_train(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    seed: int,
    soft: torch.Tensor | None = None,
) -> None:
    """The training loop a PyTorch user writes (Adam 3e-3 / 1e-3, batch 128, shuffled)."""
    opt = torch.optim.Adam(module.parameters(), lr=3e-3 if soft is None else 1e-3)
    gen = torch.Generator().manual_seed(seed)
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 128):
            idx = perm[i : i + 128]
            opt.zero_grad()
            out = module(x[idx])
            if soft is None:
                loss = F.cross_entropy(out, y[idx])
            else:
                loss = -(soft[idx] * F.log_softmax(out, 1)).sum(1).mean()
            loss.backward()
            opt.step()
    module.eval()


def hand_lira(
    fresh: FreshModel,
    cand: TensorData,
    pop: TensorData,
    keep: torch.Tensor,
    pop_keep: torch.Tensor,
    target: nn.Module,
    epochs: int,
) -> np.ndarray:
    """Hand-written online LiRA (per-example variance), models trained in a plain loop."""
    scores = []
    for i in range(len(keep)):
        module = fresh().module
        reinitialise(module, i)
        x = torch.cat([cand.x[keep[i]], pop.x[pop_keep[i]]])
        y = torch.cat([cand.y[keep[i]], pop.y[pop_keep[i]]])
        plain_train(module, x, y, epochs, seed=i)
        scores.append(confidences(module, cand))
    shadow = np.stack(scores)  # [k, N]
    k = keep.numpy()
    mean_in = np.array([shadow[k[:, j], j].mean() for j in range(shadow.shape[1])])
    mean_out = np.array([shadow[~k[:, j], j].mean() for j in range(shadow.shape[1])])
    std_in = np.array([shadow[k[:, j], j].std() for j in range(shadow.shape[1])]) + 1e-3
    std_out = np.array([shadow[~k[:, j], j].std() for j in range(shadow.shape[1])]) + 1e-3
    obs = confidences(target, cand)
    return np.asarray(
        stats.norm.logpdf(obs, mean_in, std_in) - stats.norm.logpdf(obs, mean_out, std_out)
    )


def confidences(module: nn.Module, data: TensorData) -> np.ndarray:
    with torch.no_grad():
        p = F.softmax(module(data.x), 1).double()
    py = p.gather(1, data.y.view(-1, 1)).squeeze(1)
    rest = p.scatter(1, data.y.view(-1, 1), 0.0).sum(1)
    return (torch.log(py.clamp_min(1e-30)) - torch.log(rest.clamp_min(1e-30))).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="members (and non-members)")
    parser.add_argument("--shadows", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40, help="target and shadow epochs")
    parser.add_argument("--queries", type=int, default=5000, help="extraction budget")
    parser.add_argument("--thief-epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed rounds")
    args = parser.parse_args()
    n, k = args.n, args.shadows

    splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(splits.train), generator=gen)
    members, train = splits.train.subset(perm[:n]), splits.train.subset(perm[: 2 * n])
    pop = splits.train.subset(perm[2 * n : 6 * n])
    non = splits.test.subset(torch.randperm(len(splits.test), generator=gen)[:n])
    fresh = FreshModel(MODEL, splits.input_shape, splits.num_classes, seed=0, device="cpu")
    training = TrainingConfig(epochs=args.epochs, batch_size=128, lr=3e-3)
    tmp = Path(tempfile.mkdtemp(prefix="privacy-speed-"))
    target = fresh()
    train_or_load(
        ArtifactStore(tmp / "target"),
        target,
        train,
        None,
        training,
        seed=0,
        spec={"role": "target"},
    )
    print(
        f"target MLP on {len(train)} Fashion-MNIST images: "
        f"train acc {target.accuracy(members.x, members.y):.1%}, "
        f"test acc {target.accuracy(non.x, non.y):.1%}; {k} shadows, {args.epochs} epochs"
    )

    def game(store: str, executor: object | None = None) -> PrivacyTarget:
        extra = {"executor": executor} if executor is not None else {}
        return PrivacyTarget(
            members,
            non,
            pop,
            fresh,
            training,
            MODEL.model_dump(mode="json"),
            ArtifactStore(tmp / store),
            train_size=2 * n,
            **extra,
        )

    def ours(store: str, executor: object | None = None) -> tuple[float, float]:
        start = time.perf_counter()
        r = run_privacy_attack(
            "lira",
            local_oracles(target),
            game(store, executor),
            params={"shadows": k, "fix_variance": False},
        )
        return time.perf_counter() - start, float(r.auc or 0.0)

    cand = game("a").candidates
    keep, pop_keep = shadow_design(2 * n, len(pop), k, n, 0)
    times: dict[str, list[float]] = {"hand-written LiRA": [], "safedl lira (sequential)": []}
    aucs: dict[str, float] = {}
    for r in range(args.rounds):  # alternate, fresh stores: machine noise hits both alike
        for label in list(times) if r % 2 == 0 else reversed(list(times)):
            if label.startswith("hand"):
                start = time.perf_counter()
                hand = hand_lira(fresh, cand, pop, keep, pop_keep, target.module, args.epochs)
                times[label].append(time.perf_counter() - start)
                aucs[label] = roc_auc(torch.from_numpy(hand), game("a").is_member)
            else:
                seconds, aucs[label] = ours(f"seq-{r}")
                times[label].append(seconds)
    rows = [(label, statistics.median(t), aucs[label]) for label, t in times.items()]
    rows.append(("safedl lira (2 processes)", *ours("par", ProcessExecutor(2))))
    rows.append(("safedl lira (cached)", *ours("seq-0")))
    hand_s = rows[0][1]
    print(f"\nmedian of {args.rounds} alternating rounds (first two rows), one run each after")
    print("| method | seconds | AUC | speed vs hand-written |\n|---|---:|---:|---:|")
    for label, seconds, auc in rows:
        print(f"| {label} | {seconds:.1f} | {auc:.3f} | {hand_s / seconds:.2f}x |")

    # Extraction: cost per 1 000 queries, thief training included.
    victim_train = splits.train.subset(perm[10_000:30_000])
    pool = splits.train.subset(perm[30_000:])
    victim = fresh()
    train_or_load(
        ArtifactStore(tmp / "victim"),
        victim,
        victim_train,
        None,
        TrainingConfig(epochs=3, batch_size=128, lr=1e-3),
        seed=0,
        spec={"v": 1},
    )
    test = splits.test.subset(torch.arange(2000))
    thief_cfg = TrainingConfig(epochs=args.thief_epochs, batch_size=128, lr=1e-3)
    target_x = ExtractionTarget(
        pool,
        test,
        fresh,
        thief_cfg,
        MODEL.model_dump(mode="json"),
        ArtifactStore(tmp / "thief"),
        transfer_samples=1,
    )
    q = args.queries
    start = time.perf_counter()
    ours = run_extraction_attack(
        "knockoff", local_oracles(victim), target_x, params={"max_queries": q, "curve": [q]}
    )
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(0))[:q]
    with torch.no_grad():
        soft = F.softmax(victim.module(pool.x[order]), 1)
    thief = fresh().module
    reinitialise(thief, 1)
    plain_train(thief, pool.x[order], soft.argmax(1), args.thief_epochs, seed=1, soft=soft)
    with torch.no_grad():
        bare_fid = float(
            (thief(test.x).argmax(1) == victim.module(test.x).argmax(1)).double().mean()
        )
    bare_s = time.perf_counter() - start
    print(
        f"\nKnockoff, {q} soft-label queries, thief {args.thief_epochs} epochs "
        "(safedl includes the fidelity and transfer measurements)"
    )
    print("| method | s per 1k queries | fidelity | vs bare loop |\n|---|---:|---:|---:|")
    print(f"| bare loop | {1000 * bare_s / q:.2f} | {bare_fid:.3f} | 1.00x |")
    print(
        f"| safedl knockoff | {1000 * ours_s / q:.2f} | {ours.fidelity.value:.3f} | "
        f"{bare_s / ours_s:.2f}x |"
    )


if __name__ == "__main__":
    main()
