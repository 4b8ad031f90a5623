"""Run a profile end to end, resuming an interrupted run from its last finished unit of work.

A run directory holds ``profile.yaml`` (the effective profile), ``record.json``, ``artifacts/``
and ``plots/``. Running the same profile into the same directory again resumes: stages marked
done are skipped, artifacts are reused. A directory that holds a run of a different profile is
refused, and the default directory name contains the profile's hash, so a changed profile
starts a new run there.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from safedl.atomic import atomic_write_text
from safedl.config.loader import profile_hash, profile_to_yaml
from safedl.config.profile import Profile
from safedl.errors import RunError
from safedl.models import resolve_device
from safedl.pipeline.context import RunContext
from safedl.pipeline.record import Record, environment, now, package_version
from safedl.pipeline.stages import Stage, default_stages
from safedl.profiles import load_profile
from safedl.store import ArtifactStore

log = logging.getLogger(__name__)


@dataclass
class Run:
    """A finished (or resumed and finished) run: where it lives and what it recorded."""

    run_dir: Path
    record: Record

    @property
    def report_path(self) -> Path:
        return self.run_dir / "report.md"


def effective_profile(
    profile: Profile | str | Path, *, seed: int | None = None, device: str | None = None
) -> Profile:
    """Load a profile and apply command-line overrides."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    update: dict[str, object] = {}
    if seed is not None:
        update["seed"] = seed
    if device is not None:
        update["device"] = device
    return Profile.model_validate({**prof.model_dump(), **update}) if update else prof


def default_run_dir(profile: Profile) -> Path:
    if profile.output.dir:
        return Path(profile.output.dir)
    return Path("runs") / f"{profile.name}-{profile_hash(profile)[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _RunLock:
    """One process per run directory; a lock left by a killed process is taken over."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / ".lock"

    def __enter__(self) -> _RunLock:
        if self.path.exists():
            try:
                pid = int(self.path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                raise RunError(
                    f"{self.path.parent}: another Safe-DL process (pid {pid}) is using this run",
                    hint="wait for it to finish, or choose another --out",
                )
        atomic_write_text(self.path, str(os.getpid()))
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _open_record(run_dir: Path, profile: Profile, digest: str, device: torch.device) -> Record:
    path = run_dir / "record.json"
    if path.exists():
        record = Record.load(path)
        old = record.data.get("profile", {}).get("hash")
        if old != digest:
            raise RunError(
                f"{run_dir}: this directory holds a run of a different profile "
                f"(hash {str(old)[:8]}, this profile {digest[:8]})",
                hint="leave --out unset to get a directory of its own, choose another --out, "
                "or delete the old run directory",
            )
        record.data["resumed"] = int(record.data.get("resumed", 0)) + 1
        log.info("resuming run in %s", run_dir)
        return record
    ours = {"profile.yaml", ".lock", "artifacts", "plots"}
    if run_dir.exists() and any(p.name not in ours for p in run_dir.iterdir()):
        raise RunError(
            f"{run_dir}: directory exists and is not a Safe-DL run directory",
            hint="choose an empty or new --out directory",
        )
    return Record.new(
        path,
        safedl_version=package_version("safedl") or "0+unknown",
        profile={"name": profile.name, "hash": digest, "description": profile.description},
        seed=profile.seed,
        environment=environment(device),
        resumed=0,
    )


def run_profile(
    profile: Profile | str | Path,
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    device: str | None = None,
    stages: Sequence[Stage] | None = None,
) -> Run:
    """Run (or resume) every stage of ``profile`` and return the run.

    Args:
        profile: a Profile, a profile file, or a preset name.
        out: run directory; default ``runs/<name>-<profile hash>``.
        seed: overrides the profile's seed.
        device: ``auto``, ``cpu`` or ``cuda``; overrides the profile's device.
        stages: the stages to run (default: the whole pipeline).
    """
    prof = effective_profile(profile, seed=seed, device=device)
    digest = profile_hash(prof)
    run_dir = Path(out) if out is not None else default_run_dir(prof)
    dev = resolve_device(prof.device)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(
            f"{run_dir}: is an existing file, not a run directory",
            hint="give --out a new or empty directory (or a previous run of this profile)",
        )
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{run_dir}: cannot create the run directory ({exc.strerror})") from None
    with _RunLock(run_dir):
        record = _open_record(run_dir, prof, digest, dev)
        record.data["device"] = str(dev)
        atomic_write_text(run_dir / "profile.yaml", profile_to_yaml(prof))
        (run_dir / "plots").mkdir(exist_ok=True)
        ctx = RunContext(prof, run_dir, record, ArtifactStore(run_dir / "artifacts"), dev)
        torch.manual_seed(prof.seed)
        record.save()
        for stage in stages if stages is not None else default_stages():
            _run_stage(stage, ctx)
        return Run(run_dir, record)


def _run_stage(stage: Stage, ctx: RunContext) -> None:
    record = ctx.record
    if record.is_done(stage.name) and not stage.always_run:
        log.info("stage %s: already done, reusing its result", stage.name)
        return
    entry = record.stage(stage.name)
    entry.update(status="running", started=now())
    record.save()
    start = time.perf_counter()
    outcome = stage.run(ctx)
    entry = record.stage(stage.name)
    entry.update(
        status=outcome.status,
        finished=now(),
        seconds=round(time.perf_counter() - start, 3),
        result=outcome.result,
    )
    if outcome.note:
        entry["note"] = outcome.note
    else:
        entry.pop("note", None)
    record.save()
    log.info("stage %s: %s", stage.name, outcome.status)
