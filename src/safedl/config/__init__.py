"""Profiles: typed inputs of an assessment and their YAML form.

The schema lives here; :mod:`safedl.profiles` loads a profile with every check (plugins,
threat model) — use :func:`safedl.profiles.load_profile`.
"""

from safedl.config.loader import (
    parse_profile,
    parse_yaml,
    preset_names,
    profile_hash,
    profile_to_yaml,
    read_yaml,
)
from safedl.config.profile import (
    DatasetConfig,
    EvaluationConfig,
    ModelConfig,
    NormalizationConfig,
    OutputConfig,
    PluginSpec,
    Profile,
    ThreatModelConfig,
    TrainingConfig,
)

__all__ = [
    "DatasetConfig",
    "EvaluationConfig",
    "ModelConfig",
    "NormalizationConfig",
    "OutputConfig",
    "PluginSpec",
    "Profile",
    "ThreatModelConfig",
    "TrainingConfig",
    "parse_profile",
    "parse_yaml",
    "preset_names",
    "profile_hash",
    "profile_to_yaml",
    "read_yaml",
]
