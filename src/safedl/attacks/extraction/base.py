"""Shared machinery of model extraction: the budget, thief training, curves, transfer.

A plugin subclasses :class:`ExtractionAttack` and implements one method,
:meth:`ExtractionAttack.extract`: query the victim's Oracle (within ``max_queries``) and return
a stolen :class:`~safedl.models.ModelAdapter`. The base provides what every thief needs:

* :meth:`ExtractionAttack.fit` trains a thief (a fresh model of the target's architecture,
  re-initialised with its own seed) on queried images and the victim's answers, through the one
  training loop (:func:`safedl.training.train_or_load`, cached by content key, answers
  included). Soft labels are the victim's probabilities (a top-k answer renormalised over the
  classes it names), hard labels its top-1 class; the loss is the cross-entropy against them.
* :meth:`ExtractionAttack.checkpoint` records a point of the curve: fidelity (agreement with the
  victim's labels on the test set) and the stolen model's test accuracy against the queries
  spent, each a Wilson-interval rate.
* After :meth:`extract`, the base measures the transfer success of adversarial examples
  crafted with PGD (``ATTACKS.create("pgd")``, white-box on the stolen copy) against the victim,
  beside random sign noise of the same size as a control.

The victim's test predictions are measured through an uncounted label Oracle of the same
factory, never through the attack's.
"""

from __future__ import annotations

import hashlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.extraction.target import ExtractionTarget
from safedl.attacks.privacy.shadows import reinitialise
from safedl.data import TensorData
from safedl.evaluation.metrics import Rate, rate_of
from safedl.models import ModelAdapter, Oracle, OracleFactory
from safedl.registry import ATTACKS, PluginConfig
from safedl.training import train_or_load

log = logging.getLogger(__name__)


class ExtractionConfig(PluginConfig):
    """Parameters every extraction attack shares."""

    max_queries: int = Field(10_000, ge=1, description="Query budget of the thief.")
    labels: Literal["soft", "hard"] = Field(
        "soft", description="Train on the victim's probabilities (soft) or its labels (hard)."
    )
    curve: list[int] | None = Field(
        None, description="Query counts at which the curve is measured; default 10/30/100%."
    )
    epochs: int | None = Field(
        None, ge=1, le=1000, description="Thief training epochs; default the target's."
    )


