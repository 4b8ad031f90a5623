"""Safe-DL: security assessment of deep-learning image classifiers.

From one profile: threat model, attack simulation, risk, defenses, re-evaluation and report.

Quick start::

    import safedl
    run = safedl.run("demo")                  # a preset name, a profile file or a Profile
    record = safedl.load_record(run.run_dir)  # every output, as a dict
    profile = safedl.load_profile("demo")
    result = safedl.run_attack("pgd", model, (x, y), {"eps": 0.1, "steps": 20})
    poisoned = safedl.run_attack_spec("badnets", data="digits", params={"fraction": 0.1})
"""

from importlib import metadata as _metadata

from safedl.api import load_record, run, run_attack, run_attack_spec
from safedl.config import Profile
from safedl.errors import ConfigError, DataError, ModelError, PluginError, RunError, SafeDLError
from safedl.profiles import load_profile

try:
    __version__ = _metadata.version("safedl")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DataError",
    "ModelError",
    "PluginError",
    "Profile",
    "RunError",
    "SafeDLError",
    "__version__",
    "load_profile",
    "load_record",
    "run",
    "run_attack",
    "run_attack_spec",
]
