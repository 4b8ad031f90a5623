"""Profiles: typed inputs of an assessment, loaded from YAML and validated."""

from safedl.config.loader import (
    load_profile,
    preset_names,
    profile_from_dict,
    profile_hash,
    profile_schema,
    profile_to_yaml,
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
    "load_profile",
    "preset_names",
    "profile_from_dict",
    "profile_hash",
    "profile_schema",
    "profile_to_yaml",
]
