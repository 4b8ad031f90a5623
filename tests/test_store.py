"""Artifact store and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from safedl.atomic import atomic_write_json, atomic_write_text
from safedl.pipeline.record import Record
from safedl.store import ArtifactStore, content_key


def test_content_key_is_stable_and_order_independent() -> None:
    a = content_key("model", {"x": 1, "y": [1, 2]})
    assert a == content_key("model", {"y": [1, 2], "x": 1})
    assert a != content_key("model", {"x": 2, "y": [1, 2]})
    assert a.startswith("model-")


def test_model_round_trip(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    src, dst = nn.Linear(3, 2), nn.Linear(3, 2)
    key = content_key("model", {"k": 1})
    assert not store.has(key)
    store.save_model(key, src, {"note": "hi"})
    assert store.has(key)
    assert store.load_model(key, dst) == {"note": "hi"}
    assert torch.equal(src.weight, dst.weight)


def test_artifact_without_sidecar_is_not_complete(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    store.save_tensors("a-1", {"t": torch.ones(2)}, {})
    store.path("a-1", ".json").unlink()
    assert not store.has("a-1")


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_text(target, '{"a": 2}')
    assert target.read_text() == '{"a": 2}'
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_record_save_load(tmp_path: Path) -> None:
    rec = Record.new(
        tmp_path / "record.json",
        seed=3,
        safedl_version="0",
        profile={"name": "p", "hash": "h"},
        environment={},
    )
    rec.stage("x").update(status="done", result={"v": 1})
    rec.save()
    again = Record.load(tmp_path / "record.json")
    assert again.is_done("x") and again.result("x") == {"v": 1}
    assert again.data["record_version"].startswith("2.")
    rec.data["seed"] = "three"  # an invalid record is never written
    with pytest.raises(ValueError, match="seed"):
        rec.save()
