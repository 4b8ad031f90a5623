"""The model a server answers with, found in a finished run directory.

A run directory holds ``profile.yaml``, ``record.json`` and ``artifacts/``. The baseline's
weights are the safetensors artifact named in the record's baseline entry (or the profile's
own weights file, read as safetensors or with ``weights_only=True``); a defended model is
rebuilt by its defense from the artifacts the defense stage stored (nothing is retrained when
the run finished). The run's data splits come along: detectors calibrate on its validation
split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.output.policy import OutputPolicy
from safedl.errors import RunError
from safedl.models import ModelAdapter, resolve_device
from safedl.pipeline.context import RunContext
from safedl.pipeline.record import Record
from safedl.pipeline.stages.defenses import defense_context
from safedl.profiles import load_profile
from safedl.registry import DEFENSES
from safedl.store import ArtifactStore


@dataclass
class ServedModel:
    """What the server answers with.

    Attributes:
        name: ``baseline`` or the defense's model name in the run.
        model_id: Content hash of the served model (never a path).
        adapter: The model.
        classes: Class names.
        context: What detectors calibrate with (the run's baseline, splits, store, seed).
        defended: The defense's result when a defended model is served.
    """

    name: str
    model_id: str
    adapter: ModelAdapter
    classes: list[str]
    context: DefenseContext
    defended: DefendedModel | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.adapter.input_shape

    def profile_policy(self) -> OutputPolicy | None:
        """The output policy of a served output defense, if that is what is served."""
        d = self.defended
        if d is None or d.kind != "output":
            return None
        p = d.params
        return OutputPolicy(
            mode=p.get("mode", "label"),
            k=int(p.get("k", 1)),
            decimals=int(p.get("decimals", 2)),
            temperature=float(p.get("temperature", 1.0)),
        )


def open_run(run_dir: str | Path, device: str = "cpu") -> RunContext:
    """The context of a finished run (its baseline must be done)."""
    root = Path(run_dir)
    record_path, profile_path = root / "record.json", root / "profile.yaml"
    if not record_path.is_file() or not profile_path.is_file():
        raise RunError(
            f"{root}: not a Safe-DL run directory (no record.json / profile.yaml)",
            hint="give the directory a `safedl run` wrote",
        )
    record = Record.load(record_path)
    if record.stages.get("baseline", {}).get("status") != "done":
        raise RunError(
            f"{root}: the run has no finished baseline to serve",
            hint="finish the run first (run the same `safedl run` command again)",
        )
    profile = load_profile(profile_path)
    return RunContext(
        profile, root, record, ArtifactStore(root / "artifacts"), resolve_device(device)
    )


def _defense_entry(ctx: RunContext, model: str) -> dict[str, Any]:
    """The defense stage's entry of the defended model ``model`` (its name in the run)."""
    if ctx.record.stages.get("defenses", {}).get("status") != "done":
        raise RunError(
            f"{ctx.run_dir}: the run applied no defenses (its defense stage is not done)",
            hint="serve --model baseline, or finish a run whose profile lists defenses",
        )
    entries = ctx.record.result("defenses").get("defenses", [])
    names = [e.get("model") for e in entries]
    if model not in names:
        raise RunError(
            f"{ctx.run_dir}: the run has no defended model {model!r}",
            hint=f"choose baseline or one of: {', '.join(map(str, names)) or '(none)'}",
        )
    entry: dict[str, Any] = entries[names.index(model)]
    return entry


def load_served_model(
    run_dir: str | Path, model: str = "baseline", device: str = "cpu"
) -> ServedModel:
    """The baseline or a defended model of a finished run, ready to serve."""
    ctx = open_run(run_dir, device)
    baseline = ctx.baseline()
    baseline.module.eval()
    dctx = defense_context(ctx)
    splits = ctx.splits()
    if model == "baseline":
        return ServedModel("baseline", dctx.baseline_id, baseline, splits.classes, dctx)
    entry = _defense_entry(ctx, model)
    with torch.random.fork_rng():
        defended = DEFENSES.create(entry["defense"], entry["params"], seed=ctx.seed).apply(dctx)
    defended.model.module.eval()
    return ServedModel(model, defended.model_id, defended.model, splits.classes, dctx, defended)


__all__ = ["ServedModel", "load_served_model", "open_run"]
