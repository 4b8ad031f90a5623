"""Black-box attacks against a live server through the remote Oracle: queries counted on both
sides, the access the server grants enforced, 429 Retry-After respected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safedl.cli.app import main
from safedl.errors import ConfigError
from safedl.models import QueryBudgetExceeded
from safedl.models.remote import remote_oracles
from safedl.serve.config import hash_key
from safedl.serve.remote_attack import run_remote_attack

from .conftest import ALICE


def _served_images(log: Path, client: str) -> int:
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    return sum(e.get("n", 0) for e in lines if e["client"] == client and e["status"] == 200)


def test_square_through_the_server_counts_queries(serve, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    with serve() as url:
        report = run_remote_attack(
            "square",
            {"eps": 0.3, "max_queries": 60},
            url=url,
            api_key_env="SAFEDL_TEST_KEY",
            limit=12,
        )
    entry = report.entry
    assert entry.status == "done" and entry.n == 12
    queries = entry.extra["queries"]
    assert 12 <= queries["total"] <= 12 * 60 and queries["max"] <= 60
    # Every query the attack was charged for, plus the measurement queries, reached the server.
    assert report.queries_sent == _served_images(tmp_path / "requests.jsonl", "alice")
    assert report.queries_sent >= queries["total"]
    assert entry.attack_success_rate.value > 0.2  # ε = 0.3 on digits breaks many


def test_label_only_server_gives_label_oracles(serve, monkeypatch) -> None:
    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    with serve(output={"mode": "label"}) as url:
        oracles = remote_oracles(url, api_key_env="SAFEDL_TEST_KEY")
        oracle = oracles(output="probs", budget=3)
        assert oracle.output == "label"
        import torch

        assert oracle(torch.rand(3, 1, 8, 8)).shape == (3,)
        with pytest.raises(QueryBudgetExceeded):
            oracle(torch.rand(1, 1, 8, 8))
        assert oracles.endpoint.sent == 3


def test_rate_limit_retry_after_and_quota(serve, monkeypatch) -> None:
    import torch

    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    client = {"key_sha256": hash_key(ALICE), "rate": 2, "burst": 1, "quota": 4}
    with serve(clients={"alice": client}) as url:
        oracles = remote_oracles(url, api_key_env="SAFEDL_TEST_KEY")  # /v1/model: no token
        oracle = oracles(output="probs")
        for _ in range(3):
            assert oracle(torch.rand(1, 1, 8, 8)).shape == (1, 10)
        assert oracles.endpoint.waited >= 1  # waited out at least one 429
        oracle(torch.rand(1, 1, 8, 8))
        with pytest.raises(QueryBudgetExceeded):  # quota of 4 images spent
            oracle(torch.rand(1, 1, 8, 8))


def test_missing_key_and_white_box_attack_refused(serve, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SAFEDL_NO_SUCH_KEY", raising=False)
    with pytest.raises(ConfigError, match="SAFEDL_NO_SUCH_KEY"):
        remote_oracles("http://127.0.0.1:9", api_key_env="SAFEDL_NO_SUCH_KEY")
    with pytest.raises(SystemExit) as exc:
        main(["attack", "pgd", "--target", "http://127.0.0.1:9"])
    assert exc.value.code == 2 and "white-box" in capsys.readouterr().err


def test_cli_attack_target_json(serve, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SAFEDL_TEST_KEY", ALICE)
    with serve() as url, pytest.raises(SystemExit) as exc:
        main(
            [
                "attack", "spsa", "--target", url, "--api-key-env", "SAFEDL_TEST_KEY",
                "--limit", "4", "-p", "max_queries=40", "-p", "eps=0.3", "--json",
            ]
        )  # fmt: skip
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["target"] == url and out["queries_sent"] >= out["extra"]["queries"]["total"] > 0
