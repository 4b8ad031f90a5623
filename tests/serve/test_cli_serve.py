"""``safedl serve``: a bad serve config is one clear error (exit 2); a real server process
serves on loopback and shuts down cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from safedl.cli.app import main
from safedl.errors import ConfigError
from safedl.serve.config import hash_key, load_serve_config

from .conftest import ADMIN, ALICE, BOB, write_config


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("clients: {a: {key_sha256: plain-text-key}}", "clients.a.key_sha256"),
        ("limits: {max_batch: 0}", "limits.max_batch"),
        ("output: {mode: everything}", "output.mode"),
        ("detectors: [{name: energy, action: explode}]", "detectors.0.action"),
        ("surprise: 1", "surprise"),
        ("[1, 2]", "mapping"),
        ("clients: {a: {key_sha256: [", "YAML"),
    ],
)
def test_invalid_config_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "serve.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_serve_config(path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_cli_exit_code_2(tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "serve.yaml"
    bad.write_text("limits: {max_batch: -1}")
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(run_dir), "--config", str(bad)])
    assert exc.value.code == 2
    assert "limits.max_batch" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(tmp_path), "--config", str(write_config(tmp_path / "ok.yaml"))])
    assert exc.value.code == 2  # not a run directory
    cfg = write_config(tmp_path / "det.yaml", detectors=[{"name": "pgd"}])
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(run_dir), "--config", str(cfg)])
    assert exc.value.code == 2 and "detectors[0].name" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_process_answers_and_stops(tmp_path: Path, run_dir: Path) -> None:
    cfg = write_config(tmp_path / "serve.yaml")
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "safedl", "serve", str(run_dir), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--config", str(cfg)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        key = {"Authorization": f"Bearer {ALICE}"}
        r = httpx.post(f"{url}/v1/predict", json=[[[[0.5] * 8] * 8]], headers=key)
        assert r.status_code == 200 and len(r.json()["labels"]) == 1
        assert hash_key(ALICE) not in httpx.get(f"{url}/v1/model", headers=key).text
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, out
    assert "Traceback" not in out


@pytest.mark.slow
def test_two_workers_share_rate_limits_and_metrics(tmp_path: Path, run_dir: Path) -> None:
    """Bob's bucket holds 3 requests (0.5/s refill): two workers grant them once, not twice."""
    cfg = write_config(tmp_path / "serve.yaml")
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", "safedl", "serve", str(run_dir), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--config", str(cfg), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        time.sleep(3)  # let the second worker come up too
        body = [[[[0.5] * 8] * 8]]
        bob = {"Authorization": f"Bearer {BOB}"}
        start = time.monotonic()
        codes = []
        for _ in range(12):  # a new connection each: the kernel spreads them over the workers
            with httpx.Client(headers=bob) as c:
                codes.append(c.post(f"{url}/v1/predict", json=body).status_code)
        refills = int(0.5 * (time.monotonic() - start))
        assert codes.count(200) <= 3 + refills + 1, codes  # per worker it would be 6
        assert codes.count(429) >= 12 - (3 + refills + 1)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        metrics = httpx.get(f"{url}/metrics", headers=admin).text
        assert 'client="bob",status="429"' in metrics  # aggregated over the workers
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, out
    assert "Traceback" not in out
