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
from safedl.errors import ConfigError, PluginError
from safedl.suggest import did_you_mean

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


def profile_from_dict(data: Any, source: str = "<profile>") -> Profile:
    """Validate a mapping as a profile, including every plugin name and its params."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a profile must be a mapping of keys to values, got {type(data).__name__}",
            hint="start from a preset: safedl profile presets",
        )
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, Profile, source=source)) from None
    check_plugins(profile, source)
    return profile


def check_plugins(profile: Profile, source: str = "<profile>") -> None:
    """Check each plan entry names a registered plugin and its params fit the plugin's Config."""
    from safedl.registry import ATTACKS, DEFENSES

    problems = []
    for key, registry in (("attacks", ATTACKS), ("defenses", DEFENSES)):
        for i, spec in enumerate(getattr(profile, key)):
            where = f"{key}.{i}"
            if spec.name not in registry:
                problems.append(
                    f"{source}: {where}.name: unknown {registry.kind} {spec.name!r}; "
                    f"{did_you_mean(spec.name, registry.names())}"
                )
                continue
            try:
                registry.make_config(spec.name, spec.params, where=where)
            except ConfigError as exc:
                problems.extend(f"{source}: {line}" for line in str(exc).splitlines())
            except PluginError as exc:
                problems.append(f"{source}: {where}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))


def load_profile(spec: str | Path) -> Profile:
    """Load a profile from a YAML file, or a shipped preset by name."""
    path = Path(spec)
    if path.is_file():
        return profile_from_dict(read_yaml(path), str(path))
    name = str(spec)
    if name in preset_names():
        return profile_from_dict(parse_yaml(_preset_text(name), f"preset:{name}"), f"preset:{name}")
    if path.suffix in (".yaml", ".yml") or "/" in name:
        raise ConfigError(f"{path}: file not found")
    raise ConfigError(
        f"{name!r} is neither a profile file nor a preset; {did_you_mean(name, preset_names())}",
        hint="list presets with: safedl profile presets",
    )


def profile_to_yaml(profile: Profile) -> str:
    """The profile as YAML, with every default written out."""
    return yaml.safe_dump(profile.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def profile_hash(profile: Profile) -> str:
    """Content hash of what determines a run's results (output settings and device excluded)."""
    data = profile.model_dump(mode="json", exclude={"output", "device"})
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def profile_schema() -> dict[str, Any]:
    """JSON Schema of a profile, with each plan entry's params typed by its plugin's Config."""
    from safedl.registry import ATTACKS, DEFENSES

    schema = Profile.model_json_schema()
    for key, registry in (("attacks", ATTACKS), ("defenses", DEFENSES)):
        variants = []
        for info in registry:
            params = info.config_model.model_json_schema()
            variants.append(
                {
                    "type": "object",
                    "title": info.name,
                    "description": info.summary,
                    "properties": {"name": {"const": info.name}, "params": params},
                    "required": ["name"],
                    "additionalProperties": False,
                }
            )
        if variants:
            schema["properties"][key]["items"] = {"oneOf": variants}
    return schema
