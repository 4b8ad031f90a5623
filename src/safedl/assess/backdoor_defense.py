"""Measure a poisoning or backdoor defense against the known poison: before, after, and how.

One call, :func:`measure_backdoor_defense`, for one attack × defense pair:

1. the poisoned set is crafted by the attack plugin (or reused from the store) and the victim
   trained on it through the one training loop (or reused) — :mod:`safedl.assess.
   backdoor_victim`;
2. the defense is applied through its ``apply(DefenseContext)`` with the poisoned set as
   ``train_data`` and the ground-truth ``poison_indices`` (which the defense may use only to
   score itself);
3. the victim (``baseline``) and the defended model (``defended``) are measured the same way:
   clean accuracy on the clean test split and the attack's success rate (its own
   :meth:`~safedl.attacks.poisoning.base.PoisoningAttack.outcome`), with Wilson 95% CIs. For
   a detector in front of the model (STRIP), a flagged input is a rejected one: a triggered
   input succeeds only when it passes *and* reaches the target, a clean one counts as correct
   only when it passes and is classified right;
4. ``detection``: for data filters (and ABL's isolation) precision and recall of the flags
   against the true poison indices, in one index space, with how many clean samples were
   thrown away; for detectors FAR at the calibrated FRR, the realised FRR, and the FAR/FRR
   curve on the clean and triggered test inputs;
5. ``cost``: the defense's measured cost beside the victim's training time.

Everything returned is JSON-serialisable; rates are ``{value, low, high, k, n}``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from safedl.assess.backdoor_victim import CleanRecipe, Victim, poisoned_victim, victim_context
from safedl.defenses.base import DefendedModel, Defense
from safedl.defenses.data.base import detection
from safedl.defenses.detectors.strip import Strip, StripDetector, far_frr_curve
from safedl.errors import ConfigError
from safedl.evaluation.metrics import rate, rate_of
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES


def measure_model(
    model: ModelAdapter,
    victim: Victim,
    recipe: CleanRecipe,
    detector: StripDetector | None = None,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Clean accuracy and attack success of ``model`` (behind ``detector``, if any).

    Returns:
        The two rates (``attack_success_rate`` ``None`` without an attack) and the raw
        per-input tensors (entropies when a detector is given).
    """
    test, bs = recipe.splits.test, recipe.batch_size
    correct = model.predict(test.x, batch_size=bs) == test.y
    raw: dict[str, torch.Tensor] = {}
    if detector is not None:
        raw["clean_entropy"] = detector.entropy(test.x, seed_offset=1)
        correct &= raw["clean_entropy"] >= detector.threshold
    out: dict[str, Any] = {
        "clean_accuracy": rate_of(correct).to_dict(),
        "attack_success_rate": None,
    }
    if victim.attack is None:
        return out, raw
    hit = victim.attack.outcome(model, test, victim.poisoned, bs).success
    bd = victim.backdoor
    if detector is not None and bd is not None:
        keep = bd.eligible(test.y)
        triggered = bd.apply_trigger(test.x[keep], victim.poisoned.trigger)
        raw["triggered_entropy"] = detector.entropy(triggered, seed_offset=2)
        hit = hit & (raw["triggered_entropy"] >= detector.threshold)
    out["attack_success_rate"] = rate_of(hit).to_dict()
    return out, raw


def _detector_detection(
    det: StripDetector, calibration: torch.Tensor, raw: dict[str, torch.Tensor]
) -> dict[str, Any]:
    clean_h = raw["clean_entropy"]
    flagged_clean = clean_h < det.threshold
    out: dict[str, Any] = {
        "threshold": det.threshold,
        "frr": rate_of(flagged_clean).to_dict(),
        "flagged_clean": int(flagged_clean.sum()),
    }
    trig = raw.get("triggered_entropy")
    if trig is None:
        return out
    flagged_trig = trig < det.threshold
    tp, flagged = int(flagged_trig.sum()), int(flagged_trig.sum() + flagged_clean.sum())
    out.update(
        far=rate_of(~flagged_trig).to_dict(),
        recall=rate_of(flagged_trig).to_dict(),
        precision=rate(tp, flagged).to_dict(),
        flagged=flagged,
        curve=far_frr_curve(calibration, clean_h, trig, calibration=det.boundary_method),
    )
    return out


def _filter_detection(defended: DefendedModel, recipe: CleanRecipe, victim: Victim) -> Any:
    m = defended.metrics
    if "flags_artifact" in m:
        flags = recipe.store.load_tensors(m["flags_artifact"])["flagged"].bool()
        return detection(flags, victim.poisoned.indices)
    if "isolation" in m:
        return m["isolation"]
    return None


def _defense_metrics(defended: DefendedModel, victim: Victim) -> dict[str, Any]:
    m = {k: v for k, v in defended.metrics.items() if k not in ("detection", "isolation")}
    bd = victim.backdoor
    if "flagged_classes" in m and bd is not None and bd.config.mode == "all_to_one":
        m["true_target"] = bd.config.target_class
        m["names_true_target"] = bd.config.target_class in m["flagged_classes"]
    return m