@dataclass
class ExtractionResult:
    """A stolen copy and how faithful, accurate and useful to an attacker it is."""

    attack: str
    params: dict[str, Any]
    queries: int
    seconds: float
    fidelity: Rate
    accuracy: Rate
    victim_accuracy: Rate
    curve: list[dict[str, Any]]
    transfer_success: Rate | None
    transfer_control: Rate | None
    transfer: dict[str, Any]
    status: str = "done"
    family: str = "extraction"
    note: str = ""
    model_id: str = ""
    oracle_output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: The stolen model (not serialised) and its store key.
    stolen: ModelAdapter | None = field(default=None, repr=False)
    artifact: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable entry for the run record."""

        def r(v: Rate | None) -> dict[str, Any] | None:
            return v.to_dict() if v is not None else None

        return {
            "family": self.family,
            "attack": self.attack,
            "params": self.params,
            "status": self.status,
            "note": self.note,
            "model_id": self.model_id,
            "oracle_output": self.oracle_output,
            "queries": self.queries,
            "seconds": self.seconds,
            "fidelity": r(self.fidelity),
            "accuracy": r(self.accuracy),
            "victim_accuracy": r(self.victim_accuracy),
            "curve": self.curve,
            "transfer_success": r(self.transfer_success),
            "transfer_control": r(self.transfer_control),
            "transfer": self.transfer,
            "artifact": self.artifact,
            "extra": self.extra,
        }


def soft_targets(answers: Tensor, num_classes: int, hard: bool) -> Tensor:
    """``[N, K]`` training targets from Oracle answers (labels, probabilities or top-k)."""
    if answers.dim() == 1:
        return F.one_hot(answers.long(), num_classes).double()
    p = answers.double().clamp_min(0)
    if hard:
        return F.one_hot(p.argmax(1), num_classes).double()
    total = p.sum(1, keepdim=True)
    onehot = F.one_hot(p.argmax(1), num_classes).double()
    return torch.where(total > 0, p / total.clamp_min(1e-300), onehot)


def _digest(t: Tensor) -> str:
    return hashlib.sha256(t.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


class ExtractionAttack(ABC):
    """Base class of model extraction attacks: one method, :meth:`extract`."""

    Config: ClassVar[type[ExtractionConfig]] = ExtractionConfig
    plugin_name: ClassVar[str] = "extraction"
    accepted_access: ClassVar[tuple[str, ...]] = ("scores", "labels")

    def __init__(self, config: ExtractionConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)
        self.extra: dict[str, Any] = {}
        self._target: ExtractionTarget | None = None
        self._victim_labels: Tensor | None = None
        self._curve: list[dict[str, Any]] = []
        self._keys: list[str] = []

    @property
    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    @property
    def target(self) -> ExtractionTarget:
        if self._target is None:
            raise RuntimeError(f"{self.plugin_name}: only available while run() is extracting")
        return self._target

    def curve_points(self) -> list[int]:
        """Query counts at which the curve is measured (ascending, within the budget)."""
        budget = self.config.max_queries
        points = self.config.curve or [max(1, budget // 10), max(1, (3 * budget) // 10), budget]
        return sorted({min(int(p), budget) for p in points if p > 0})

    @abstractmethod
    def extract(self, oracle: Oracle, query_pool: TensorData) -> ModelAdapter:
        """Query ``oracle`` (images from ``query_pool`` or synthesised) and return the thief.

        Call :meth:`checkpoint` for every point of the curve the attack produces.
        """

    def new_thief(self, tag: str) -> ModelAdapter:
        """A fresh model of the target's architecture with an initialisation of its own."""
        model = self.target.new_model()
        reinitialise(model.module, self._thief_seed(tag))
        return model

    def _thief_seed(self, tag: str) -> int:
        return self.seed * 1_000 + int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16) % 997

    def fit(
        self,
        x: Tensor,
        answers: Tensor,
        tag: str,
        *,
        model: ModelAdapter | None = None,
        epochs: int | None = None,
    ) -> ModelAdapter:
        """Train a thief on ``x`` and the victim's ``answers`` (cached in the store).

        Args:
            x: Queried images.
            answers: The Oracle's answers to them (labels or probabilities).
            tag: Names this thief within the attack (part of its content key).
            model: Continue training this model instead of a fresh one.
            epochs: Epochs instead of the configured ones.
        """
        tgt = self.target
        thief = model if model is not None else self.new_thief(tag)
        k = thief.num_classes
        targets = soft_targets(answers, k, self.config.labels == "hard").float()
        epochs = epochs or self.config.epochs or tgt.training.epochs
        cfg = tgt.training.model_copy(update={"epochs": epochs})
        index = torch.arange(len(x))

        def loss(logits_fn: Callable[[Tensor], Tensor], xb: Tensor, ib: Tensor) -> Tensor:
            t = targets[ib.cpu()].to(xb.device)
            return -(t * F.log_softmax(logits_fn(xb), dim=1)).sum(1).mean()

        init = (
            "fresh"
            if model is None
            else _digest(torch.cat([p.detach().flatten().cpu() for p in model.module.parameters()]))
        )
        spec = {
            "role": "stolen",
            "attack": self.plugin_name,
            "params": self.params,
            "victim": tgt.target_id,
            "model": tgt.model_spec,
            "answers": _digest(targets),
            "tag": tag,
            "init": init,
            "thief_seed": self._thief_seed(tag),
        }
        key, _, _ = train_or_load(
            tgt.store,
            thief,
            TensorData(x.detach().cpu().contiguous(), index),
            None,
            cfg,
            seed=self._thief_seed(tag),
            spec=spec,
            loss_fn=loss,
            description=f"thief {tag}",
        )
        self._keys.append(key)
        return thief

    def checkpoint(self, model: ModelAdapter, queries: int) -> dict[str, Any]:
        """Measure ``model`` against the victim on the test set; one point of the curve."""
        if self._victim_labels is None:
            raise RuntimeError("checkpoint() is only available during run()")
        test = self.target.test
        pred = model.predict(test.x)
        point = {
            "queries": int(queries),
            "fidelity": rate_of(pred == self._victim_labels).to_dict(),
            "accuracy": rate_of(pred == test.y).to_dict(),
        }
        self._curve = [p for p in self._curve if p["queries"] != queries] + [point]
        return point

    def run(self, oracles: OracleFactory, target: ExtractionTarget) -> ExtractionResult:
        """Steal the model behind ``oracles`` and measure the copy."""
        cfg = self.config
        oracle = oracles(
            output="probs" if cfg.labels == "soft" else "label", budget=cfg.max_queries
        )
        measure = oracles(output="label", budget=None)
        self._target, self._curve, self._keys = target, [], []
        self._victim_labels = measure(target.test.x)
        self.generator.manual_seed(self.seed)
        start = time.perf_counter()
        try:
            stolen = self.extract(oracle, target.query_pool)
            seconds = time.perf_counter() - start
            final = self.checkpoint(stolen, oracle.queries)
            transfer = transfer_success(stolen, measure, target, self.seed)
        finally:
            self._target = None
        curve = sorted(self._curve, key=lambda p: p["queries"])
        return ExtractionResult(
            attack=self.plugin_name,
            params=self.params,
            queries=oracle.queries,
            seconds=seconds,
            fidelity=Rate(**final["fidelity"]),
            accuracy=Rate(**final["accuracy"]),
            victim_accuracy=rate_of(self._victim_labels == target.test.y),
            curve=curve,
            transfer_success=transfer[0],
            transfer_control=transfer[1],
            transfer=transfer[2],
            model_id=target.target_id,
            oracle_output=oracle.output,
            extra=dict(self.extra),
            stolen=stolen,
            artifact=self._keys[-1] if self._keys else None,
        )


