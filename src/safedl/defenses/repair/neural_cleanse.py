"""Neural Cleanse — reverse-engineer a trigger per class, flag the outlier, unlearn it.

Paper: Wang, Yao, Shan, Li, Viswanath, Zheng, Zhao, "Neural Cleanse: Identifying and
Mitigating Backdoor Attacks in Neural Networks", IEEE S&P 2019.
Threat: an all-to-one backdoor with a small trigger already in the trained model; the
defender holds a small clean set (the validation split) and the weights (access ``model``).
Parameters: ``steps`` (optimisation steps), ``batch_size`` (clean images per step and class),
``lr``, ``init_cost`` (initial weight λ of the mask's L1 norm), ``target_success`` (a reversed
trigger counts once this share of the batch goes to its class), ``patience`` (steps of
success or failure before λ is raised by 1.5 or lowered by 1.5^1.5, as in the paper),
``anomaly_threshold`` (2), ``unlearn_fraction`` (share of the clean set stamped with the
reversed trigger, true labels kept), ``epochs``/``lr_unlearn`` (the unlearning fine-tuning).
Reports: per class the reversed mask's L1 norm, whether the reversal reached
``target_success``, and its anomaly index; the flagged classes; the reversed triggers (stored,
for pictures); the repaired model's clean accuracy beside the baseline's (95% CIs); cost.

For each class ``k`` it finds a mask ``m_k ∈ [0, 1]^{H×W}`` and a pattern ``p_k ∈ [0, 1]^{C×H×W}``
(tanh-parametrised) minimising ``CE(f((1 − m_k)·x + m_k·p_k), k) + λ_k·|m_k|_1`` over clean
images — all classes in one batched tensor program, each step one forward pass over ``K ×
batch_size`` stamped images. The smallest mask that reached ``target_success`` is kept. With
``L`` the L1 norms, the anomaly index of class ``k`` is ``(median(L) − L_k) / (1.4826 ·
MAD(L))``; a class whose index exceeds 2 (only the small side counts) flags the model. When
one is flagged, the model is fine-tuned on the clean set with the flagged classes' reversed
triggers stamped on ``unlearn_fraction`` of it and the true labels kept (unlearning); when
none is, the model is returned unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.data import TensorData
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.repair.base import RepairConfig, RepairDefense, clean_set, copy_of, fine_tune
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES
from safedl.store import content_key

MAD_CONSISTENCY = 1.4826


def anomaly_indices(norms: torch.Tensor) -> torch.Tensor:
    """``(median − L_k) / (1.4826 · MAD)`` per class (positive: smaller than the median)."""
    med = norms.median()
    mad = MAD_CONSISTENCY * (norms - med).abs().median()
    return (med - norms) / mad.clamp_min(1e-12)


def reverse_triggers(
    model: ModelAdapter, x: torch.Tensor, cfg: NeuralCleanse.Config, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """Reverse-engineer one mask and pattern per class, all classes at once.

    Returns:
        ``mask`` ``[K, 1, H, W]``, ``pattern`` ``[K, C, H, W]``, ``l1`` ``[K]`` (of the kept
        masks), ``reached`` ``[K]`` (bool), ``cost`` ``[K]`` (final λ).
    """
    k_cls, (c, h, w), dev = model.num_classes, model.input_shape, model.device
    raw_m = torch.zeros(k_cls, 1, h, w, device=dev).requires_grad_(True)
    raw_p = torch.zeros(k_cls, c, h, w, device=dev).requires_grad_(True)
    opt = torch.optim.Adam([raw_m, raw_p], lr=cfg.reverse_lr, betas=(0.5, 0.9))
    cost = torch.full((k_cls,), cfg.init_cost, device=dev)
    up = torch.zeros(k_cls, device=dev)
    down = torch.zeros(k_cls, device=dev)
    best_l1 = torch.full((k_cls,), float("inf"), device=dev)
    best_m = torch.ones(k_cls, 1, h, w, device=dev)
    best_p = torch.zeros(k_cls, c, h, w, device=dev)
    targets = torch.arange(k_cls, device=dev)
    xs = x.to(dev)
    b = min(cfg.batch_size, len(xs))
    with model.attack_mode():
        for _ in range(cfg.steps):
            xb = xs[torch.randint(len(xs), (b,), generator=generator).to(dev)]
            m = (torch.tanh(raw_m) + 1) / 2
            p = (torch.tanh(raw_p) + 1) / 2
            stamped = (1 - m[:, None]) * xb[None] + (m * p)[:, None]  # [K, B, C, H, W]
            logits = model.logits(stamped.reshape(k_cls * b, c, h, w)).view(k_cls, b, -1)
            ce = F.cross_entropy(
                logits.reshape(k_cls * b, -1), targets.repeat_interleave(b), reduction="none"
            ).view(k_cls, b)
            l1 = m.flatten(1).sum(1)
            loss = (ce.mean(1) + cost * l1).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                success = (logits.argmax(2) == targets[:, None]).float().mean(1)
                ok = success >= cfg.target_success
                better = ok & (l1 < best_l1)
                best_l1 = torch.where(better, l1, best_l1)
                best_m[better] = m[better]
                best_p[better] = p[better]
                up = torch.where(ok, up + 1, torch.zeros_like(up))
                down = torch.where(ok, torch.zeros_like(down), down + 1)
                cost = torch.where(up >= cfg.patience, cost * 1.5, cost)
                cost = torch.where(down >= cfg.patience, cost / 1.5**1.5, cost)
                up = torch.where(up >= cfg.patience, torch.zeros_like(up), up)
                down = torch.where(down >= cfg.patience, torch.zeros_like(down), down)
    reached = torch.isfinite(best_l1)
    with torch.no_grad():  # a class never reached: its last mask stands in
        m = (torch.tanh(raw_m) + 1) / 2
        p = (torch.tanh(raw_p) + 1) / 2
        best_m[~reached], best_p[~reached] = m[~reached], p[~reached]
        best_l1 = best_m.flatten(1).sum(1)
    return {
        "mask": best_m.detach().cpu(),
        "pattern": best_p.detach().cpu(),
        "l1": best_l1.detach().cpu(),
        "reached": reached.cpu(),
        "cost": cost.detach().cpu(),
    }


def unlearning_set(
    data: TensorData,
    triggers: dict[str, torch.Tensor],
    classes: list[int],
    fraction: float,
    generator: torch.Generator,
) -> TensorData:
    """``data`` with the reversed triggers of ``classes`` stamped on ``fraction`` of it."""
    n = round(fraction * len(data))
    idx = torch.randperm(len(data), generator=generator)[:n]
    which = torch.tensor(classes)[torch.arange(n) % len(classes)]
    m, p = triggers["mask"][which], triggers["pattern"][which]
    x = data.x.clone()
    x[idx] = ((1 - m) * x[idx] + m * p).clamp(0, 1)
    return TensorData(x, data.y.clone())


@DEFENSES.register(
    "neural_cleanse",
    family="repair",
    access="model",
    paper="Wang et al., Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural "
    "Networks, IEEE S&P 2019",
)
class NeuralCleanse(RepairDefense):
    """Reverse a trigger per class, flag MAD outliers, unlearn the flagged triggers."""

    class Config(RepairConfig):
        """Neural Cleanse parameters."""

        steps: int = Field(600, ge=1, le=100_000, description="Reverse-engineering steps.")
        batch_size: int = Field(32, ge=1, description="Clean images per step and class.")
        lr: float | None = Field(None, gt=0, description="Unlearning learning rate.")
        reverse_lr: float = Field(0.1, gt=0, description="Adam step of the reversal.")
        init_cost: float = Field(1e-2, ge=0, description="Initial weight λ of |mask|_1.")
        target_success: float = Field(0.99, gt=0, le=1, description="Reversal success goal.")
        patience: int = Field(10, ge=1, description="Steps before λ is adjusted.")
        anomaly_threshold: float = Field(2.0, gt=0, description="Flag above this index.")
        unlearn_fraction: float = Field(0.2, ge=0, le=1, description="Share stamped to unlearn.")

    config: Config

    def triggers(self, ctx: DefenseContext, data: TensorData) -> tuple[dict[str, Any], str, float]:
        """The reversed triggers (stored by content key) and the seconds spent on them."""
        key = content_key("triggers", {"defense": self.key(ctx), "clean": data.fingerprint()})
        if ctx.store.has(key):
            return ctx.store.load_tensors(key), key, 0.0
        start = time.perf_counter()
        gen = torch.Generator().manual_seed(self.seed)
        out = reverse_triggers(ctx.baseline, data.x, self.config, gen)
        out["reached"] = out["reached"].to(torch.uint8)
        ctx.store.save_tensors(key, out, {"defense": self.plugin_name, "params": self.params})
        return out, key, time.perf_counter() - start

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        cfg = self.config
        data = clean_set(ctx, self.plugin_name)
        t, trig_key, seconds = self.triggers(ctx, data)
        index = anomaly_indices(t["l1"])
        flagged = torch.nonzero(index > cfg.anomaly_threshold).flatten().tolist()
        model, key, reused = copy_of(ctx), None, False
        meta: dict[str, Any] = {}
        start = time.perf_counter()
        if flagged:
            gen = torch.Generator().manual_seed(self.seed)
            unlearn = unlearning_set(data, t, flagged, cfg.unlearn_fraction, gen)
            spec = {"defense": self.plugin_name, "params": self.params, "flagged": flagged}
            key, meta, reused = fine_tune(ctx, model, unlearn, cfg, spec, description="unlearning")
        seconds += 0.0 if reused else time.perf_counter() - start
        return self.finish(
            ctx,
            model,
            key=key,
            seconds=seconds,
            reused=reused,
            meta=meta,
            metrics={
                "l1_norms": t["l1"].tolist(),
                "reached": t["reached"].bool().tolist(),
                "anomaly_index": index.tolist(),
                "max_anomaly_index": float(index.max()),
                "flagged_classes": flagged,
                "model_flagged": bool(flagged),
                "unlearned": bool(flagged),
                "triggers_artifact": trig_key,
            },
        )


__all__ = ["NeuralCleanse", "anomaly_indices", "reverse_triggers", "unlearning_set"]
