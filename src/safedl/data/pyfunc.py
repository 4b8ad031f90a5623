"""``python:module:function``: the user's own loader, called with no arguments.

``module`` is an importable module (``mypkg.data``) or a path to a ``.py`` file
(``python:path/to/data.py:load``). The function returns ``(x, y)``, ``(x, y, x_test,
y_test)`` or a dict with keys ``x``, ``y`` and optionally ``x_test``, ``y_test``,
``classes``; arrays may be numpy arrays or torch tensors. The result is validated exactly
like an ``.npz`` file.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from safedl.config.profile import DatasetConfig
from safedl.data.raw import RawData, raw_from_mapping
from safedl.errors import DataError
from safedl.suggest import did_you_mean

_RETURNS = "(x, y), (x, y, x_test, y_test) or a dict with keys x, y[, x_test, y_test, classes]"


def _import(module_name: str, source: str) -> ModuleType:
    """Import a module by dotted name, or from a ``.py`` file path."""
    try:
        if module_name.endswith(".py"):
            path = Path(module_name).expanduser()
            if not path.is_file():
                raise DataError(f"{source}: no such file {path}", hint="check the path")
            spec = importlib.util.spec_from_file_location(f"safedl_user_data_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise DataError(f"{source}: cannot import {path}", hint="check the file")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(module_name)
    except DataError:
        raise
    except ModuleNotFoundError as exc:
        raise DataError(
            f"{source}: cannot import module {module_name!r} ({exc})",
            hint="install the package, add its folder to PYTHONPATH, or give a file path "
            "as 'python:path/to/file.py:function'",
        ) from exc
    except Exception as exc:  # the user's module failed while importing
        raise DataError(
            f"{source}: importing {module_name!r} failed: {type(exc).__name__}: {exc}",
            hint="fix the error in that module",
        ) from exc


def load_python(spec: str, cfg: DatasetConfig) -> RawData:
    """Call the user's data function and wrap its result.

    Args:
        spec: ``module:function`` (the part after ``python:``).
        cfg: Unused; the function takes no arguments.

    Returns:
        The returned arrays as :class:`RawData` (validated later like any source).

    Raises:
        DataError: The spec is malformed, the module cannot be imported, the function is
            missing or raises, or it returns something other than the accepted forms.
    """
    source = f"python:{spec}"
    module_name, sep, func_name = spec.rpartition(":")
    if not sep or not module_name or not func_name:
        raise DataError(
            f"{source}: expected 'python:module:function'",
            hint="name a module and a function in it, e.g. 'python:mypkg.data:load'",
        )
    module = _import(module_name, source)
    func = getattr(module, func_name, None)
    if not callable(func):
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        raise DataError(
            f"{source}: module {module_name!r} has no function {func_name!r}",
            hint=did_you_mean(func_name, names),
        )
    try:
        result: Any = func()
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"{source}: the function raised {type(exc).__name__}: {exc}",
            hint="fix the data function; it is called with no arguments",
        ) from exc
    if isinstance(result, Mapping):
        return raw_from_mapping(result, source, what=f"return {{'x': x, 'y': y}} from {func_name}")
    if isinstance(result, tuple | list) and len(result) in (2, 4):
        keys = ("x", "y", "x_test", "y_test")[: len(result)]
        return raw_from_mapping(dict(zip(keys, result, strict=True)), source, what=_RETURNS)
    kind = f"a {len(result)}-tuple" if isinstance(result, tuple | list) else type(result).__name__
    raise DataError(f"{source}: the function returned {kind}", hint=f"return {_RETURNS}")


__all__ = ["load_python"]
