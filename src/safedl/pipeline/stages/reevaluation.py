"""Re-evaluation stage: re-attack every defended model, adaptively, and score what it bought.

Each defended model is attacked with the baseline's evasion plan through the assessment
service plus the adaptive attacks its defense's declaration calls for
(:func:`safedl.assess.reevaluate.reevaluate`). Per defense and budget the record holds the
adaptive worst case (the result), the non-adaptive figure (labelled so), the paired change
against the baseline with McNemar's test, the clean-accuracy change, the measured cost, the
validity checks on the defended model, and the residual risk: the defended model's attacks
scored by the risk stage's rules, with the posture after the defense.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from safedl.assess.reevaluate import reevaluate
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.pipeline.stages.defenses import apply_defenses, defense_specs
from safedl.pipeline.stages.poisoning_defenses import poisoning_grid, split_specs
from safedl.reporting.defense_plots import plot_pareto
from safedl.results import parse_entry
from safedl.risk import score_all, verdict

log = logging.getLogger(__name__)


class ReEvaluationStage(Stage):
    """Re-attack the defended models; residual risk and posture after each defense."""

    name = "reevaluation"

    def run(self, ctx: RunContext) -> StageOutcome:
        if not defense_specs(ctx):
            return StageOutcome("skipped", note="no defense was applied")
        attacks = ctx.record.result("attacks")
        baseline_entries = [parse_entry(a) for a in attacks.get("attacks", [])]
        data = ctx.evaluation_set()
        n = min(ctx.profile.evaluation.check_samples, len(data))
        check = data.subset(torch.arange(n))
        threat = ctx.threat()
        threat_dict = ctx.record.result("threat_model") or None
        models: list[dict[str, Any]] = []
        for name, defended in apply_defenses(ctx):
            log.info("re-evaluating %s", name)
            rev = reevaluate(
                ctx.baseline_target(),
                baseline_entries,
                defended,
                data,
                ctx.settings(),
                name=name,
                threat=threat,
                check_data=check,
                dataset=ctx.profile.dataset.name,
            )
            out = rev.to_dict()
            risks, _ = score_all(out["attacks"], threat_dict, rev.validity)
            scored = [r.to_dict() for r in risks]
            out["residual_risks"] = scored
            out["posture_after"] = verdict(scored, out["attacks"], threat_dict)
            models.append(out)
        result: dict[str, Any] = {"models": models, "plot": None}
        if models:
            costs = {
                name: (d.cost.train_seconds or 0.0)
                / max(d.cost.baseline_train_seconds or 1.0, 1e-9)
                for name, d in apply_defenses(ctx)
            }
            path = plot_pareto(models, costs, ctx.plots_dir / "defenses.png")
            result["plot"] = str(path.relative_to(ctx.run_dir))
        _, poison = split_specs(defense_specs(ctx))
        grid = poisoning_grid(ctx, poison)
        if grid is not None:
            result["poisoning"] = grid
        return StageOutcome("done", result)
