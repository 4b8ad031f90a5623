"""Attack stage: run the profile's attack plan against the baseline, one resumable unit each."""

from __future__ import annotations

import logging
from typing import Any

from safedl.attacks.evasion.base import EvasionAttack
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.pipeline.store import content_key
from safedl.progress import track
from safedl.registry import ATTACKS

log = logging.getLogger(__name__)


class AttackStage(Stage):
    """Each finished attack is written to the record at once, so a killed run loses at most one."""

    name = "attacks"

    def run(self, ctx: RunContext) -> StageOutcome:
        plan = ctx.profile.attacks
        if not plan:
            return StageOutcome("skipped", note="the profile's attack plan is empty")
        entry = ctx.record.stage(self.name)
        units: dict[str, Any] = entry.setdefault("units", {})
        baseline_id = ctx.record.result("baseline").get("artifact") or ctx.profile.model.weights
        results = []
        with track("attacks", total=len(plan)) as task:
            for spec in plan:
                info = ATTACKS.get(spec.name)
                key = content_key(
                    "attack",
                    {
                        "name": spec.name,
                        "params": spec.params,
                        "seed": ctx.seed,
                        "samples": ctx.profile.evaluation.samples,
                        "model": baseline_id,
                    },
                )
                if key not in units:
                    units[key] = self._run_one(ctx, spec.name, spec.params, key, info.family)
                    ctx.record.save()
                else:
                    log.info("attack %s: reusing finished result", spec.name)
                results.append(units[key])
                task.advance(1)
        entry.pop("units", None)
        return StageOutcome("done", {"attacks": results})

    def _run_one(
        self, ctx: RunContext, name: str, params: dict[str, Any], key: str, family: str
    ) -> dict[str, Any]:
        attack = ATTACKS.create(name, params, seed=ctx.seed)
        if not isinstance(attack, EvasionAttack):
            return {
                "attack": name,
                "family": family,
                "status": "unavailable",
                "note": f"the {family} family is not evaluated by this version yet",
            }
        data = ctx.evaluation_set()
        log.info("attack %s on %d examples", name, len(data))
        result = attack.run(ctx.baseline(), data, batch_size=ctx.profile.evaluation.batch_size)
        out = {"family": family, "status": "done", "unit": key, **result.to_dict()}
        if result.examples is not None:
            ctx.store.save_tensors(
                key,
                {"x_adv": result.examples[:64]},
                {"attack": name, "params": params, "first": 64},
            )
            out["artifact"] = key
        return out
