"""Attack stage: run the profile's attack plan against the baseline, one resumable unit each.

Each finished attack, and then each analysis (worst case per budget, robustness curves,
validity checks, plots), is written to the record at once, so a killed run loses at most one
unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch

from safedl.attacks.evasion.base import BOUND_TOLERANCE, EvasionAttack
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages import attack_analysis
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.progress import track
from safedl.registry import ATTACKS
from safedl.store import content_key

log = logging.getLogger(__name__)

#: Adversarial examples kept per attack for plots and later stages.
KEEP_EXAMPLES = 64


class AttackStage(Stage):
    """Run the plan, then derive worst case, curves, checks and plots from it."""

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
                    units[key] = self._run_one(ctx, spec.name, spec.params, key)
                    ctx.record.save()
                else:
                    log.info("attack %s: reusing finished result", spec.name)
                results.append(units[key])
                task.advance(1)

        ev = ctx.profile.evaluation

        def unit(name: str, fn: Callable[[], Any]) -> Any:
            if name not in units:
                log.info("attack analysis: %s", name)
                units[name] = fn()
                ctx.record.save()
            return units[name]

        out: dict[str, Any] = {"attacks": results}
        out["worst_case"] = unit("worst_case", lambda: attack_analysis.worst_case(ctx, results))
        out["curves"] = unit("curves", lambda: attack_analysis.curves(ctx)) if ev.curves else []
        if ev.validity_checks:
            out["validity"] = unit("validity", lambda: attack_analysis.validity(ctx, results))
            out["reliable"] = all(f["status"] != "fail" for f in out["validity"])
        out["plots"] = attack_analysis.plots(ctx, results, out["curves"])
        entry.pop("units", None)
        return StageOutcome("done", out)

    def _run_one(
        self, ctx: RunContext, name: str, params: dict[str, Any], key: str
    ) -> dict[str, Any]:
        info = ATTACKS.get(name)
        attack = ATTACKS.create(name, params, seed=ctx.seed)
        if info.family in ("poisoning", "backdoor"):
            from safedl.attacks.poisoning.pipeline import run_in_pipeline

            return run_in_pipeline(ctx, name, params, key)
        if not isinstance(attack, EvasionAttack):
            return {
                "attack": name,
                "family": info.family,
                "status": "unavailable",
                "note": f"the {info.family} family is not evaluated by this version yet",
            }
        data = ctx.evaluation_set()
        log.info("attack %s on %d examples", name, len(data))
        result = attack.run(ctx.baseline(), data, batch_size=ctx.profile.evaluation.batch_size)
        out = {
            "family": info.family,
            "access": info.access,
            "status": "done",
            "unit": key,
            "minimum_norm": attack.minimum_norm,
            **result.to_dict(),
        }
        if result.examples is not None:
            x_adv = result.examples
            robust = ctx.baseline().predict(x_adv, batch_size=ctx.profile.evaluation.batch_size)
            robust = robust == data.y
            if attack.minimum_norm:
                delta = (x_adv - data.x).flatten(1)
                size = delta.abs().amax(1) if attack.config.norm == "linf" else delta.norm(dim=1)
                robust |= size > attack.config.eps + BOUND_TOLERANCE
            ctx.store.save_tensors(
                key,
                {"x_adv": x_adv[:KEEP_EXAMPLES], "robust": robust.to(torch.uint8)},
                {"attack": name, "params": params, "examples_kept": KEEP_EXAMPLES},
            )
            out["artifact"] = key
        return out
