"""Label-consistent backdoor (see :class:`CleanLabelBackdoor`)."""

from __future__ import annotations

import torch
from pydantic import Field, model_validator

from safedl.attacks.backdoor.badnets import PatchConfig, Pattern, make_patch
from safedl.attacks.backdoor.base import BackdoorAttack
from safedl.attacks.poisoning.base import PoisonedSet, check_class, pick
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


@ATTACKS.register(
    "clean_label_backdoor",
    family="backdoor",
    access="training-data",
    paper="Turner, Tsipras, Madry, Label-Consistent Backdoor Attacks, 2019",
)
class CleanLabelBackdoor(BackdoorAttack):
    """Label-consistent backdoor: PGD-perturbed target-class images with a patch trigger.

    Paper: Turner, Tsipras, Madry, "Label-Consistent Backdoor Attacks", 2019
    (arXiv:1912.02771).
    Threat: access ``training-data`` and a clean model (the baseline) to craft against; every
    label stays untouched, so the poisons pass a label audit; the trigger is shown at test
    time.
    Reports: clean accuracy and its drop, attack success rate on triggered test images of
    non-target classes, per-class accuracy before and after, the poison count; whether every
    poison stays within ``eps`` of its original outside the trigger; 95% CIs. The trigger
    (``mask``, ``pattern``) comes back with the poisoned set.

    Images of ``target_class`` are made hard to classify with untargeted PGD in the L∞ ball
    of radius ``eps`` (so the network leans on the trigger to get them right), then the patch
    trigger of ``badnets`` is stamped on them. All-to-one only.
    """

    class Config(PatchConfig):
        """Clean-label backdoor parameters (the patch ones are shared with badnets)."""

        poison_fraction: float = Field(
            0.05,
            ge=0.0,
            le=1.0,
            validation_alias=PatchConfig.model_fields["poison_fraction"].validation_alias,
            description="Share of the training set poisoned, drawn from target_class "
            "(alias: fraction).",
        )
        pattern: Pattern = Field("checkerboard", description="Patch pattern (see badnets).")
        eps: float = Field(
            16 / 255, gt=0.0, le=1.0, description="L∞ budget of the PGD step (the paper: 16/255)."
        )
        steps: int = Field(20, ge=1, le=1000, description="PGD steps.")

        @model_validator(mode="after")
        def _all_to_one(self) -> CleanLabelBackdoor.Config:
            if self.mode != "all_to_one":
                raise ValueError("the clean-label backdoor is all-to-one (labels stay untouched)")
            return self

    config: Config
    clean_label = True
    needs_clean_model = True

    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        return make_patch(self.config, shape, generator)

    def craft(
        self,
        train: TensorData,
        num_classes: int,
        *,
        generator: torch.Generator,
        clean_model: ModelAdapter | None,
        test: TensorData | None,
    ) -> PoisonedSet:
        cfg = self.config
        assert clean_model is not None  # checked by poison()
        check_class(cfg.target_class, num_classes, "target_class")
        trigger = {k: v.cpu() for k, v in self.make_trigger(train.input_shape, generator).items()}
        idx = pick(train.y == cfg.target_class, self.budget(len(train)), generator)
        x = train.x.clone()
        if len(idx):
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())
            pgd = ATTACKS.create(
                "pgd", {"eps": cfg.eps, "steps": cfg.steps, "early_stop": False}, seed=seed
            )
            hard, _ = pgd.generate(clean_model, x[idx], train.y[idx])
            x[idx] = self.apply_trigger(hard, trigger)
        return PoisonedSet(TensorData(x, train.y), idx, trigger=trigger)

    def violation(
        self,
        clean: torch.Tensor,
        poisoned: torch.Tensor,
        trigger: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Per-poison L∞ excess over ``eps`` outside the trigger's mask, or outside [0, 1]."""
        box = super().violation(clean, poisoned)
        if not len(box):
            return box
        outside = 1 - self._given(trigger)["mask"]
        delta = ((poisoned - clean) * outside).flatten(1).abs().amax(1)
        return torch.maximum(box, (delta - self.config.eps).clamp_min(0))
