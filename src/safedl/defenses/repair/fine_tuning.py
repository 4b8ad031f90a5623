"""Fine-tuning — train the (possibly backdoored) model a little longer on a small clean set.

Paper: the fine-tuning baseline of Liu, Dolan-Gavitt, Garg, "Fine-Pruning: Defending Against
Backdooring Attacks on Deep Neural Networks", RAID 2018 (and of BackdoorBench, Wu et al.,
NeurIPS 2022 Datasets and Benchmarks).
Threat: a backdoor already in the trained model; the defender holds a small clean set (the
validation split) and the weights (access ``model``).
Parameters: ``epochs`` (fine-tuning epochs on the clean set; 30), ``lr`` (0.01), ``optimizer``
(Adam), ``scheduler`` (cosine annealing) — set any to ``null`` to take the baseline's.
Reports: the fine-tuned model (safetensors in the store), its clean accuracy beside the
baseline's (95% CIs), measured cost (fine-tuning time, latency).

Catastrophic forgetting of the trigger is not guaranteed: the clean set never shows it, so a
trigger the network does not need for clean data can survive. BackdoorBench (CIFAR-10 BadNets
10%, 5% clean data) measured 95% → 1.5% attack success, at 1.3 points of clean accuracy.

The defaults are a purifying fine-tune, not the baseline's schedule: at the learning rate a
model was trained with, the backdoored weights barely move (Min et al., NeurIPS 2023, make
the same point). Measured with BadNets 10% on small_cnn: on Fashion-MNIST (20 000 training
images, 1 000 clean; seed 0 unless three seeds are given), 10 epochs at the baseline's Adam
1e-3 leave 97% attack success, 5e-3 leaves 39 / 33 / 34%, 0.01 leaves 4.1 / 4.7 / 3.8% but
costs 1.6 / 6.3 / 4.5 points of clean accuracy, 0.02 destroys the model (9.5% clean); SGD
with momentum at 0.01–0.05 and a cosine left 99%.
The defaults — 30 epochs of Adam at 0.01 annealed by a cosine — leave 2.9 / 5.6 / 3.5% at a
cost of 1.6 / 3.2 / 2.7 points of clean accuracy; on digits (144 clean images) 1.9 / 2.8 /
2.5% at 1.4 / 0.0 / 0.8 points (``tests/defenses/poisoning``).
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.repair.base import RepairConfig, RepairDefense, clean_set, copy_of, fine_tune
from safedl.registry import DEFENSES


@DEFENSES.register(
    "fine_tuning",
    family="repair",
    access="model",
    paper="Liu, Dolan-Gavitt, Garg, Fine-Pruning, RAID 2018 (fine-tuning baseline)",
)
class FineTuning(RepairDefense):
    """Fine-tune the trained model on the clean validation split."""

    class Config(RepairConfig):
        """Fine-tuning parameters (defaults: a purifying fine-tune, see the module docstring)."""

        epochs: int = Field(30, ge=0, le=1000, description="Fine-tuning epochs on the clean set.")
        lr: float | None = Field(
            0.01, gt=0, description="Fine-tuning learning rate; null: the baseline's."
        )
        optimizer: Literal["adam", "sgd"] | None = Field(
            "adam", description="Fine-tuning optimiser; null: the baseline's."
        )
        scheduler: Literal["none", "cosine"] | None = Field(
            "cosine", description="Learning-rate schedule; null: the baseline's."
        )

    config: Config

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        data = clean_set(ctx, self.plugin_name)
        model = copy_of(ctx)
        start = time.perf_counter()
        key, meta, reused = fine_tune(
            ctx, model, data, self.config, {"defense": self.plugin_name, "params": self.params}
        )
        seconds = 0.0 if reused else time.perf_counter() - start
        return self.finish(
            ctx,
            model,
            key=key,
            seconds=seconds,
            reused=reused,
            meta=meta,
            metrics={"clean_samples": len(data)},
        )


__all__ = ["FineTuning"]
