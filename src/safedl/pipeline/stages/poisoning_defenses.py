"""Poisoning and backdoor defenses in a run: measured against the run's own poisons.

A defense that answers poisoning (``Defense.answers``: data filters, repair, anti-backdoor
training, STRIP) is not applied to the clean baseline like an evasion defense: it is measured
against every poisoning and backdoor attack the run finished — the same attack and parameters,
so the same stored poisoned set and victim — and against the clean model (no attack: what the
defense costs when there is nothing to find). Each pair goes through
:func:`safedl.assess.backdoor_defense.measure_grid`: precision and recall against the stored
poison indices, clean accuracy and attack success before and after, measured cost, figures.
The grid is one stored unit, so a resumed run reads it back.

The residual risk after each defense is the run's attacks with each poisoning result replaced by
what the defense left (its attack success and clean accuracy), scored by the risk stage's rules,
with the posture after it.
"""

from __future__ import annotations

import logging
from typing import Any

from safedl.assess.backdoor_defense import measure_grid
from safedl.assess.backdoor_victim import CleanRecipe
from safedl.assess.service import POISONING_FAMILIES
from safedl.config.profile import PluginSpec
from safedl.pipeline.context import RunContext
from safedl.registry import DEFENSES
from safedl.results import Finding
from safedl.risk import score_all, verdict
from safedl.store import content_key

log = logging.getLogger(__name__)


def answers_poisoning(name: str) -> bool:
    """Whether the registered defense ``name`` answers poisoning or backdoors."""
    answers = getattr(DEFENSES.get(name).cls, "answers", ())
    return bool(set(answers) & set(POISONING_FAMILIES))


def split_specs(specs: list[PluginSpec]) -> tuple[list[PluginSpec], list[PluginSpec]]:
    """``(applied to the baseline, measured against the poisons)``."""
    poison = [s for s in specs if answers_poisoning(s.name)]
    return [s for s in specs if not answers_poisoning(s.name)], poison


def poisoning_grid(ctx: RunContext, specs: list[PluginSpec]) -> dict[str, Any] | None:
    """The attacks × defenses grid of this run (``None`` without poisoning defenses)."""
    if not specs:
        return None
    entries = ctx.record.result("attacks").get("attacks", [])
    attacks: list[tuple[str | None, dict[str, Any]]] = [
        (e["attack"], dict(e.get("params") or {}))
        for e in entries
        if e.get("family") in POISONING_FAMILIES and e.get("status") == "done"
    ]
    attacks.append((None, {}))  # the clean control: false positives and their cost
    defenses = [(s.name, dict(s.params)) for s in specs]
    key = content_key(
        "poisoning-grid",
        {
            "attacks": attacks,
            "defenses": defenses,
            "baseline": ctx.baseline_target().model_id,
            "seed": ctx.seed,
        },
    )
    stored = ctx.store.get_json(key)
    if stored is not None:
        log.info("poisoning defenses: reusing the finished grid")
        return dict(stored)
    splits = ctx.splits()
    base = ctx.record.result("baseline")
    recipe = CleanRecipe(
        splits=splits,
        new_model=ctx.fresh_model(),
        training=ctx.profile.training,
        model_spec=ctx.profile.model.model_dump(mode="json", exclude={"weights"}),
        store=ctx.store,
        seed=ctx.seed,
        baseline=ctx.baseline(),
        batch_size=ctx.profile.evaluation.batch_size,
        baseline_train_seconds=(base.get("training") or {}).get("seconds"),
    )
    plots = ctx.plots_dir / "poisoning_defenses"
    grid = measure_grid(attacks, defenses, recipe, plots_dir=plots)
    grid = _relative(grid, ctx)
    grid["residual"] = residual(ctx, grid)
    ctx.store.put_json(key, grid)
    return grid


def _matches(row: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Whether a grid row measured this run's attack entry (same attack, same parameters)."""
    if row["attack"] != entry["attack"]:
        return False
    given = row.get("attack_params") or {}
    return all(given.get(k) == v for k, v in (entry.get("params") or {}).items() if k in given)


def residual(ctx: RunContext, grid: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per poisoning defense: the residual risks of the poisons and the posture after it."""
    attacks = ctx.record.result("attacks")
    entries = attacks.get("attacks", [])
    findings = [Finding.model_validate(f) for f in attacks.get("validity", [])]
    threat = ctx.record.result("threat_model") or None
    out: dict[str, dict[str, Any]] = {}
    for defense in dict.fromkeys(r["defense"] for r in grid["rows"]):
        rows = [r for r in grid["rows"] if r["defense"] == defense and r["attack"]]
        after, replaced = [], []
        for i, e in enumerate(entries):
            row = next((r for r in rows if _matches(r, e)), None)
            if row is None or e.get("family") not in POISONING_FAMILIES:
                after.append(e)
                continue
            replaced.append(i)
            after.append(
                {
                    **e,
                    "model": defense,
                    "attack_success_rate": row["attack_success_rate"],
                    "clean_accuracy": row["clean_accuracy"],
                }
            )
        risks, _ = score_all(after, threat, findings)
        out[defense] = {
            "residual_risks": [r.to_dict() for r in risks if r.index in replaced],
            "posture_after": verdict([r.to_dict() for r in risks], after, threat),
        }
    return out


def _relative(value: Any, ctx: RunContext) -> Any:
    """Figure paths relative to the run directory, so the record moves with it."""
    root = str(ctx.run_dir)
    if isinstance(value, dict):
        return {k: _relative(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, ctx) for v in value]
    if isinstance(value, str) and value.startswith(root):
        return value[len(root) :].lstrip("/")
    return value


__all__ = ["answers_poisoning", "poisoning_grid", "residual", "split_specs"]
