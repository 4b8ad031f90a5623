"""Defense stage: apply each defense of the profile to the baseline, one resumable unit each.

A defense's artifact (weights, a wrapper spec, a calibrated state) is stored by content key,
and training defenses checkpoint every epoch, so a killed run resumes mid-defense; applying a
finished one again only loads it. The entry records what the defense declares for its
adaptive re-evaluation, its own metrics and its measured cost.
"""

from __future__ import annotations

import logging
from typing import Any

from safedl.config.profile import PluginSpec
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.pipeline.stages.poisoning_defenses import split_specs
from safedl.registry import DEFENSES

log = logging.getLogger(__name__)


def defense_names(specs: list[Any]) -> list[str]:
    """A model name per defense: its registered name, numbered when it appears twice."""
    names = [s.name for s in specs]
    return [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]


def recommended(ctx: RunContext) -> dict[str, Any] | None:
    """The recommendation ``defenses: recommended`` follows: the first with a registered defense.

    Recommendations come ordered by the worst risk they answer (the risk stage), so this is
    the best-ranked defense for the top risk; ``None`` when nothing registered is recommended.
    """
    for rec in ctx.record.result("risk").get("recommendations", []):
        if rec.get("available"):
            return {**rec, "chosen": rec["available"][0]}
    return None


def defense_specs(ctx: RunContext) -> list[PluginSpec]:
    """The defenses this run applies: the profile's list, or the recommended one (none for a
    served target: a defense changes the model, which only its owner can)."""
    if ctx.is_remote:
        return []
    if not isinstance(ctx.profile.defenses, str):
        return list(ctx.profile.defenses)
    rec = recommended(ctx)
    return [] if rec is None else [PluginSpec(name=rec["chosen"], params={})]


def defense_context(ctx: RunContext) -> DefenseContext:
    """What the run's defenses get: the baseline, its recipe and data, the store."""
    base = ctx.record.result("baseline")
    training = base.get("training") or {}
    return DefenseContext(
        baseline=ctx.baseline(),
        baseline_id=ctx.baseline_target().model_id,
        splits=ctx.splits(),
        training=ctx.profile.training,
        new_model=ctx.fresh_model(),
        model_spec=ctx.profile.model.model_dump(mode="json", exclude={"weights"}),
        store=ctx.store,
        seed=ctx.seed,
        device=ctx.device,
        batch_size=ctx.profile.evaluation.batch_size,
        baseline_train_seconds=training.get("seconds"),
    )


def apply_defenses(ctx: RunContext) -> list[tuple[str, DefendedModel]]:
    """Apply (or load) every defense of the profile; ``(model name, defended)`` each."""
    if ctx._defended is None:
        dctx = defense_context(ctx)
        out = []
        specs, _ = split_specs(defense_specs(ctx))
        for name, spec in zip(defense_names(specs), specs, strict=True):
            log.info("defense %s", name)
            defense = DEFENSES.create(spec.name, spec.params, seed=ctx.seed)
            out.append((name, defense.apply(dctx)))
        ctx._defended = out
    return ctx._defended


def _entry(name: str, d: DefendedModel) -> dict[str, Any]:
    needs = d.adaptive
    return {
        "model": name,
        "defense": d.defense,
        "kind": d.kind,
        "params": d.params,
        "model_id": d.model_id,
        "artifact": d.artifact,
        "adaptive_needs": {
            "differentiable": needs.differentiable,
            "randomized": needs.randomized,
            "eot_samples": needs.eot_samples,
            "detector": needs.detector,
            "output": needs.output,
        },
        "cost": d.cost.to_dict(),
        "metrics": d.metrics,
    }


class DefenseStage(Stage):
    """Apply the profile's ``defenses``; their re-evaluation is the next stage."""

    name = "defenses"

    def run(self, ctx: RunContext) -> StageOutcome:
        if not defense_specs(ctx):
            recs = ctx.record.result("risk").get("recommendations", [])
            named = sorted({n for r in recs for n in r.get("available", [])})
            hint = f"; the risk stage recommends {', '.join(named)}" if named else ""
            if ctx.is_remote:
                note = "the model under test is a served target: apply defenses where it is trained"
                return StageOutcome("skipped", note=note + hint)
            if isinstance(ctx.profile.defenses, str):
                return StageOutcome("skipped", note=f"no registered defense is recommended{hint}")
            return StageOutcome("skipped", note=f"the profile lists no defenses{hint}")
        entries = [_entry(n, d) for n, d in apply_defenses(ctx)]
        out: dict[str, Any] = {"defenses": entries}
        _, poison = split_specs(defense_specs(ctx))
        if poison:
            out["measured_against_poisons"] = [s.name for s in poison]
        if isinstance(ctx.profile.defenses, str):
            rec = recommended(ctx)
            assert rec is not None  # defense_specs found one
            out["chosen_by"] = {
                "defense": rec["chosen"],
                "recommendation": rec["defense"],
                "risks": rec["risks"],
                "reason": rec["reason"],
            }
        return StageOutcome("done", out)
