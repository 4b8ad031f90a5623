"""Shared base of data filters: flag training samples, retrain on the kept ones, score flags.

A data filter (spectral signatures, activation clustering, deep k-NN) reads the
penultimate-layer features of the model trained on the (possibly poisoned) training set
(``ctx.baseline`` on ``ctx.training_set``), flags the samples it believes poisoned, and the
kept samples — or, for a filter that relabels, every sample with the flagged ones relabelled —
are retrained with the baseline's settings (``ctx.training``) through the one training loop
and its cache (:func:`safedl.training.train_or_load`). A plugin implements
:meth:`DataFilter.flag`.

The flags (a boolean per training sample), the filter's per-sample scores and its own figures
are stored by content key (:func:`~safedl.defenses.base.defense_key`); a re-run reuses them and
the retrained model. When the ground truth of poisoned samples is known
(``ctx.poison_indices``), the filter is scored against it — precision and recall with their
95% Wilson intervals, clean samples thrown away — and it is never used to decide.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch

from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.cost import Stopwatch, accuracy_cost, defense_cost
from safedl.defenses.data.features import penultimate_features
from safedl.errors import DataError
from safedl.evaluation.metrics import rate
from safedl.models import model_fingerprint
from safedl.store import content_key
from safedl.training import train_or_load


@dataclass
class Flags:
    """What a filter decided: ``flagged`` ``[N]`` bool, ``scores`` ``[N]`` float, figures.

    ``relabel`` (``[N]`` int64, optional): a label for every sample; when given, flagged
    samples are kept with these labels instead of being dropped.
    """

    flagged: torch.Tensor
    scores: torch.Tensor
    metrics: dict[str, Any] = field(default_factory=dict)
    relabel: torch.Tensor | None = None

    def cleaned(self, data: TensorData) -> TensorData:
        """``data`` without the flagged samples, or with their labels replaced."""
        if self.relabel is None:
            return data.subset(~self.flagged)
        y = torch.where(self.flagged, self.relabel.long(), data.y)
        return TensorData(data.x, y)


def detection(flagged: torch.Tensor, poison_indices: torch.Tensor | None) -> dict[str, Any]:
    """Precision and recall of ``flagged`` (``[N]`` bool) against the true poison indices.

    Both in one index space (positions in the training set the filter saw). Returns
    ``flagged``, ``poisoned``, ``true_positives``, ``clean_discarded`` and the rates
    ``precision`` (of flagged samples, share poisoned) and ``recall`` (of poisoned samples,
    share flagged), with their 95% CIs; without ground truth only ``flagged``.
    """
    flagged = flagged.bool().cpu()
    out: dict[str, Any] = {"flagged": int(flagged.sum())}
    if poison_indices is None:
        return out
    truth = torch.zeros_like(flagged)
    truth[poison_indices.long().cpu()] = True
    tp = int((flagged & truth).sum())
    out.update(
        poisoned=int(truth.sum()),
        true_positives=tp,
        clean_discarded=int((flagged & ~truth).sum()),
        poison_kept=int((truth & ~flagged).sum()),
        precision=rate(tp, out["flagged"]).to_dict(),
        recall=rate(tp, int(truth.sum())).to_dict(),
    )
    return out


class DataFilter(Defense):
    """Base of data filters: :meth:`apply` is shared, a plugin writes :meth:`flag`."""

    kind: ClassVar[Literal["data"]] = "data"
    answers: ClassVar[tuple[str, ...]] = ("poisoning", "backdoor")
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds()

    @abstractmethod
    def flag(self, features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> Flags:
        """Flag samples from their ``[N, D]`` features and (possibly poisoned) ``[N]`` labels."""

    def flags(self, ctx: DefenseContext) -> tuple[Flags, str, bool, float]:
        """The stored flags of this filter in ``ctx``, or computed and stored.

        Returns:
            ``(flags, store key, reused, seconds spent)``.
        """
        key = content_key("flags", {"defense": self.key(ctx)})
        if ctx.store.has(key):
            t = ctx.store.load_tensors(key)
            meta = ctx.store.meta(key)
            relabel = t["relabel"].long() if "relabel" in t else None
            found = Flags(t["flagged"].bool(), t["scores"], meta["metrics"], relabel)
            return found, key, True, 0.0
        data = ctx.training_set
        if len(data) == 0:
            raise DataError(f"defense {self.plugin_name!r}: the training set is empty")
        with Stopwatch() as clock:
            feats = penultimate_features(ctx.baseline, data.x, batch_size=ctx.batch_size)
            out = self.flag(feats, data.y, ctx.baseline.num_classes)
        tensors = {"flagged": out.flagged.to(torch.uint8), "scores": out.scores.float()}
        if out.relabel is not None:
            tensors["relabel"] = out.relabel.long()
        ctx.store.save_tensors(
            key,
            tensors,
            {"defense": self.plugin_name, "params": self.params, "metrics": out.metrics},
        )
        return out, key, False, clock.seconds

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        found, flags_key, flags_reused, flag_seconds = self.flags(ctx)
        data = ctx.training_set
        kept = found.cleaned(data)
        if len(kept) == 0:
            raise DataError(
                f"defense {self.plugin_name!r} flagged every training sample; nothing is left "
                "to train on",
                hint="loosen its parameters (a smaller eps, threshold or k)",
            )
        model = ctx.new_model()
        with Stopwatch() as clock:
            key, meta, reused = train_or_load(
                ctx.store,
                model,
                kept,
                ctx.splits.val,
                ctx.training,
                seed=ctx.seed,
                spec={"model": ctx.model_spec, "role": "filtered"},  # same kept set, same model
                description=f"retraining after {self.plugin_name}",
            )
        training = meta.get("training", {})
        cost = defense_cost(
            ctx,
            model,
            train_seconds=(0.0 if reused else clock.seconds) + flag_seconds,
            reused=reused and flags_reused,
            train_seconds_original=training.get("seconds") if reused else None,
        )
        per_class = torch.bincount(data.y[found.flagged], minlength=ctx.baseline.num_classes)
        metrics = {
            **accuracy_cost(ctx, model),
            "detection": detection(found.flagged, ctx.poison_indices),
            "kept": len(kept),
            "relabelled": found.relabel is not None,
            "flagged_per_class": per_class.tolist(),
            "flags_artifact": flags_key,
            "filter": found.metrics,
        }
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=model,
            model_id=model_fingerprint(model),
            adaptive=type(self).adaptive,
            cost=cost,
            artifact=key,
            metrics=metrics,
        )


__all__ = ["DataFilter", "Flags", "detection"]
