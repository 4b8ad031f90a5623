"""DC03: read a safetensors header without loading tensors and check that it is sane.

Format (https://github.com/huggingface/safetensors): 8 bytes little-endian header length N,
N bytes of UTF-8 JSON ``{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
{...}}``, then the tensor bytes. Offsets are relative to the start of the data block. A sane
file has a bounded N, unique names, known dtypes, byte lengths equal to dtype size × element
count, and offsets that tile the data block exactly (contiguous, no overlap, no gap, nothing
past the end).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Location, Outcome

#: The safetensors library refuses headers above 100 MB.
MAX_HEADER_BYTES = 100_000_000
#: Bits per element of each dtype the format defines.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class HeaderReport:
    """A parsed header and every problem found in it."""

    path: Path
    tensors: dict[str, TensorInfo]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def signature(self) -> dict[str, tuple[str, tuple[int, ...]]]:
        return {name: (t.dtype, t.shape) for name, t in self.tensors.items()}


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate tensor name {key!r}")
        out[key] = value
    return out


def read_header(path: Path) -> HeaderReport:
    """Parse and check ``path``'s header; never raises for a malformed file."""
    problems: list[str] = []
    tensors: dict[str, TensorInfo] = {}
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                return HeaderReport(path, {}, ("file shorter than the 8-byte header length",))
            (n,) = struct.unpack("<Q", prefix)
            if n > MAX_HEADER_BYTES:
                return HeaderReport(path, {}, (f"header length {n:,} B exceeds the 100 MB bound",))
            if 8 + n > size:
                return HeaderReport(
                    path, {}, (f"header length {n:,} B runs past the end of the file ({size:,} B)",)
                )
            raw = fh.read(n)
    except OSError as exc:
        return HeaderReport(path, {}, (f"cannot read: {exc.strerror}",))
    try:
        text = raw.decode("utf-8")
        if not text.startswith("{"):
            raise ValueError("the header does not start with '{'")
        header = json.loads(text, object_pairs_hook=_no_duplicates)
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (UnicodeDecodeError, ValueError) as exc:
        return HeaderReport(path, {}, (f"header is not valid JSON: {exc}",))
    data_len = size - 8 - n
    meta = header.pop("__metadata__", None)
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
    ):
        problems.append("__metadata__ must map strings to strings")
    for name, info in header.items():
        if not isinstance(info, dict):
            problems.append(f"{name}: entry is not an object")
            continue
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in DTYPE_BITS:
            problems.append(f"{name}: unknown dtype {dtype!r}")
            continue
        if not (
            isinstance(shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            problems.append(f"{name}: shape {shape!r} is not a list of non-negative integers")
            continue
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        ):
            problems.append(f"{name}: data_offsets {offsets!r} is not [begin, end]")
            continue
        begin, end = offsets
        if not 0 <= begin <= end:
            problems.append(f"{name}: data_offsets [{begin}, {end}] are not ordered")
            continue
        bits = DTYPE_BITS[str(dtype)] * math.prod(shape)
        expected = (bits + 7) // 8
        if end - begin != expected:
            problems.append(
                f"{name}: {end - begin} B stored but {dtype} × {tuple(shape)} needs {expected} B"
            )
        tensors[name] = TensorInfo(str(dtype), tuple(shape), begin, end)
    cursor = 0
    for name, t in sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if t.begin != cursor:
            kind = "overlaps the previous tensor" if t.begin < cursor else "leaves a gap before it"
            problems.append(f"{name}: starts at {t.begin}, expected {cursor} ({kind})")
        cursor = max(cursor, t.end)
    if cursor != data_len:
        where = "past the end of the file" if cursor > data_len else "short of the end of the file"
        problems.append(f"tensor data ends at {cursor} B, {where} (data block {data_len} B)")
    return HeaderReport(path, tensors, tuple(problems))


def _compare(
    deployed: dict[str, tuple[str, tuple[int, ...]]],
    assessed: dict[str, tuple[str, tuple[int, ...]]],
) -> list[str]:
    out = []
    missing = sorted(set(assessed) - set(deployed))
    extra = sorted(set(deployed) - set(assessed))
    if missing:
        out.append(f"missing tensors {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    if extra:
        out.append(f"unexpected tensors {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}")
    for name in sorted(set(deployed) & set(assessed)):
        if deployed[name] != assessed[name]:
            (d_t, d_s), (a_t, a_s) = deployed[name], assessed[name]
            out.append(f"{name}: {d_t}{list(d_s)} but the assessed model has {a_t}{list(a_s)}")
    return out


def check_safetensors_header(ctx: CheckContext) -> Outcome:
    """DC03: headers are sane and, with --run, match the assessed artifact's state dict."""
    files = [p for p in ctx.files.models if p.suffix.lower() == ".safetensors"]
    if not files:
        return Outcome.skipped("no safetensors files to check")
    artifact = ctx.evidence.assessed_artifact() if ctx.evidence else None
    expected = None
    if artifact is not None:
        assessed = ctx.cached(f"header:{artifact.path}", lambda: read_header(artifact.path))
        if not assessed.ok:
            return Outcome.failed(
                f"the assessed artifact's own header is malformed: {assessed.problems[0]}",
                details=assessed.problems,
            )
        expected = assessed.signature()
    details: list[str] = []
    bad: list[Path] = []
    for path in files:
        report = ctx.cached(f"header:{path}", lambda p=path: read_header(p))  # type: ignore[misc]
        problems = list(report.problems)
        if report.ok and expected is not None:
            problems += _compare(report.signature(), expected)
        if problems:
            bad.append(path)
            details += [f"{ctx.display(path)}: {p}" for p in problems]
    scope = " and match the assessed state dict" if expected is not None else ""
    if not bad:
        return Outcome.passed(f"{len(files)} safetensors header(s) are well-formed{scope}")
    return Outcome.failed(
        f"{len(bad)} of {len(files)} safetensors file(s) fail: {details[0]}"
        + (f" (+{len(details) - 1} more)" if len(details) > 1 else ""),
        details=tuple(details),
        locations=tuple(Location(ctx.display(p)) for p in bad),
    )


__all__ = ["DTYPE_BITS", "HeaderReport", "check_safetensors_header", "read_header"]
