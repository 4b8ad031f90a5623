"""One structured JSON line per request: who, when, what (by hash), the answer, the detectors.

Images are logged by the sha256 of their float32 bytes, never by content; flagged inputs can
be kept as ``.npy`` files named by that hash (``flagged_dir``) for ``safedl monitor report
--export``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

log = logging.getLogger("safedl.serve.requests")


def image_hashes(x: Tensor) -> list[str]:
    """sha256 of each image's contiguous float32 bytes."""
    arr = x.detach().cpu().float().contiguous().numpy()
    return [hashlib.sha256(a.tobytes()).hexdigest() for a in arr]


class RequestLog:
    """Appends JSON lines to a file (or the ``safedl.serve.requests`` logger)."""

    def __init__(self, path: str | None, flagged_dir: str | None = None) -> None:
        self.path = Path(path) if path else None
        self.flagged_dir = Path(flagged_dir) if flagged_dir else None
        self._lock = threading.Lock()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.flagged_dir is not None:
            self.flagged_dir.mkdir(parents=True, exist_ok=True)

    def write(self, **entry: Any) -> None:
        entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **entry}
        line = json.dumps(entry, separators=(",", ":"), default=str)
        if self.path is None:
            log.info(line)
            return
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def keep(self, x: Tensor, hashes: list[str]) -> None:
        """Save flagged images as ``<sha256>.npy`` (no pickles)."""
        if self.flagged_dir is None:
            return
        arr = x.detach().cpu().float().numpy()
        for a, h in zip(arr, hashes, strict=True):
            target = self.flagged_dir / f"{h}.npy"
            if not target.exists():
                np.save(target, a, allow_pickle=False)


__all__ = ["RequestLog", "image_hashes"]
