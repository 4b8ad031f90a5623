"""TensorData and DataSplits: invariants, subsets and content fingerprints."""

from __future__ import annotations

import pytest
import torch

from safedl.data import DataSplits, TensorData
from safedl.errors import DataError


def _data(n: int = 6, value: float = 0.5) -> TensorData:
    return TensorData(torch.full((n, 1, 2, 2), value), torch.arange(n) % 2)


def test_len_and_shape() -> None:
    data = _data()
    assert len(data) == 6 and data.input_shape == (1, 2, 2)
    assert repr(data) == "TensorData(n=6, shape=(1, 2, 2))"


def test_subset_by_index_and_mask_copies() -> None:
    data = TensorData(torch.arange(6.0).reshape(6, 1, 1, 1) / 5, torch.arange(6))
    part = data.subset(torch.tensor([4, 1]))
    assert part.y.tolist() == [4, 1]
    assert part.x.flatten().tolist() == pytest.approx([0.8, 0.2])
    masked = data.subset(data.y % 2 == 0)
    assert masked.y.tolist() == [0, 2, 4]
    part.x.zero_()
    assert float(data.x[4]) == pytest.approx(0.8)


def test_fingerprint_cached_and_content_sensitive() -> None:
    data = _data()
    first = data.fingerprint()
    assert len(first) == 64 and data.fingerprint() == first
    assert _data().fingerprint() == first
    assert _data(value=0.25).fingerprint() != first
    relabelled = TensorData(data.x.clone(), data.y.flip(0))
    assert relabelled.fingerprint() != first
    reshaped = TensorData(data.x.reshape(6, 1, 1, 4).clone(), data.y.clone())
    assert reshaped.fingerprint() != first


def test_non_contiguous_made_contiguous() -> None:
    x = torch.rand(4, 2, 3, 3).transpose(2, 3)
    data = TensorData(x, torch.zeros(4, dtype=torch.int64))
    assert data.x.is_contiguous() and torch.equal(data.x, x)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (torch.zeros(2, 4), torch.zeros(2, dtype=torch.int64), "float32 \\[N, C, H, W\\]"),
        (torch.zeros(2, 1, 2, 2, dtype=torch.float64), torch.zeros(2).long(), "float32"),
        (torch.zeros(2, 1, 2, 2), torch.zeros(2), "int64 \\[N\\]"),
        (torch.zeros(2, 1, 2, 2), torch.zeros(3, dtype=torch.int64), "2 images but 3 labels"),
    ],
)
def test_invariants(x: torch.Tensor, y: torch.Tensor, message: str) -> None:
    with pytest.raises(DataError, match=message):
        TensorData(x, y)


def test_splits_properties_and_fingerprint() -> None:
    splits = DataSplits("toy", _data(), _data(0), _data(2), ["a", "b"])
    assert splits.input_shape == (1, 2, 2) and splits.num_classes == 2
    first = splits.fingerprint()
    assert first == DataSplits("other", _data(), _data(0), _data(2), ["a", "b"]).fingerprint()
    assert first != DataSplits("toy", _data(), _data(0), _data(2), ["a", "c"]).fingerprint()
    assert first != DataSplits("toy", _data(2), _data(0), _data(), ["a", "b"]).fingerprint()
    assert "train=6, val=0, test=2" in repr(splits)


def test_splits_shapes_must_agree() -> None:
    other = TensorData(torch.zeros(2, 3, 2, 2), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(DataError, match="different image shapes"):
        DataSplits("toy", _data(), _data(0), other, ["a", "b"])
