"""Weights: safetensors and state-dict round trips, refused pickles, mismatch messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from safedl.config.profile import ModelConfig
from safedl.errors import ModelError
from safedl.models import build_model, load_weights, save_weights


def _net(seed: int, hidden: int = 16) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.Flatten(),
        nn.Linear(4 * 8 * 8, hidden),
        nn.Linear(hidden, 10),
    )


def _same(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_safetensors_round_trip(tmp_path: Path) -> None:
    src, dst = _net(0), _net(1)
    src[1].running_mean.fill_(0.25)  # buffers travel too
    assert not _same(src, dst)
    path = tmp_path / "sub" / "w.safetensors"
    save_weights(src, path)
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["w.safetensors"]  # no temp file left
    load_weights(dst, path)
    assert _same(src, dst)
    x = torch.rand(3, 1, 8, 8)
    src.eval()
    dst.eval()
    assert torch.equal(src(x), dst(x))


def test_save_replaces_existing_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(_net(0), path)
    save_weights(_net(2), path)
    loaded = _net(5)
    load_weights(loaded, path)
    assert _same(loaded, _net(2))
    assert os.listdir(tmp_path) == ["w.safetensors"]


def test_save_handles_tied_weights(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    net[1].weight = net[0].weight
    save_weights(net, tmp_path / "tied.safetensors")
    other = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    load_weights(other, tmp_path / "tied.safetensors")
    assert torch.equal(other[1].weight, net[0].weight)


def test_save_requires_safetensors_suffix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="writes safetensors"):
        save_weights(_net(0), tmp_path / "w.pt")


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
def test_state_dict_pickle_round_trip(tmp_path: Path, suffix: str) -> None:
    src, dst = _net(0), _net(1)
    path = tmp_path / f"w{suffix}"
    torch.save(src.state_dict(), path)
    load_weights(dst, path)
    assert _same(src, dst)


@pytest.mark.parametrize("key", ["state_dict", "model"])
def test_wrapped_checkpoint_is_unwrapped(tmp_path: Path, key: str) -> None:
    src, dst = _net(0), _net(1)
    path = tmp_path / "ckpt.pt"
    torch.save({key: src.state_dict(), "epoch": 7, "optimizer": {"lr": 0.1}}, path)
    load_weights(dst, path)
    assert _same(src, dst)


def test_data_parallel_prefix_is_stripped(tmp_path: Path) -> None:
    src, dst = _net(0), _net(1)
    path = tmp_path / "dp.safetensors"
    save_file({f"module.{k}": v.contiguous() for k, v in src.state_dict().items()}, path)
    load_weights(dst, path)
    assert _same(src, dst)


def test_whole_model_pickle_is_refused_with_explanation(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(_net(0), path)
    with pytest.raises(ModelError) as info:
        load_weights(_net(1), path)
    text = str(info.value)
    assert "pickled Python object" in text
    assert "arbitrary code" in text
    assert "torch.save(model.state_dict(), 'weights.pt')" in text
    assert "safetensors.torch.save_file(model.state_dict(), 'weights.safetensors')" in text


def test_missing_and_unexpected_keys_are_listed(tmp_path: Path) -> None:
    src = _net(0)
    state = src.state_dict()
    state["extra.weight"] = torch.zeros(2)
    del state["4.bias"]
    path = tmp_path / "w.pt"
    torch.save(state, path)
    dst = _net(1)
    before = {k: v.clone() for k, v in dst.state_dict().items()}
    with pytest.raises(ModelError) as info:
        load_weights(dst, path)
    text = str(info.value)
    assert "missing keys: 4.bias" in text
    assert "unexpected keys: extra.weight" in text
    # nothing was loaded
    assert all(torch.equal(before[k], v) for k, v in dst.state_dict().items())


def test_many_missing_keys_are_truncated(tmp_path: Path) -> None:
    path = tmp_path / "empty_ish.safetensors"
    save_file({"unrelated": torch.zeros(1)}, path)
    with pytest.raises(ModelError) as info:
        load_weights(_net(0), path)
    # _net has 11 state entries (BatchNorm buffers included); 5 shown, the rest counted
    assert "(and 6 more)" in str(info.value)


def test_shape_mismatch_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(_net(0, hidden=16), path)
    with pytest.raises(ModelError) as info:
        load_weights(_net(0, hidden=32), path)
    text = str(info.value)
    assert "shape mismatches: 3.bias (file (16,), model (32,))" in text
    assert "3.weight (file (16, 256), model (32, 256))" in text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_weights(_net(0), tmp_path / "nope.safetensors")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match=r"unsupported suffix '\.h5'"):
        load_weights(_net(0), path)


@pytest.mark.parametrize("name", ["w.pt", "w.safetensors"])
def test_corrupt_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"definitely not weights")
    with pytest.raises(ModelError) as info:
        load_weights(_net(0), path)
    assert "pickled Python object" not in str(info.value)
    assert "weights_only` set to `False`" not in str(info.value)  # no advice to unpickle


def test_non_state_dict_content(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ModelError, match="does not hold a state dict of tensors"):
        load_weights(_net(0), path)


def test_build_model_loads_weights(tmp_path: Path) -> None:
    src = build_model(ModelConfig(name="mlp", params={"hidden": [32]}), (1, 8, 8), 10, seed=1)
    path = tmp_path / "mlp.safetensors"
    save_weights(src, path)
    cfg = ModelConfig(name="mlp", params={"hidden": [32]}, weights=str(path))
    loaded = build_model(cfg, (1, 8, 8), 10, seed=2)
    assert _same(src, loaded)
    with pytest.raises(ModelError, match="shape mismatches"):
        build_model(ModelConfig(name="mlp", weights=str(path)), (1, 8, 8), 10)
