"""Optional dependencies of the server, imported on first use with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from safedl.errors import ConfigError

INSTALL_HINT = "pip install 'safedl[deploy]'"


def require(module: str) -> ModuleType:
    """Import ``module`` or raise a :class:`ConfigError` that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise ConfigError(
            f"serving needs the optional package {top!r}, which is not installed",
            hint=INSTALL_HINT,
        ) from None


__all__ = ["INSTALL_HINT", "require"]
