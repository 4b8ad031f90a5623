"""A tiny run (small CNN on the bundled digits, trained once) and live servers on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")
pytest.importorskip("prometheus_client")

import uvicorn

from safedl.config.profile import Profile
from safedl.pipeline.run import run_profile
from safedl.pipeline.stages import BaselineStage
from safedl.serve.config import hash_key
from safedl.serve.runner import build_app

ALICE, BOB, ADMIN = "alice-secret-key", "bob-secret-key", "admin-secret-key"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run with only its baseline: small_cnn on digits (~97% test accuracy)."""
    out = tmp_path_factory.mktemp("serve-run") / "run"
    profile = Profile.model_validate(
        {
            "name": "serve-test",
            "dataset": {"name": "digits"},
            "model": {"name": "small_cnn"},
            "training": {"epochs": 10, "batch_size": 64, "lr": 0.002},
            "device": "cpu",
        }
    )
    run_profile(profile, out=out, stages=[BaselineStage()])
    return out


def write_config(path: Path, **overrides: Any) -> Path:
    """A serve config with clients alice, bob (low limits) and an admin, plus ``overrides``."""
    config: dict[str, Any] = {
        "clients": {
            "alice": {"key_sha256": hash_key(ALICE), "rate": 1000, "burst": 1000},
            "bob": {"key_sha256": hash_key(BOB), "rate": 0.5, "burst": 3, "quota": 1000},
            "ops": {"key_sha256": hash_key(ADMIN), "admin": True, "rate": 1000, "burst": 1000},
        },
        "output": {"mode": "scores"},
        "log": "requests.jsonl",
    }
    config.update(overrides)
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def live(app: Any) -> Iterator[str]:
    """Run ``app`` on uvicorn at 127.0.0.1 on an ephemeral port; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", server_header=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve(run_dir: Path, tmp_path: Path) -> Callable[..., AbstractContextManager[str]]:
    """``with serve(**config) as url``: a live server of the run under that config."""

    def start(**overrides: Any) -> AbstractContextManager[str]:
        cfg = write_config(tmp_path / "serve.yaml", **overrides)
        return live(build_app(run_dir, config=cfg))

    return start
