"""What every source loader returns before validation, and helpers shared by spec loaders."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from safedl.errors import DataError

log = logging.getLogger(__name__)

Layout = Literal["auto", "NCHW", "NHWC", "NHW"]

REQUIRED_KEYS = ("x", "y")
OPTIONAL_KEYS = ("x_test", "y_test", "classes")


@dataclass(frozen=True, eq=False)
class RawData:
    """A source's arrays as found, before validation and splitting.

    Attributes:
        source: Where the data came from (a file, a folder or a spec); named in every error.
        x: Training images (numpy array, torch tensor or array-like), uint8 or float.
        y: Training labels, integers.
        x_test: Images of the official test split, if the source has one.
        y_test: Labels of the official test split.
        classes: Class names, or ``None`` to number classes ``0 .. max label``.
        layout: The layout of ``x``; ``"auto"`` infers it from the shape.
    """

    source: str
    x: Any
    y: Any
    x_test: Any = None
    y_test: Any = None
    classes: Any = None
    layout: Layout = "auto"


def raw_from_mapping(arrays: Mapping[str, Any], source: str, *, what: str) -> RawData:
    """Build :class:`RawData` from a mapping with keys ``x``, ``y`` and optional extras.

    Args:
        arrays: Keys ``x`` and ``y``, optionally ``x_test`` with ``y_test``, and ``classes``.
        source: Named in errors (file path or spec).
        what: How the user produced the mapping, used in hints (e.g. ``"np.savez"``).

    Returns:
        The arrays as :class:`RawData` with ``layout="auto"``.

    Raises:
        DataError: ``x`` or ``y`` is missing, or only one of ``x_test``/``y_test`` is given.
    """
    keys = sorted(str(k) for k in arrays)
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise DataError(
            f"{source}: missing {' and '.join(repr(k) for k in missing)} "
            f"(found keys: {', '.join(keys) or 'none'})",
            hint=f"provide arrays named 'x' (images) and 'y' (labels), e.g. {what}; "
            "optionally 'x_test', 'y_test' and 'classes'",
        )
    if ("x_test" in arrays) != ("y_test" in arrays):
        given, absent = ("x_test", "y_test") if "x_test" in arrays else ("y_test", "x_test")
        raise DataError(
            f"{source}: {given!r} is given without {absent!r}",
            hint="give both x_test and y_test for an official test split, or neither "
            "(then dataset.test_fraction of the data is held out)",
        )
    extra = [k for k in keys if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if extra:
        log.warning("%s: ignoring unknown arrays %s", source, ", ".join(extra))
    return RawData(
        source=source,
        x=arrays["x"],
        y=arrays["y"],
        x_test=arrays.get("x_test"),
        y_test=arrays.get("y_test"),
        classes=arrays.get("classes"),
    )


def resolve_path(spec_path: str, root: str | None) -> Path:
    """The path named in a ``npz:``/``folder:`` spec: ``~`` expanded; relative to ``root``.

    Args:
        spec_path: The part of the spec after the prefix.
        root: ``dataset.root``; a relative ``spec_path`` is taken relative to it when set,
            otherwise relative to the working directory.

    Returns:
        The resolved path (which may not exist).
    """
    path = Path(spec_path).expanduser()
    if not path.is_absolute() and root:
        path = Path(root).expanduser() / path
    return path


__all__ = ["Layout", "RawData", "raw_from_mapping", "resolve_path"]
