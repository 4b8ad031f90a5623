"""Fixtures of the deploy-check tests: keys, a run directory, the two projects, the servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from safedl.deploy import DeployOptions, DeployReport, run_checks
from safedl.deploy.evidence import sha256_file

from .projects import (
    ARTIFACT_KEY,
    canned_audit,
    keypair,
    make_fixed_project,
    make_run_dir,
    make_unsafe_project,
)
from .servers import ServerState, ServerThread, failing_app, passing_app


@dataclass(frozen=True)
class Keys:
    private: Path
    public: Path


@dataclass(frozen=True)
class Server:
    url: str
    state: ServerState


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    private, public = keypair(tmp_path_factory.mktemp("keys"))
    return Keys(private, public)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run_dir(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def assessed_sha256(run_dir: Path) -> str:
    return sha256_file(run_dir / "artifacts" / f"{ARTIFACT_KEY}.safetensors")


@pytest.fixture(scope="session")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the unsafe pickle's payload would write if it ever ran."""
    return tmp_path_factory.mktemp("marker") / "PAYLOAD_RAN"


@pytest.fixture(scope="session")
def unsafe_project(tmp_path_factory: pytest.TempPathFactory, marker: Path, keys: Keys) -> Path:
    return make_unsafe_project(tmp_path_factory.mktemp("unsafe"), marker, keys.private)


@pytest.fixture(scope="session")
def fixed_project(tmp_path_factory: pytest.TempPathFactory, run_dir: Path, keys: Keys) -> Path:
    return make_fixed_project(tmp_path_factory.mktemp("fixed"), run_dir, keys.private)


@pytest.fixture(scope="session")
def _passing_server(assessed_sha256: str) -> Iterator[Server]:
    state = ServerState(sha256=assessed_sha256)
    with ServerThread(passing_app(state)) as server:
        yield Server(server.url, state)


@pytest.fixture(scope="session")
def _failing_server() -> Iterator[Server]:
    state = ServerState()
    with ServerThread(failing_app(state)) as server:
        yield Server(server.url, state)


@pytest.fixture
def passing_server(_passing_server: Server) -> Server:
    """The well-behaved server, with its counters and rate-limit windows reset."""
    _passing_server.state.reset()
    return _passing_server


@pytest.fixture
def failing_server(_failing_server: Server) -> Server:
    _failing_server.state.reset()
    return _failing_server


@pytest.fixture(scope="session")
def options(keys: Keys) -> DeployOptions:
    """Options of the end-to-end runs: the signer's public key, pip-audit canned."""
    return DeployOptions(signing={"public_key": keys.public}, audit_runner=canned_audit())


@pytest.fixture(scope="session")
def unsafe_report(
    unsafe_project: Path, run_dir: Path, _failing_server: Server, options: DeployOptions
) -> DeployReport:
    _failing_server.state.reset()
    report = run_checks(
        [unsafe_project], run_dir=run_dir, url=_failing_server.url, api_key="test-key",
        options=options,
    )  # fmt: skip
    assert report.probe_requests == _failing_server.state.requests
    return report


@pytest.fixture(scope="session")
def fixed_report(
    fixed_project: Path, run_dir: Path, _passing_server: Server, options: DeployOptions
) -> DeployReport:
    _passing_server.state.reset()
    report = run_checks(
        [fixed_project], run_dir=run_dir, url=_passing_server.url, api_key="test-key",
        options=options,
    )  # fmt: skip
    assert report.probe_requests == _passing_server.state.requests
    _passing_server.state.reset()
    return report
