"""Atomic file writes: write a temporary file beside the target, then rename over it.

A reader (or a resumed run) therefore sees either the old file or the new one, never half.
Files get the permissions the user's umask gives a new file (as ``open`` would), not the
owner-only mode of a temporary file, so a report can be published or served by another user.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def umask() -> int:
    """The process umask (read by setting and restoring it; there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (same-directory temp file, fsync, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Write JSON (indented, keys in insertion order) atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
