"""Attack stage: run the attack plan against the baseline through the assessment service.

The plan is the profile's ``attacks``; a profile with a threat model and no ``attacks`` runs
the threat model's available planned attacks with the plan's parameters. Planned attacks the
run leaves out are listed with why. Each attack is a unit of work stored by content hash (so a
killed run loses at most the unit in flight); the analyses (worst case per budget, robustness
curves, validity checks) are units too, stored in the artifact store, not in the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch

from safedl.assess import assess_model, worst_case
from safedl.assess.curves import curve_specs, robustness_curve
from safedl.assess.escalation import escalation_requests, triggers
from safedl.assess.validity import run_checks
from safedl.config.profile import PluginSpec, Profile
from safedl.data import TensorData
from safedl.pipeline.context import RunContext
from safedl.pipeline.results import AttacksResult, LeftOut
from safedl.pipeline.stages import attack_plots
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.pipeline.stages.remote_plan import remote_plan
from safedl.progress import track
from safedl.results import AttackEntry, EvasionEntry, Finding
from safedl.store import content_key
from safedl.threat.model import ThreatAssessment

log = logging.getLogger(__name__)


def resolve_plan(
    profile: Profile, threat: ThreatAssessment | None
) -> tuple[list[PluginSpec], str, list[LeftOut]]:
    """``(plan, source, left_out)``: what this run executes and what it leaves out."""
    planned = threat.plan if threat is not None else []
    left_out = [
        LeftOut(name=p.name, params=dict(p.params), threat_ids=p.threat_ids, why=p.reason)
        for p in planned
        if p.status == "unavailable"
    ]
    if profile.attacks or threat is None:
        run = {(s.name, repr(sorted(s.params.items()))) for s in profile.attacks}
        left_out += [
            LeftOut(
                name=p.name,
                params=dict(p.params),
                threat_ids=p.threat_ids,
                why="the profile lists its own attacks and leaves this planned attack out",
            )
            for p in planned
            if p.status == "available" and (p.name, repr(sorted(p.params.items()))) not in run
        ]
        return list(profile.attacks), "profile", left_out
    plan = [PluginSpec(name=p.name, params=dict(p.params)) for p in threat.available()]
    return plan, "threat_model", left_out


class AttackStage(Stage):
    """Run the plan, then derive worst case, curves, checks and plots from it."""

    name = "attacks"

    def run(self, ctx: RunContext) -> StageOutcome:
        threat = ctx.threat()
        plan, source, left_out = resolve_plan(ctx.profile, threat)
        if not plan:
            note = "the profile's attack plan is empty"
            if threat is not None:
                note = "the threat model plans no available attack and the profile lists none"
            return StageOutcome("skipped", note=note)
        if ctx.is_remote:
            plan, out = remote_plan(plan, ctx.profile, threat)
            left_out += out
            if not plan:
                return StageOutcome(
                    "skipped", note="no attack of the plan can run against a served target"
                )
        target = ctx.baseline_target()
        data = ctx.evaluation_set()
        with track("attacks", total=len(plan)) as task:
            entries = assess_model(
                target,
                data,
                plan,
                ctx.settings(),
                threat=threat,
                on_done=lambda _i: task.advance(1),
            )
        ev = ctx.profile.evaluation
        analysis = _Analysis(ctx, entries, plan, threat)
        result = AttacksResult(
            plan_source=source,
            attacks=entries,
            left_out=left_out,
            worst_case=worst_case(ctx.store, entries),
        )
        if ctx.is_remote:  # both analyses attack the model itself (gradients, its weights)
            why = "the model under test is a served target, reachable only through queries"
            result.skipped = {"curves": why, "validity": why}
        elif ev.curves:
            result.curves = analysis.unit("curves", analysis.curves)
        if ev.validity_checks and not ctx.is_remote:
            result.validity = [
                Finding.model_validate(f) for f in analysis.unit("validity", analysis.validity)
            ]
            result.reliable = all(f.status != "fail" for f in result.validity)
            fired = triggers(result.validity)
            if fired:
                why = f"escalated: {', '.join(f.id for f in fired)} failed ({fired[0].name})"
                more = escalation_requests(entries, target.views, why)
                log.info("%s: escalating with %d attacks", why, len(more))
                added = assess_model(target, data, more, ctx.settings(), threat=threat)
                entries = [*entries, *added]
                result.attacks = entries
                result.worst_case = worst_case(ctx.store, entries)
                result.escalation = {
                    "because": [f.id for f in fired],
                    "units": [e.unit for e in added],
                }
        result.plots = attack_plots.plots(ctx, entries, result.curves)
        return StageOutcome("done", result.model_dump(mode="json"))


class _Analysis:
    """The analyses of one attack stage, each a stored unit keyed by what it depends on."""

    def __init__(
        self,
        ctx: RunContext,
        entries: list[AttackEntry],
        plan: list[PluginSpec],
        threat: ThreatAssessment | None,
    ) -> None:
        self.ctx, self.entries, self.plan, self.threat = ctx, entries, plan, threat
        self.depends = [e.unit for e in entries]

    def unit(self, name: str, fn: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        ev = self.ctx.profile.evaluation
        key = content_key(
            f"analysis-{name}",
            {
                "units": self.depends,
                "evaluation": ev.model_dump(mode="json", exclude={"workers"}),
                "seed": self.ctx.seed,
            },
        )
        stored = self.ctx.store.get_json(key)
        if stored is not None:
            log.info("attack analysis %s: reusing finished unit", name)
            items: list[dict[str, Any]] = stored["items"]
            return items
        log.info("attack analysis: %s", name)
        items = fn()
        self.ctx.store.put_json(key, {"items": items})
        return items

    def curves(self) -> list[dict[str, Any]]:
        ctx, ev = self.ctx, self.ctx.profile.evaluation
        data = _subset(ctx, ev.curve_samples)
        specs = list(ev.curve_attacks) or curve_specs(self.plan)
        return [
            robustness_curve(ctx.baseline_target(), data, s, ctx.settings(), threat=self.threat)
            for s in specs
        ]

    def validity(self) -> list[dict[str, Any]]:
        ctx = self.ctx
        evasion = [e for e in self.entries if isinstance(e, EvasionEntry)]
        if not evasion:
            return []
        findings = run_checks(
            ctx.baseline(),
            _subset(ctx, ctx.profile.evaluation.check_samples),
            self.entries,
            seed=ctx.seed,
            batch_size=ctx.profile.evaluation.batch_size,
            dataset=ctx.profile.dataset.name,
        )
        return [f.model_dump(mode="json") for f in findings]


def _subset(ctx: RunContext, n: int) -> TensorData:
    data = ctx.evaluation_set()
    return data.subset(torch.arange(min(n, len(data))))
