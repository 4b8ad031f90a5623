"""A fresh model of a profile's architecture, identically seeded every time it is built.

What retrains a model like the baseline uses it: poisoned victims, defenses that train, shadow
and reference models. It is a small picklable object (not a closure), so units of work that
build models can run in other processes.
"""

from __future__ import annotations

import torch

from safedl.config.profile import ModelConfig, NormalizationConfig
from safedl.models.adapter import ModelAdapter
from safedl.models.build import build_model


class FreshModel:
    """Build ``model`` from scratch (its weights ignored), seeded with ``seed``, as an adapter.

    Args:
        model: The architecture (the ``weights`` field is ignored).
        input_shape: ``(C, H, W)`` of one input.
        num_classes: Number of outputs.
        seed: Seed of the initialisation; every call gives identical initial weights.
        device: Where the model runs.
        normalization: Normalisation inside the adapter (the baseline's).
    """

    def __init__(
        self,
        model: ModelConfig,
        input_shape: tuple[int, int, int],
        num_classes: int,
        *,
        seed: int,
        device: str | torch.device,
        normalization: NormalizationConfig | None = None,
    ) -> None:
        self.model = model.model_copy(update={"weights": None})
        self.input_shape = input_shape
        self.num_classes = num_classes
        self.seed = seed
        self.device = str(device)
        self.normalization = normalization

    def __call__(self) -> ModelAdapter:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            module = build_model(self.model, self.input_shape, self.num_classes)
        return ModelAdapter(
            module,
            input_shape=self.input_shape,
            num_classes=self.num_classes,
            normalization=self.normalization,
            device=self.device,
        )


__all__ = ["FreshModel"]