def transfer_success(
    stolen: ModelAdapter, measure: Oracle, target: ExtractionTarget, seed: int
) -> tuple[Rate | None, Rate | None, dict[str, Any]]:
    """PGD on the stolen copy, judged by the victim; random sign noise of the same ε as control.

    Only test images the victim classifies correctly count (first ``transfer_samples``).

    Returns:
        ``(success, control, settings)``; success and control are ``None`` without any
        eligible image.
    """
    test = target.test
    n = min(target.transfer_samples, len(test))
    x, y = test.x[:n], test.y[:n]
    ok = measure(x) == y
    settings: dict[str, Any] = {
        "attack": "pgd",
        "norm": "linf",
        "eps": target.transfer_eps,
        "steps": target.transfer_steps,
        "eligible": int(ok.sum()),
    }
    if not ok.any():
        return None, None, settings
    x, y = x[ok], y[ok]
    pgd = ATTACKS.create(
        "pgd",
        {"eps": target.transfer_eps, "steps": target.transfer_steps, "early_stop": False},
        seed=seed,
    )
    x_adv, _ = pgd.generate(stolen, x, y)
    gen = torch.Generator().manual_seed(seed)
    signs = torch.randint(0, 2, x.shape, generator=gen).float() * 2 - 1
    noise = (x + target.transfer_eps * signs).clamp(0, 1)
    success = rate_of(measure(x_adv) != y)
    control = rate_of(measure(noise) != y)
    settings["stolen_white_box_success"] = rate_of(stolen.predict(x_adv) != y).to_dict()
    return success, control, settings


__all__ = [
    "ExtractionAttack",
    "ExtractionConfig",
    "ExtractionResult",
    "soft_targets",
    "transfer_success",
]
