"""Shared validation: every malformed input raises DataError naming source, problem and fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from safedl.data.raw import RawData
from safedl.data.validate import check
from safedl.errors import DataError

SOURCE = "my-data.npz"


def _raw(x: Any = None, y: Any = None, **kwargs: Any) -> RawData:
    x = np.full((6, 4, 4), 0.5, dtype=np.float32) if x is None else x
    y = np.array([0, 1, 2, 0, 1, 2]) if y is None else y
    return RawData(source=SOURCE, x=x, y=y, **kwargs)


def _error(raw: RawData) -> str:
    with pytest.raises(DataError) as info:
        check(raw)
    message = str(info.value)
    assert message.startswith(SOURCE), message
    assert "hint:" in message, message
    return message


def test_valid_float_data() -> None:
    checked = check(_raw())
    assert checked.pool.x.shape == (6, 1, 4, 4)
    assert checked.classes == ["0", "1", "2"]
    assert checked.test is None
    taken = checked.pool.take()
    assert taken.x.dtype == torch.float32 and float(taken.x.max()) == 0.5


def test_nan() -> None:
    x = np.full((6, 4, 4), 0.5, dtype=np.float32)
    x[3, 1, 1] = np.nan
    x[5, 0, 0] = np.inf
    message = _error(_raw(x))
    assert "NaN or infinite values in 2 image(s) (first at index 3)" in message


def test_wrong_ndim() -> None:
    message = _error(_raw(np.zeros((6, 16), dtype=np.float32)))
    assert "got 2-D shape (6, 16)" in message and "x.reshape(-1, 28, 28)" in message
    assert "got 5-D" in _error(_raw(np.zeros((6, 1, 1, 4, 4), dtype=np.float32)))


def test_labels_out_of_range_with_explicit_classes() -> None:
    message = _error(_raw(y=np.array([0, 1, 2, 3, 1, 0]), classes=["a", "b", "c"]))
    assert "label 3 is out of range for 3 classes (valid labels 0 .. 2)" in message


def test_empty_class_named() -> None:
    message = _error(_raw(y=np.array([0, 2, 2, 0, 3, 3]), classes=["cat", "dog", "owl", "emu"]))
    assert "class 'dog' (label 1) has no training examples" in message


def test_empty_class_without_names_is_a_gap_in_labels() -> None:
    message = _error(_raw(y=np.array([0, 0, 2, 2, 2, 0])))
    assert "class '1' (label 1) has no training examples" in message
    assert "renumber labels" in message


def test_length_mismatch() -> None:
    message = _error(_raw(y=np.array([0, 1, 0, 1])))
    assert "x has 6 images but y has 4 labels" in message


def test_test_length_mismatch() -> None:
    x_test = np.zeros((3, 4, 4), dtype=np.float32)
    message = _error(_raw(x_test=x_test, y_test=np.array([0, 1])))
    assert "x_test has 3 images but y_test has 2 labels" in message


def test_values_above_one_look_like_pixels() -> None:
    x = np.full((6, 4, 4), 200.0, dtype=np.float32)
    message = _error(_raw(x))
    assert "values must be in [0, 1]; got min 200, max 200" in message
    assert "divide by 255" in message


def test_negative_values_mention_normalisation() -> None:
    x = np.full((6, 4, 4), -0.4, dtype=np.float64)
    message = _error(_raw(x))
    assert "got min -0.4" in message and "model.normalization" in message


def test_rounding_slack_is_clipped() -> None:
    x = np.full((6, 4, 4), 1.0 + 1e-7, dtype=np.float64)
    x[0] = -1e-7
    taken = check(_raw(x)).pool.take()
    assert float(taken.x.max()) == 1.0 and float(taken.x.min()) == 0.0


def test_integer_images_rejected() -> None:
    message = _error(_raw(np.zeros((6, 4, 4), dtype=np.int64)))
    assert "x has dtype int64; expected uint8" in message


def test_float_labels_rejected() -> None:
    message = _error(_raw(y=np.array([0.0, 1, 2, 0, 1, 2])))
    assert "labels must be integers" in message and "astype('int64')" in message


def test_column_labels_hint_reshape() -> None:
    message = _error(_raw(y=np.array([[0], [1], [2], [0], [1], [2]])))
    assert "y must be 1-D; got shape (6, 1)" in message and "reshape(-1)" in message


def test_one_hot_labels_hint_argmax() -> None:
    message = _error(_raw(y=np.eye(3, dtype=np.int64)[[0, 1, 2, 0, 1, 2]]))
    assert "argmax(1)" in message


def test_negative_labels() -> None:
    assert "negative label -1" in _error(_raw(y=np.array([0, 1, -1, 0, 1, 2])))


def test_empty_dataset() -> None:
    message = _error(_raw(np.zeros((0, 4, 4), dtype=np.uint8), np.zeros(0, dtype=np.int64)))
    assert "x is empty (0 images)" in message


def test_single_class() -> None:
    assert "only one class ('0')" in _error(_raw(y=np.zeros(6, dtype=np.int64)))


def test_duplicate_class_names() -> None:
    assert "duplicate class names ['a']" in _error(_raw(classes=["a", "b", "a"]))


def test_unknown_channel_axis() -> None:
    message = _error(_raw(np.zeros((6, 5, 5, 5), dtype=np.float32)))
    assert "cannot tell the channel axis" in message


def test_train_and_test_shapes_must_agree() -> None:
    x_test = np.zeros((3, 5, 5), dtype=np.float32)
    message = _error(_raw(x_test=x_test, y_test=np.array([0, 1, 2])))
    assert "x_test images have shape (1, 5, 5) but x images have (1, 4, 4)" in message


def test_test_labels_count_towards_classes() -> None:
    checked = check(_raw(x_test=np.zeros((2, 4, 4), np.uint8), y_test=np.array([0, 2])))
    assert checked.test is not None and len(checked.classes) == 3
    with pytest.raises(DataError, match="class '3' \\(label 3\\) has no training examples"):
        check(_raw(x_test=np.zeros((2, 4, 4), np.uint8), y_test=np.array([0, 3])))


def test_tensors_and_lists_accepted() -> None:
    checked = check(_raw(torch.rand(6, 3, 4, 4), [0, 1, 1, 0, 1, 0], classes=("no", "yes")))
    assert checked.pool.x.shape == (6, 3, 4, 4) and checked.classes == ["no", "yes"]


def test_ragged_list_rejected() -> None:
    assert "cannot be read as an array" in _error(_raw([[0.1, 0.2], [0.3]]))


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((2, 4, 4, 3), (3, 4, 4)),  # both axes could be channels: square images win
        ((2, 1, 4, 4), (1, 4, 4)),
        ((2, 4, 4, 1), (1, 4, 4)),
        ((2, 3, 3, 3), (3, 3, 3)),  # a tie is channels-first
        ((2, 3, 32, 32), (3, 32, 32)),
        ((2, 32, 32, 3), (3, 32, 32)),
    ],
)
def test_layout_guess(shape: tuple[int, ...], expected: tuple[int, ...]) -> None:
    x = np.zeros(shape, dtype=np.uint8)
    checked = check(_raw(x, np.array([0, 1])))
    assert checked.pool.x.shape[1:] == expected


def test_bfloat16_tensor_accepted() -> None:
    x = torch.full((6, 1, 4, 4), 0.5, dtype=torch.bfloat16)
    assert float(check(_raw(x)).pool.take().x.max()) == 0.5
