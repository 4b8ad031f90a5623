"""Loading a user's model factory from ``path/to/file.py:factory`` or ``package.module:factory``.

A ``.py`` file is executed as a module (its own directory is on ``sys.path`` while it runs, so
it can import its neighbours); a dotted module is imported normally. Either way this runs the
user's code, exactly as ``python file.py`` would: only point a profile at code you trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from safedl.errors import ModelError
from safedl.models.registry import ModelFactory

SPEC_HINT = "name a factory as 'path/to/file.py:factory' or 'package.module:factory'"


def is_user_spec(name: str) -> bool:
    """Tell whether ``name`` looks like a user factory spec rather than a built-in name."""
    return ":" in name


def _split(spec: str) -> tuple[str, str]:
    target, _, attr = spec.rpartition(":")
    if not target or not attr or not attr.isidentifier():
        raise ModelError(f"model {spec!r} is not a valid factory spec", hint=SPEC_HINT)
    return target, attr


def _looks_like_file(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def _load_file(target: str, spec: str) -> ModuleType:
    path = Path(target).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    path = path.resolve()
    if not path.is_file():
        raise ModelError(
            f"model {spec!r}: file {str(path)!r} does not exist",
            hint="paths are relative to the current directory; " + SPEC_HINT,
        )
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    mod_name = f"safedl_user_model_{path.stem}_{digest}"
    mod_spec = importlib.util.spec_from_file_location(mod_name, path)
    if mod_spec is None or mod_spec.loader is None:
        raise ModelError(f"model {spec!r}: {str(path)!r} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(mod_spec)
    sys.modules[mod_name] = module
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        mod_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(mod_name, None)
        raise ModelError(
            f"model {spec!r}: running {path.name} failed: {type(exc).__name__}: {exc}",
            hint="fix the error in the file; it must import without side effects",
        ) from exc
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    return module


def _import_module(target: str, spec: str) -> ModuleType:
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"model {spec!r}: module {target!r} cannot be found ({exc})",
            hint="install the package or add its directory to PYTHONPATH; " + SPEC_HINT,
        ) from exc
    except Exception as exc:
        raise ModelError(
            f"model {spec!r}: importing {target!r} failed: {type(exc).__name__}: {exc}",
            hint="fix the error in the module",
        ) from exc


def load_user_factory(spec: str) -> ModelFactory:
    """Find the callable a user factory spec names.

    Args:
        spec: ``'path/to/file.py:factory'`` (relative paths are resolved against the current
            working directory) or ``'package.module:factory'``.

    Returns:
        The factory (any callable, including an ``nn.Module`` subclass).

    Raises:
        ModelError: The spec is malformed, the file or module cannot be loaded, or it has no
            such callable attribute.
    """
    target, attr = _split(spec)
    module = _load_file(target, spec) if _looks_like_file(target) else _import_module(target, spec)
    factory = getattr(module, attr, None)
    if factory is None:
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        listing = ", ".join(public[:10]) if public else "none"
        raise ModelError(
            f"model {spec!r}: {target!r} has no attribute {attr!r}",
            hint=f"callables defined there: {listing}",
        )
    if not callable(factory):
        raise ModelError(
            f"model {spec!r}: {attr!r} is a {type(factory).__name__}, not a callable factory",
            hint="point at a function or nn.Module class that returns the model",
        )
    return factory


__all__ = ["SPEC_HINT", "is_user_spec", "load_user_factory"]