def measure_backdoor_defense(
    attack: str | None,
    defense: str,
    recipe: CleanRecipe,
    *,
    attack_params: dict[str, Any] | None = None,
    defense_params: dict[str, Any] | None = None,
    plots_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Apply ``defense`` against ``attack`` on ``recipe`` and measure it against the truth.

    Args:
        attack: Registered poisoning or backdoor attack (``badnets``, ``blend``,
            ``label_flip``, ...), or ``None`` for the clean model on clean data (the
            false-positive side: what the defense costs when there is no poison).
        defense: Registered defense.
        recipe: The clean recipe (data, model factory, training settings, store, seed).
        attack_params, defense_params: Their parameters (validated by their Configs).
        plots_dir: When given, figures are written there and listed under ``figures``.

    Returns:
        ``{"attack", "attack_params", "defense", "defense_params", "kind", "poison_count",
        "baseline": {clean_accuracy, attack_success_rate}, "defended": {same}, "detection":
        {...} or None, "metrics": {...}, "cost": {...}, "artifacts": {...}}``.

    Raises:
        ConfigError: Unknown plugin or invalid parameters (one clear message).
    """
    plugin = DEFENSES.create(defense, defense_params or {}, seed=recipe.seed)
    if not isinstance(plugin, Defense):
        raise ConfigError(f"defense {defense!r} is not a Defense plugin")
    start = time.perf_counter()
    victim = poisoned_victim(attack, attack_params, recipe)
    ctx = victim_context(victim, recipe)
    victim_seconds = time.perf_counter() - start
    start = time.perf_counter()
    defended = plugin.apply(ctx)
    apply_seconds = time.perf_counter() - start
    detector, calibration = None, None
    if isinstance(plugin, Strip):
        detector, state, _ = plugin.detector(ctx)
        calibration = state["clean_entropy"]
    baseline, _ = measure_model(victim.model, victim, recipe)
    after, raw = measure_model(defended.model, victim, recipe, detector)
    if detector is not None and calibration is not None:
        found = _detector_detection(detector, calibration, raw)
    else:
        found = _filter_detection(defended, recipe, victim)
    result: dict[str, Any] = {
        "attack": attack,
        "attack_params": victim.attack.config.model_dump(mode="json") if victim.attack else {},
        "defense": defense,
        "defense_params": defended.params,
        "kind": defended.kind,
        "poison_count": victim.poisoned.count,
        "baseline": baseline,
        "defended": after,
        "detection": found,
        "metrics": _defense_metrics(defended, victim),
        "cost": {
            **defended.cost.to_dict(),
            "victim_train_seconds": victim.train_seconds,
            "victim_reused": victim.reused,
            "victim_seconds_here": victim_seconds,
            "apply_seconds": apply_seconds,
        },
        "artifacts": {
            "poison": victim.poison_artifact,
            "victim": victim.victim_artifact,
            "defense": defended.artifact,
        },
        "model_id": defended.model_id,
    }
    if plots_dir is not None:
        from safedl.assess.backdoor_figures import write_figures

        result["figures"] = write_figures(result, victim, recipe, raw, Path(plots_dir))
    return result


def measure_grid(
    attacks: list[tuple[str | None, dict[str, Any]]],
    defenses: list[tuple[str, dict[str, Any]]],
    recipe: CleanRecipe,
    *,
    plots_dir: str | Path | None = None,
) -> dict[str, Any]:
    """A BackdoorBench-style grid: every attack × defense pair measured by the core.

    Each poisoned set and victim is made once (the store), whatever the number of defenses.

    Returns:
        ``{"rows": [{attack, attack_params, defense, clean_accuracy, attack_success_rate,
        baseline_clean_accuracy, baseline_attack_success_rate, precision, recall}], "results":
        [full result of each pair]}`` — rates as ``{value, low, high, k, n}`` — and, with
        ``plots_dir``, ``figure``: the grid as a picture (and each pair's figures).
    """
    results, rows = [], []
    for attack, a_params in attacks:
        for defense, d_params in defenses:
            r = measure_backdoor_defense(
                attack,
                defense,
                recipe,
                attack_params=a_params,
                defense_params=d_params,
                plots_dir=plots_dir,
            )
            det = r["detection"] or {}
            rows.append(
                {
                    "attack": attack,
                    "attack_params": r["attack_params"],
                    "defense": defense,
                    "clean_accuracy": r["defended"]["clean_accuracy"],
                    "attack_success_rate": r["defended"]["attack_success_rate"],
                    "baseline_clean_accuracy": r["baseline"]["clean_accuracy"],
                    "baseline_attack_success_rate": r["baseline"]["attack_success_rate"],
                    "precision": det.get("precision"),
                    "recall": det.get("recall"),
                }
            )
            results.append(r)
    out: dict[str, Any] = {"rows": rows, "results": results}
    if plots_dir is not None:
        from safedl.reporting.backdoor_defense_plots import plot_defense_grid

        out["figure"] = str(plot_defense_grid(rows, Path(plots_dir) / "defense-grid.png"))
    return out


__all__ = ["CleanRecipe", "measure_backdoor_defense", "measure_grid", "measure_model"]
