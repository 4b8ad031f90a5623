"""The assessment service: units stored by content key, model-tagged entries, a swappable
Oracle factory, and the same results whichever executor runs the units."""

from __future__ import annotations

from pathlib import Path

import torch

from safedl.assess import AssessSettings, ModelUnderTest, assess_model, unit_key
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.executor import ProcessExecutor
from safedl.models import ModelAdapter, Oracle, OracleFactory, local_oracles
from safedl.models.oracle import OracleOutput
from safedl.results import EvasionEntry
from safedl.store import ArtifactStore

PLAN = [
    PluginSpec(name="fgsm", params={"eps": 0.1}),
    PluginSpec(name="square", params={"eps": 0.1, "max_queries": 50}),
]


def _data(data: TensorData, n: int = 40) -> TensorData:
    return data.subset(torch.arange(n))


def test_units_are_stored_and_reused_by_content_key(
    trained_digits: tuple[ModelAdapter, TensorData], tmp_path: Path
) -> None:
    model, data = trained_digits
    target = ModelUnderTest.local(model)
    settings = AssessSettings(ArtifactStore(tmp_path), seed=0)
    first = assess_model(target, _data(data), PLAN, settings)
    assert all(isinstance(e, EvasionEntry) and e.status == "done" for e in first)
    assert [e.unit for e in first] == [unit_key(s, target, _data(data), 0) for s in PLAN]
    assert all(e.model == "baseline" and e.model_id == target.model_id for e in first)
    assert first[0].label == "FGSM, L∞ ε = 0.1, white-box"
    again = assess_model(target, _data(data), PLAN, settings)
    assert all(e.reused for e in again) and not any(e.reused for e in first)
    same = [e.model_dump(exclude={"reused"}) for e in again]
    assert same == [e.model_dump(exclude={"reused"}) for e in first]
    # another model (retrained weights at the same "path") gets other units, never stale ones
    other = ModelAdapter(
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)),
        input_shape=(1, 8, 8),
        num_classes=10,
    )
    moved = ModelUnderTest.local(other, name="retrained")
    assert moved.model_id != target.model_id
    (entry,) = assess_model(moved, _data(data), PLAN[:1], settings)
    assert entry.unit != first[0].unit and entry.model == "retrained"


class CountingOracles:
    """An Oracle factory standing in for an output defense or a remote endpoint."""

    def __init__(self, inner: OracleFactory) -> None:
        self.inner = inner
        self.made: list[OracleOutput] = []

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        self.made.append(output)
        return self.inner(output=output, budget=budget, k=k)


def test_black_box_attacks_go_through_the_callers_oracle_factory(
    trained_digits: tuple[ModelAdapter, TensorData], tmp_path: Path
) -> None:
    model, data = trained_digits
    oracles = CountingOracles(local_oracles(model))
    target = ModelUnderTest.local(model, oracles=oracles)
    settings = AssessSettings(ArtifactStore(tmp_path), seed=0)
    assess_model(target, _data(data), PLAN[1:], settings)
    assert "probs" in oracles.made  # the attack's budgeted oracle came from our factory
    # a model reachable only through its oracles still runs black-box attacks
    remote = ModelUnderTest(name="remote", model_id="remote-1", adapter=None, oracles=oracles)
    (entry,) = assess_model(remote, _data(data), PLAN[1:], settings)
    assert isinstance(entry, EvasionEntry) and entry.status == "done"


def test_a_process_pool_gives_the_same_entries(
    trained_digits: tuple[ModelAdapter, TensorData], tmp_path: Path
) -> None:
    model, data = trained_digits
    target = ModelUnderTest.local(model)
    seq = assess_model(target, _data(data), PLAN, AssessSettings(ArtifactStore(tmp_path / "a")))
    pool = AssessSettings(ArtifactStore(tmp_path / "b"), executor=ProcessExecutor(2))
    par = assess_model(target, _data(data), PLAN, pool)
    strip = {"seconds", "images_per_second"}
    assert [e.model_dump(exclude=strip) for e in par] == [e.model_dump(exclude=strip) for e in seq]
