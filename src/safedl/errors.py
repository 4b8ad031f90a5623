"""The exception tree of Safe-DL.

Every error a user can cause (a bad profile, a missing data file, a model that does not fit
its data) is raised as a subclass of :class:`SafeDLError`. The CLI turns these into one clear
message and exit code 2; anything else is a bug and keeps its traceback.

::

    SafeDLError
    ├── ConfigError     profile, answers file or plugin parameters are invalid
    ├── DataError       a dataset cannot be found, read or is malformed
    ├── ModelError      a model cannot be built, loaded or does not fit the data
    ├── PluginError     an unknown plugin, or a plugin that failed to load
    └── RunError        a run directory cannot be used (changed profile, corrupt record)
"""

from __future__ import annotations


class SafeDLError(Exception):
    """Base class of every error caused by user input or environment."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(SafeDLError):
    """A profile, an answers file or plugin parameters are invalid."""


class DataError(SafeDLError):
    """A dataset cannot be found or read, or its contents are malformed."""


class ModelError(SafeDLError):
    """A model cannot be built or loaded, or does not fit its data."""


class PluginError(SafeDLError):
    """A plugin name is unknown or a plugin failed to load."""


class RunError(SafeDLError):
    """A run directory cannot be used as asked."""


__all__ = ["ConfigError", "DataError", "ModelError", "PluginError", "RunError", "SafeDLError"]
