"""The model under test: what the attacks get, whatever the model is.

The baseline, a defended model, a shadow or stolen copy and (later) a served endpoint are all
a :class:`ModelUnderTest`: white-box access through a :class:`~safedl.models.ModelAdapter`
when there is one, black-box access through an :class:`~safedl.models.OracleFactory` always,
and — for attacks that retrain the model on poisoned data — the :class:`TrainingRecipe` that
produced it. Its ``model_id`` is a content hash of its weights and spec, never a file path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.errors import ModelError
from safedl.evaluation.metrics import Rate
from safedl.models import ModelAdapter, OracleFactory, local_oracles, model_fingerprint
from safedl.models.remote import RemoteOracles


@dataclass
class TrainingRecipe:
    """How the model under test was trained, for attacks that train a victim like it.

    Attributes:
        new_model: Builds a fresh, identically seeded model of the same architecture.
        training: The training settings.
        train: The clean training set (what poisoning attacks edit).
        val: The validation split used for model selection.
        test: The full test split (poisoning success is measured on it).
        model_spec: JSON description of the architecture, for content keys.
        classes: Class names.
        test_accuracy: The model's clean test accuracy, when already measured.
        from_weights: The model came from given weights rather than this recipe.
    """

    new_model: Callable[[], ModelAdapter]
    training: TrainingConfig
    train: TensorData
    val: TensorData | None
    test: TensorData
    model_spec: dict[str, Any]
    classes: list[str]
    test_accuracy: Rate | None = None
    from_weights: bool = False


@dataclass
class ModelUnderTest:
    """A model as every attack sees it.

    Attributes:
        name: ``baseline`` or the id of a defense; results are tagged with it.
        model_id: Content hash of the model (weights and spec).
        adapter: White-box access; None for a model reachable only through queries.
        oracles: Black-box access; the default answers from ``adapter``. Swap it to put an
            output defense or a remote endpoint behind every black-box attack.
        recipe: How the model was trained (poisoning attacks need it).
        views: Adaptive views of the model for white-box attacks (e.g. ``"bpda"``), each an
            adapter whose forward pass equals the model's.
    """

    name: str
    model_id: str
    adapter: ModelAdapter | None
    oracles: OracleFactory
    recipe: TrainingRecipe | None = None
    views: dict[str, ModelAdapter] = field(default_factory=dict)

    @classmethod
    def local(
        cls,
        adapter: ModelAdapter,
        *,
        name: str = "baseline",
        recipe: TrainingRecipe | None = None,
        oracles: OracleFactory | None = None,
        batch_size: int = 512,
    ) -> ModelUnderTest:
        """A model held in this process, identified by the hash of its weights.

        A module with a non-differentiable preprocessing step may declare a differentiable
        approximation of itself — a ``bpda_module()`` method returning a module whose forward
        pass equals its own — and gradient attacks escalated for masking use it (BPDA) as the
        view ``"adaptive"``.
        """
        views = {}
        declare = getattr(adapter.module, "bpda_module", None)
        if callable(declare):
            views["adaptive"] = ModelAdapter(
                declare(),
                input_shape=adapter.input_shape,
                num_classes=adapter.num_classes,
                normalization=adapter.normalization,
                device=adapter.device,
            )
        return cls(
            name=name,
            model_id=model_fingerprint(adapter),
            adapter=adapter,
            oracles=oracles or local_oracles(adapter, batch_size=batch_size),
            recipe=recipe,
            views=views,
        )

    @classmethod
    def remote(
        cls,
        oracles: RemoteOracles,
        *,
        name: str = "baseline",
        recipe: TrainingRecipe | None = None,
    ) -> ModelUnderTest:
        """A served model reachable only through its endpoint's queries (no white-box access).

        ``recipe`` is what the attacker assumes about its training (the architecture and
        data of the profile), for extraction and, when its members are known, membership.
        """
        return cls(
            name=name,
            model_id=oracles.endpoint.model_id,
            adapter=None,
            oracles=oracles,
            recipe=recipe,
        )

    def view(self, name: str) -> ModelAdapter:
        """The adaptive view called ``name``, or a clear error."""
        try:
            return self.views[name]
        except KeyError:
            raise ModelError(
                f"model {self.name!r} has no view {name!r} (it has: "
                f"{', '.join(sorted(self.views)) or 'none'})"
            ) from None

    def white_box(self) -> ModelAdapter:
        """The adapter, or a clear error for a model reachable only through queries."""
        if self.adapter is None:
            raise ModelError(
                f"model {self.name!r} is reachable only through queries; white-box attacks "
                "need the model itself",
                hint="choose score- or label-based attacks (safedl attacks list)",
            )
        return self.adapter


def check_finite(target: ModelUnderTest, data: TensorData, n: int = 256) -> None:
    """Refuse a model whose outputs are not finite (NaN or infinite logits or scores).

    Raises:
        ModelError: naming the model and how many of the first ``n`` examples are affected.
    """
    x = data.x[:n]
    if len(x) == 0:
        return
    if target.adapter is not None:
        with torch.inference_mode(), target.adapter.attack_mode():
            out = target.adapter.logits(x.to(target.adapter.device)).float()
        what = "logits"
    else:
        out = target.oracles(output="probs", budget=None)(x).float()
        what = "scores"
    bad = int((~torch.isfinite(out)).any(1).sum().item())
    if bad:
        raise ModelError(
            f"model {target.name!r} returns non-finite {what} (NaN or infinite) for {bad} of "
            f"{len(x)} test inputs; no attack result on it would mean anything",
            hint="check the weights, the normalisation and the model's forward pass",
        )


__all__ = ["ModelUnderTest", "TrainingRecipe", "check_finite"]
