"""Build the app from a run directory and a serve config, and run it on uvicorn.

One worker runs the app in this process. Several workers (``workers > 1``) each build their
own app from the same settings (passed in ``SAFEDL_SERVE``), share Prometheus samples through
``PROMETHEUS_MULTIPROC_DIR`` and rate limits and quotas through one SQLite file
(:class:`~safedl.serve.limits.SharedLimits`), so a client gets its rate once, not once per
worker. The stateful detectors' per-client query history stays per worker: a client whose
connections land on several workers is seen by each in part (detection comes up to
``workers`` times later), and the server warns about it. The config and the model are checked
here first, so a bad config stops with one clear error before any worker starts.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from safedl.serve.app import create_app
from safedl.serve.config import load_serve_config
from safedl.serve.deps import require
from safedl.serve.detectors import build_detectors
from safedl.serve.limits import SharedLimits
from safedl.serve.model_source import load_served_model

log = logging.getLogger(__name__)

ENV = "SAFEDL_SERVE"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATEFUL = ("query_similarity", "prada")


def build_app(
    run_dir: str | Path,
    *,
    model: str = "baseline",
    config: str | Path | None = None,
    device: str = "cpu",
    limits: str | Path | None = None,
) -> Any:
    """The app serving ``model`` of ``run_dir`` under the serve config ``config``; ``limits``:
    the SQLite file of rate limits and quotas shared with other workers (default: none)."""
    settings = load_serve_config(config)
    served = load_served_model(run_dir, model, device)
    detectors = build_detectors(settings.detectors, served.context, served.adapter)
    for d in detectors:
        log.info("detector %s: %s", d.name, json.dumps(d.describe(), default=str))
    if not settings.clients:
        log.warning("the serve config names no clients: every prediction will be refused")
    shared = SharedLimits(limits) if limits else None
    return create_app(served, settings, detectors, shared)


def app_from_env() -> Any:
    """uvicorn factory of a worker: the settings are in ``$SAFEDL_SERVE``."""
    spec = json.loads(os.environ[ENV])
    return build_app(
        spec["run_dir"],
        model=spec["model"],
        config=spec["config"],
        device=spec["device"],
        limits=spec["limits"],
    )


def serve(
    run_dir: str | Path,
    *,
    model: str = "baseline",
    host: str = "127.0.0.1",
    port: int = 8000,
    config: str | Path | None = None,
    workers: int = 1,
    device: str = "cpu",
) -> None:
    """Serve until interrupted (uvicorn shuts down cleanly on SIGINT / SIGTERM)."""
    uvicorn = require("uvicorn")
    if host not in LOOPBACK:
        log.warning("binding to %s: the server is reachable from other machines", host)
    app = build_app(run_dir, model=model, config=config, device=device)
    stateful = [d.name for d in app.state.server.detectors if d.name in STATEFUL]
    if workers > 1 and stateful:
        log.warning(
            "%s keep each client's query history per worker: with %d workers a client's "
            "queries are split between them and detected up to %d times later (serve with "
            "--workers 1, or route each client to one worker)",
            ", ".join(stateful),
            workers,
            workers,
        )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "server_header": False,
        "timeout_keep_alive": 5,
        "log_level": "info",
    }
    if workers <= 1:
        uvicorn.run(app, **options)
        return
    del app
    with tempfile.TemporaryDirectory(prefix="safedl-serve-") as state:
        prom_dir = Path(state) / "prometheus"
        prom_dir.mkdir()
        spec = {
            "run_dir": str(run_dir),
            "model": model,
            "config": config,
            "device": device,
            "limits": str(Path(state) / "limits.sqlite"),
        }
        os.environ[ENV] = json.dumps(
            {k: str(v) if v is not None else None for k, v in spec.items()}
        )
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(prom_dir))
        uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=workers, **options)


__all__ = ["app_from_env", "build_app", "serve"]
