"""``safedl attack NAME --target URL``: a black-box attack on a model reachable over HTTP.

The attack runs through :func:`~safedl.assess.assess_model` like every other, on a
:class:`~safedl.assess.ModelUnderTest` with no white-box access and the endpoint's Oracles
(:mod:`safedl.models.remote`): score-based (Square, NES, SPSA) and label-based
(HopSkipJump, transfer) attacks only. The attacked examples come from the local dataset (its
test split); every query, the clean ones included, goes to the server and is counted. Results
are not cached: a server's answers (and its detectors' state) can change between runs.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

import torch

from safedl.assess.service import assess_model
from safedl.assess.target import ModelUnderTest
from safedl.assess.units import AssessSettings
from safedl.config.profile import DatasetConfig, PluginSpec
from safedl.data import TensorData, load_dataset
from safedl.errors import ConfigError
from safedl.models.remote import RemoteOracles, remote_oracles
from safedl.registry import ATTACKS
from safedl.results import AttackEntry
from safedl.store import ArtifactStore

BLACK_BOX = ("scores", "labels")


@dataclass
class RemoteReport:
    """A remote attack's entry and what it cost the server."""

    entry: AttackEntry
    url: str
    queries_sent: int
    requests: int
    waited_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.entry.model_dump(mode="json"),
            "target": self.url,
            "queries_sent": self.queries_sent,
            "requests": self.requests,
            "waited_seconds": self.waited_seconds,
        }


def attack_data(data: str, oracles: RemoteOracles, limit: int | None, seed: int) -> TensorData:
    """The local dataset's test split (at most ``limit``), checked against the server's shape."""
    test = load_dataset(DatasetConfig(name=data), seed=seed).test
    shape = oracles.endpoint.input_shape
    if tuple(test.x.shape[1:]) != shape:
        raise ConfigError(
            f"--data {data}: images of shape {list(test.x.shape[1:])}, but the endpoint "
            f"takes {list(shape)}",
            hint="attack the endpoint with data of its input shape",
        )
    if limit is not None and limit < len(test):
        gen = torch.Generator().manual_seed(seed)
        test = test.subset(torch.randperm(len(test), generator=gen)[:limit].sort().values)
    return test


def run_remote_attack(
    name: str,
    params: dict[str, Any],
    *,
    url: str,
    api_key_env: str | None = None,
    data: str = "digits",
    limit: int | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> RemoteReport:
    """Run black-box attack ``name`` against the endpoint at ``url``."""
    access = ATTACKS.get(name).access
    if access not in BLACK_BOX:
        raise ConfigError(
            f"attack {name!r} needs {access} access; an endpoint gives only queries",
            hint="choose a score- or label-based attack: square, nes, spsa, hopskipjump, transfer",
        )
    oracles = remote_oracles(url, api_key_env=api_key_env)
    try:
        test = attack_data(data, oracles, limit, seed)
        target = ModelUnderTest.remote(oracles, name="remote")
        with tempfile.TemporaryDirectory(prefix="safedl-remote-") as scratch:
            settings = AssessSettings(ArtifactStore(scratch), seed=seed, batch_size=batch_size)
            (entry,) = assess_model(target, test, [PluginSpec(name=name, params=params)], settings)
        ep = oracles.endpoint
        return RemoteReport(entry, url, ep.sent, ep.requests, ep.waited)
    finally:
        oracles.endpoint.close()


__all__ = ["RemoteReport", "run_remote_attack"]
