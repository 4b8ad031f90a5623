"""A vectorised reader for IDX files (the MNIST / Fashion-MNIST format), gzipped or plain.

Layout: two zero bytes, a type code, the number of dimensions ``d``, then ``d`` big-endian
uint32 sizes, then the values in C order, big-endian. Gzip is detected from the file's magic
bytes, not its name.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from safedl.errors import DataError

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_HINT = "the file is damaged or not an IDX file: download it again (or reinstall the package)"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzipped."""
    try:
        data = path.read_bytes()
        if data[:2] == _GZIP_MAGIC:
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})", hint=_HINT) from exc
    return data


def read_idx(path: str | Path, *, ndim: int | None = None) -> np.ndarray:
    """Read one IDX file into a native-endian numpy array.

    Args:
        path: The file, plain or gzipped.
        ndim: If given, the number of dimensions the file must have (3 for images, 1 for
            labels).

    Returns:
        The array, with the file's shape; uint8 for image and label files.

    Raises:
        DataError: Naming the file, when it cannot be read, has a bad magic number, an
            unexpected number of dimensions, or is truncated or has trailing bytes.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: truncated IDX file ({len(data)} bytes)", hint=_HINT)
    zero, type_code, dims = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in IDX_TYPES or dims == 0:
        raise DataError(
            f"{path}: bad IDX magic number 0x{data[:4].hex()} "
            "(expected 0x0000 then a type code such as 08 and the number of dimensions)",
            hint=_HINT,
        )
    if ndim is not None and dims != ndim:
        raise DataError(
            f"{path}: IDX file has {dims} dimensions; expected {ndim}",
            hint="check that image and label files are not swapped or renamed",
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header", hint=_HINT)
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        problem = "truncated" if actual < expected else "has trailing bytes"
        raise DataError(
            f"{path}: IDX file {problem}: header says shape {shape} ({expected} bytes of data) "
            f"but it holds {actual}",
            hint=_HINT,
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (the inverse of :func:`read_idx`).

    Args:
        path: Target file; gzipped when ``compress`` is true, or by default when the name
            ends in ``.gz``.
        array: An array of a dtype IDX supports (uint8, int8, int16, int32, float32,
            float64).
        compress: Force or disable gzip.

    Returns:
        The path written.

    Raises:
        DataError: The dtype has no IDX type code.
    """
    path = Path(path)
    big = array.astype(array.dtype.newbyteorder(">"), copy=False)
    codes = {dt.str.lstrip("<>|="): code for code, dt in IDX_TYPES.items()}
    code = codes.get(big.dtype.str.lstrip("<>|="))
    if code is None:
        raise DataError(f"{path}: dtype {array.dtype} cannot be stored as IDX")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(big).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=1)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    tmp.replace(path)  # atomic: readers never see a half-written file
    return path


__all__ = ["IDX_TYPES", "read_idx", "write_idx"]
