"""Load, validate and write profiles (YAML in and out)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from safedl.config.errors import format_validation_error
from safedl.config.profile import Profile
from safedl.errors import ConfigError

PRESET_PACKAGE = "safedl.config.presets"


def preset_names() -> list[str]:
    """Names of the profiles shipped inside the package."""
    folder = resources.files(PRESET_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _preset_text(name: str) -> str:
    return resources.files(PRESET_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become a ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read file ({exc})") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}:{where}: invalid YAML: {problem}") from None


def parse_profile(data: Any, source: str = "<profile>") -> Profile:
    """Validate a mapping against the profile's schema alone (no plugin or threat checks).

    :func:`safedl.profiles.profile_from_dict` adds those; use it to load a profile.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a profile must be a mapping of keys to values, got {type(data).__name__}",
            hint="start from a preset: safedl profile presets",
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, Profile, source=source)) from None


def preset_text(name: str) -> str:
    """The YAML text of a shipped preset."""
    return _preset_text(name)


def profile_to_yaml(profile: Profile) -> str:
    """The profile as YAML, with every default written out."""
    return yaml.safe_dump(profile.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def profile_hash(profile: Profile) -> str:
    """Content hash of what determines a run's results (output, device and workers excluded)."""
    data = profile.model_dump(
        mode="json", exclude={"output": True, "device": True, "evaluation": {"workers"}}
    )
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
