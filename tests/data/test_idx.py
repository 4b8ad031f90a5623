"""The IDX reader: gzipped and plain files, every type code, and malformed files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from safedl.data.idx import read_idx, write_idx
from safedl.errors import DataError


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_roundtrip_plain_and_gzipped(tmp_path: Path, name: str) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / name, images)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    out = read_idx(path, ndim=3)
    assert out.dtype == np.uint8
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)


def test_header_is_big_endian_per_spec(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    np.testing.assert_array_equal(read_idx(path, ndim=1), [7, 8, 9])


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "labels-without-gz-suffix"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 4, 5])))
    np.testing.assert_array_equal(read_idx(path), [4, 5])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_other_type_codes_read_native_endian(tmp_path: Path, dtype: type) -> None:
    values: np.ndarray = np.array([[-3, 2], [1, 100]], dtype=dtype)
    out = read_idx(write_idx(tmp_path / "a", values))
    assert out.dtype == np.dtype(dtype)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, values)


def test_bad_magic_names_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataError, match="bad IDX magic number") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert "download it again" in str(info.value)


def test_unknown_type_code_is_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 0]))
    with pytest.raises(DataError, match="bad IDX magic"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data_names_file_and_sizes(tmp_path: Path, gz: bool) -> None:
    images = np.zeros((5, 4, 4), dtype=np.uint8)
    full = tmp_path / "full"
    write_idx(full, images, compress=False)
    raw = full.read_bytes()[:-10]
    path = tmp_path / ("cut.gz" if gz else "cut")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(path, ndim=3)
    message = str(info.value)
    assert str(path) in message
    assert "(5, 4, 4)" in message and "80 bytes" in message and "70" in message


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataError, match="truncated IDX header"):
        read_idx(path)


def test_tiny_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny"
    path.write_bytes(b"\x00")
    with pytest.raises(DataError, match="truncated IDX file"):
        read_idx(path)


def test_trailing_bytes(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "a", np.zeros(3, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00\x00")
    with pytest.raises(DataError, match="trailing bytes"):
        read_idx(path)


def test_wrong_number_of_dimensions(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels", np.zeros(3, dtype=np.uint8))
    with pytest.raises(DataError, match="1 dimensions; expected 3"):
        read_idx(path, ndim=3)


def test_corrupt_gzip_names_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(bytes(100))[:20])
    with pytest.raises(DataError, match="cannot read IDX file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read IDX file"):
        read_idx(tmp_path / "nope")


def test_write_rejects_unsupported_dtype(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be stored as IDX"):
        write_idx(tmp_path / "a", np.zeros(2, dtype=np.uint16))
