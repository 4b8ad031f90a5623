"""Endpoint probes against the two loopback test servers: each probe passes on the good one
and fails on the bad one, and every run stays within its request and time bounds."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from safedl.deploy import CheckResult, DeployOptions, DeployReport, Severity, Status, run_checks
from safedl.deploy.probes.output import read_response
from safedl.deploy.probes.rate_limit import retry_after_seconds
from safedl.errors import ConfigError

from .conftest import Server
from .projects import make_run_dir, synthetic_record

PROBES = [f"DC{i}" for i in range(16, 25)]


def probe(
    server: Server, ids: list[str], *, key: str | None = "test-key", **kwargs: Any
) -> DeployReport:
    options = kwargs.pop("options", None) or DeployOptions(pinned_sha256={"*": server.state.sha256})
    if "oversized_bytes" not in options.probe.model_fields_set:  # keep the tests quick
        options = options.model_copy(
            update={"probe": options.probe.model_copy(update={"oversized_bytes": 100_000})}
        )
    before = server.state.requests
    report = run_checks([], url=server.url, api_key=key, only=ids, options=options, **kwargs)
    # The session counted every request the server saw.
    assert report.probe_requests == server.state.requests - before
    return report


def one(server: Server, check_id: str, **kwargs: Any) -> CheckResult:
    return probe(server, [check_id], **kwargs).result(check_id)


@pytest.mark.parametrize("check_id", PROBES)
def test_each_probe_passes_on_the_good_server_and_fails_on_the_bad_one(
    check_id: str, passing_server: Server, failing_server: Server
) -> None:
    good = one(passing_server, check_id)
    assert good.status is Status.PASS, good.evidence
    bad = one(failing_server, check_id, options=DeployOptions(pinned_sha256={"*": "a" * 64}))
    assert bad.status is Status.FAIL, bad.evidence


def test_all_probes_together_stay_bounded(passing_server: Server) -> None:
    start = time.monotonic()
    report = probe(passing_server, PROBES)
    assert {r.status for r in report.results} == {Status.PASS}
    assert 0 < report.probe_requests <= 60 and time.monotonic() - start < 20


def test_request_budget_is_enforced(failing_server: Server) -> None:
    options = DeployOptions(probe={"max_requests": 10}, pinned_sha256={"*": "a" * 64})
    report = probe(failing_server, PROBES, options=options)
    assert failing_server.state.requests == report.probe_requests <= 10
    skipped = [r for r in report.results if r.status is Status.SKIP]
    assert skipped and all("probe budget" in r.evidence for r in skipped)


def test_time_budget_is_enforced(failing_server: Server) -> None:
    failing_server.state.reset(delay=0.05)  # 30-request burst alone: 1.5 s
    options = DeployOptions(probe={"max_seconds": 1.0}, pinned_sha256={"*": "a" * 64})
    report = probe(failing_server, PROBES, options=options)
    assert report.probe_seconds < 1.0 + 0.5  # no request outlives the deadline
    assert any("probe budget" in r.evidence for r in report.results if r.status is Status.SKIP)


def test_auth_details(passing_server: Server, failing_server: Server) -> None:
    good = one(passing_server, "DC16")
    assert "no credentials → 401" in good.evidence and "wrong key → 403" in good.evidence
    no_key = one(passing_server, "DC16", key=None)
    assert no_key.status is Status.PASS and "accepting side was not checked" in no_key.evidence
    wrong = one(passing_server, "DC16", key="not-the-key")
    assert wrong.status is Status.SKIP and "--api-key-env" in wrong.evidence
    assert "200" in one(failing_server, "DC16").evidence


def test_output_policy(passing_server: Server, failing_server: Server) -> None:
    passing_server.state.reset(return_score=True)  # label + a top-1 score rounded to 2 places
    assert one(passing_server, "DC17").status is Status.PASS  # default policy: top-1
    label_only = DeployOptions(output_policy={"allow": "label"})
    r = one(passing_server, "DC17", options=label_only)
    assert r.status is Status.FAIL and "label only" in r.evidence
    three_decimals = DeployOptions(output_policy={"decimals": 0})
    r = one(passing_server, "DC17", options=three_decimals)
    assert r.status is Status.FAIL and "not rounded to 0 decimals" in r.evidence
    bad = one(failing_server, "DC17", options=DeployOptions(output_policy={"allow": "scores"}))
    assert bad.status is Status.FAIL
    assert "internal values (predictions[0].logits)" in bad.evidence
    assert "not rounded" in bad.evidence
    logits_allowed = DeployOptions(output_policy={"allow": "logits", "decimals": None})
    assert one(failing_server, "DC17", options=logits_allowed).status is Status.PASS


def test_read_response() -> None:
    assert read_response({"predictions": [{"label": 3}]}).scores == []
    assert read_response({"label": 3, "score": 0.91, "latency_ms": 4}).scores == [0.91]
    top = read_response({"top_k": [{"class": 1, "prob": 0.7}, {"class": 4, "prob": 0.2}]})
    assert top.scores == [0.7, 0.2]
    vec = read_response({"predictions": [[0.1, 0.9]], "labels": [1, 0]})
    assert vec.scores == [0.1, 0.9]
    mapped = read_response({"probabilities": {"cat": 0.8, "dog": 0.2}})
    assert mapped.scores == [0.8, 0.2]
    internal = read_response({"embedding": [0.3, 0.1], "out": [[2.5, -1.0]]})
    assert internal.internal == ["embedding"] and internal.out_of_unit


def test_record_raises_and_lowers_the_output_severity(
    passing_server: Server, tmp_path: Path
) -> None:
    passing_server.state.reset(return_score=True)
    high = make_run_dir(tmp_path / "high", synthetic_record(response_content="label"))
    r = one(passing_server, "DC17", run_dir=high)
    assert r.status is Status.FAIL and r.severity is Severity.CRITICAL
    assert "AUC 0.71 with scores and 0.52 with labels only" in r.evidence
    assert "measured" in r.severity_reason
    # The policy allows scores, but the measured risk is high: still a finding.
    allowed = make_run_dir(tmp_path / "allowed", synthetic_record(response_content="top_k"))
    r = one(passing_server, "DC17", run_dir=allowed)
    assert (
        r.status is Status.FAIL
        and r.severity is Severity.HIGH
        and "return labels only" in r.evidence
    )
    # A record with little measured leakage lowers a violation by one level.
    low_record = synthetic_record(response_content="label")
    for a in low_record["stages"]["attacks"]["result"]["attacks"]:
        if a["family"] == "privacy":
            a["auc"] = 0.51
        if a["family"] == "extraction":
            a["fidelity"] = 0.3
    low = make_run_dir(tmp_path / "low", low_record)
    r = one(passing_server, "DC17", run_dir=low)
    assert r.status is Status.FAIL and r.severity is Severity.MEDIUM and "low" in r.severity_reason
    # Labels only: passes, and says what the record measured.
    passing_server.state.reset()
    r = one(passing_server, "DC17", run_dir=high)
    assert r.status is Status.PASS and "AUC 0.71" in r.evidence


def test_input_validation_details(passing_server: Server, failing_server: Server) -> None:
    good = one(passing_server, "DC18")
    assert len(good.details) == 8 and all("→ 4" in d for d in good.details)
    bad = one(failing_server, "DC18")
    assert bad.severity is Severity.HIGH  # crashes: raised from medium
    assert "5xx for wrong dtype (500)" in bad.evidence and "NaN (200)" in bad.evidence
    # Without a key, /v1/model does not tell the shape: the probe says what it needs.
    no_shape = run_checks([], url=passing_server.url, only=["DC18"])
    assert no_shape.result("DC18").status is Status.SKIP
    assert "input shape unknown" in no_shape.result("DC18").evidence


def test_leakage_and_surface_details(failing_server: Server) -> None:
    report = probe(failing_server, ["DC18", "DC19", "DC20", "DC21", "DC23"])
    leak = report.result("DC19")
    assert "traceback" in leak.evidence and "framework version" in " ".join(leak.details)
    assert "/docs (200)" in report.result("DC20").evidence
    assert "reflects an arbitrary origin with credentials" in report.result("DC23").evidence


def test_model_identity(passing_server: Server, run_dir: Path) -> None:
    assert one(passing_server, "DC22", run_dir=run_dir).status is Status.PASS
    wrong = DeployOptions(pinned_sha256={"*": "b" * 64})
    assert one(passing_server, "DC22", options=wrong).status is Status.FAIL
    nothing = run_checks([], url=passing_server.url, api_key="test-key", only=["DC22"])
    assert nothing.result("DC22").status is Status.SKIP


def test_rate_limit_variants(passing_server: Server, tmp_path: Path) -> None:
    r = one(passing_server, "DC24")
    assert r.status is Status.PASS and "Retry-After" in r.evidence and "a day" in r.evidence
    passing_server.state.reset(retry_after=False)
    r = one(passing_server, "DC24")
    assert r.status is Status.FAIL and "without a valid Retry-After" in r.evidence
    passing_server.state.reset(rate_limit=1000)
    options = DeployOptions(probe={"rate_limit_burst": 5}, pinned_sha256={"*": "0" * 64})
    r = one(passing_server, "DC24", options=options)
    assert r.status is Status.FAIL and passing_server.state.requests <= 2 + 5
    # A limit that lets one key reach the measured extraction fidelity within a day.
    passing_server.state.reset(rate_limit=15, window=60)
    run = make_run_dir(tmp_path / "run")
    r = one(passing_server, "DC24", run_dir=run)
    assert r.status is Status.FAIL and r.severity is Severity.MEDIUM
    assert "90% fidelity after 10,000 queries" in r.evidence


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_bad_and_unreachable_urls(tmp_path: Path) -> None:
    for url in ("ftp://127.0.0.1/x", "127.0.0.1:8000", "http://", "http://127.0.0.1:99999"):
        with pytest.raises(ConfigError, match="--url"):
            run_checks([], url=url)
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(ConfigError, match="cannot reach"):
        run_checks(
            [], url=f"http://127.0.0.1:{port}", options=DeployOptions(probe={"request_timeout": 1})
        )
