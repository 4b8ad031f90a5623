"""Run the checks table against model files, a project tree, a run record and an endpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from safedl.deploy.checks_table import CHECKS, CheckSpec
from safedl.deploy.context import CheckContext
from safedl.deploy.evidence import Evidence
from safedl.deploy.options import DeployOptions
from safedl.deploy.report import DeployReport
from safedl.deploy.targets import ProjectFiles, discover
from safedl.deploy.types import CheckResult, Method, Outcome
from safedl.errors import ConfigError

if TYPE_CHECKING:
    from safedl.deploy.probes.session import ProbeSession

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return metadata.version("safedl")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _open_probe(
    url: str, api_key: str | None, options: DeployOptions, evidence: Evidence | None
) -> ProbeSession:
    """A probe session that reached the server (GET /healthz), with the input shape known."""
    from safedl.deploy.probes.identity import model_info
    from safedl.deploy.probes.session import ProbeSession

    shape = tuple(options.probe.input_shape) if options.probe.input_shape else None
    classes = options.probe.num_classes
    if evidence is not None:
        shape = shape or evidence.input_shape()
        classes = classes or evidence.num_classes()
    session = ProbeSession(url, api_key, options.probe, input_shape=shape, num_classes=classes)
    health = session.request("GET", "/healthz", purpose="healthz", auth=False)
    if health.status is None:
        session.close()
        raise ConfigError(
            f"--url {url}: cannot reach the server ({health.error})",
            hint="start the server first, or check the host and port",
        )
    if session.input_shape is None or session.num_classes is None:
        info = model_info(session).json()
        if isinstance(info, dict):
            reported = info.get("input_shape")
            if (
                session.input_shape is None
                and isinstance(reported, list)
                and len(reported) in (3, 4)
                and all(isinstance(d, int) and d > 0 for d in reported)
            ):
                session.input_shape = tuple(reported[-3:])
            if session.num_classes is None and isinstance(info.get("num_classes"), int):
                session.num_classes = info["num_classes"]
    return session


def _result(spec: CheckSpec, outcome: Outcome, seconds: float) -> CheckResult:
    return CheckResult(
        id=spec.id,
        title=spec.title,
        family=spec.family,
        method=spec.method,
        status=outcome.status,
        severity=outcome.severity or spec.severity,
        default_severity=spec.severity,
        evidence=outcome.evidence,
        fix=spec.fix,
        criterion=spec.criterion,
        atlas=spec.atlas,
        owasp=spec.owasp,
        details=outcome.details,
        locations=outcome.locations,
        severity_reason=outcome.severity_reason if outcome.severity else "",
        seconds=seconds,
    )


def run_checks(
    paths: Sequence[str | Path] = (),
    *,
    run_dir: str | Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    options: DeployOptions | None = None,
    offline: bool = False,
    only: Sequence[str] | None = None,
) -> DeployReport:
    """Run every check of :data:`~safedl.deploy.checks_table.CHECKS` and report.

    Args:
        paths: model files and/or project folders (source, requirements, Dockerfile, ...).
        run_dir: a Safe-DL run directory; its record gives the assessed artifact, the output
            policy of the threat model and the measured attack results. Without ``paths``, the
            assessed artifact itself is checked.
        url: base URL of a live endpoint to probe (bounded by ``options.probe``).
        api_key: the key the probes authenticate with.
        options: waivers, pins, signing key, probe bounds, output policy.
        offline: do not query the vulnerability database (DC10 is skipped).
        only: run these check ids only (the others are left out of the report).

    Raises:
        ConfigError: nothing to check, a path that does not exist, a bad or unreachable URL.
        RunError: ``run_dir`` is not a run directory with a readable record.
    """
    options = options or DeployOptions()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    if not paths and run_dir is None and url is None:
        raise ConfigError(
            "nothing to check", hint="give model files or a project folder, --run RUN_DIR or --url"
        )
    evidence = Evidence.from_run_dir(run_dir) if run_dir is not None else None
    files = discover([Path(p) for p in paths]) if paths else ProjectFiles()
    if not paths and evidence is not None:
        artifact = evidence.assessed_artifact()
        if artifact is not None:
            files.models.append(artifact.path)
    if files.truncated:
        log.warning("more than 20,000 files under the given paths: only the first were checked")
    probe = _open_probe(url, api_key, options, evidence) if url else None
    ctx = CheckContext(
        files=files,
        options=options,
        evidence=evidence,
        url=url,
        probe=probe,
        offline=offline,
    )
    results = []
    try:
        for spec in CHECKS:
            if only is not None and spec.id not in only:
                continue
            t = time.monotonic()
            if spec.method is Method.PROBE and ctx.probe is None:
                outcome = Outcome.skipped("no --url given: endpoint probes not run")
            elif spec.method is Method.RECORD and evidence is None:
                outcome = Outcome.skipped("no --run given: no assessment record to check")
            else:
                outcome = spec.resolve()(ctx)
            results.append(_result(spec, outcome, time.monotonic() - t))
            log.debug("%s %s: %s", spec.id, outcome.status.value, outcome.evidence)
    finally:
        if ctx.probe is not None:
            ctx.probe.close()
    return DeployReport(
        results=tuple(results),
        paths=tuple(str(p) for p in paths),
        run_dir=str(run_dir) if run_dir is not None else None,
        url=url,
        safedl_version=_version(),
        started=started,
        seconds=time.monotonic() - t0,
        probe_requests=ctx.probe.requests_sent if ctx.probe else 0,
        probe_seconds=ctx.probe.elapsed if ctx.probe else 0.0,
    )


__all__ = ["run_checks"]
