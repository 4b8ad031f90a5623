"""Profiles as the pipeline uses them: loaded, fully validated, and tied to a threat model.

:mod:`safedl.config` holds the profile's schema and reads YAML; this module adds what needs the
layers above it: every plan entry checked against its plugin's ``Config`` (the registry), the
threat model's preset and answers checked (the threat package), the profile's JSON Schema with
typed plugin parameters, and the functions that assess a profile's threat model and write a
profile from a threat model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from safedl.config.errors import format_validation_error
from safedl.config.loader import (
    parse_yaml,
    preset_names,
    preset_text,
    profile_to_yaml,
    read_yaml,
)
from safedl.config.profile import Profile
from safedl.errors import ConfigError, PluginError
from safedl.registry import ATTACKS, DEFENSES
from safedl.suggest import did_you_mean
from safedl.threat.answers import parse_answers, to_plain
from safedl.threat.assess import assess_answers, resolve_answers
from safedl.threat.model import ThreatAssessment
from safedl.threat.presets import get_preset
from safedl.threat.question import Answers


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
    check_threat_model(profile, source)
    return profile


def check_plugins(profile: Profile, source: str = "<profile>") -> None:
    """Check each plan entry names a registered plugin and its params fit the plugin's Config."""
    problems = []
    lists = (
        ("attacks", ATTACKS, profile.attacks),
        ("defenses", DEFENSES, [] if isinstance(profile.defenses, str) else profile.defenses),
        ("evaluation.curve_attacks", ATTACKS, profile.evaluation.curve_attacks),
    )
    for key, registry, specs in lists:
        for i, spec in enumerate(specs):
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


def check_threat_model(profile: Profile, source: str = "<profile>") -> None:
    """Check the threat model's preset names a preset and its answers fit the questionnaire."""
    tm = profile.threat_model
    problems = []
    if tm.preset is not None:
        try:
            get_preset(tm.preset)
        except ConfigError as exc:
            problems.append(f"{source}: threat_model.preset: {exc.message}")
    try:
        parse_answers(tm.answers, source="")
    except ConfigError as exc:
        problems += [f"{source}: threat_model.answers: {line}" for line in exc.message.splitlines()]
    if problems:
        raise ConfigError("\n".join(problems))


def load_profile(spec: str | Path) -> Profile:
    """Load a profile from a YAML file, or a shipped preset by name."""
    path = Path(spec)
    if path.is_file():
        return profile_from_dict(read_yaml(path), str(path))
    name = str(spec)
    if name in preset_names():
        return profile_from_dict(parse_yaml(preset_text(name), f"preset:{name}"), f"preset:{name}")
    if path.suffix in (".yaml", ".yml") or "/" in name:
        raise ConfigError(f"{path}: file not found")
    raise ConfigError(
        f"{name!r} is neither a profile file nor a preset; {did_you_mean(name, preset_names())}",
        hint="list presets with: safedl profile presets",
    )


def profile_schema() -> dict[str, Any]:
    """JSON Schema of a profile, with each plan entry's params typed by its plugin's Config."""
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


def has_threat_model(profile: Profile) -> bool:
    """Whether the profile states a threat model (a preset or some answers)."""
    return bool(profile.threat_model.preset or profile.threat_model.answers)


def assess_profile(profile: Profile, source: str = "threat_model") -> ThreatAssessment | None:
    """The assessment of a profile's threat model; None when it states none.

    Answers the profile leaves out come from its preset, or count as 'Don't know' (and are
    reported as gaps) when it has none.
    """
    if not has_threat_model(profile):
        return None
    tm = profile.threat_model
    answers, missing = resolve_answers(
        tm.answers, tm.preset, require_all=False, source=f"{source}.answers"
    )
    return assess_answers(answers, missing)


def profile_name(out: Path) -> str:
    """A valid profile name from an output file name (``my profile.yaml`` → ``my-profile``)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", out.stem).strip("-._") or "threat-model"
    return stem[:80]


def threat_profile(
    base: Profile,
    *,
    name: str,
    preset: str | None,
    answers: Answers,
    assessment: ThreatAssessment,
) -> Profile:
    """``base`` with this threat model and the assessment's available attacks as its plan."""
    data = base.model_dump(mode="json")
    data["name"] = name
    data["threat_model"] = {"preset": preset, "answers": to_plain(answers)}
    data["attacks"] = [{"name": p.name, "params": p.params} for p in assessment.available()]
    return profile_from_dict(data, source="<threat-model profile>")


def profile_text(profile: Profile, assessment: ThreatAssessment) -> str:
    """The profile as YAML, headed by comments on where it came from and what is missing."""
    tm = profile.threat_model
    origin = f"preset '{tm.preset}' and your answers" if tm.preset else "your answers"
    lines = [
        f"# Written by `safedl threat-model` from {origin}.",
        "# `attacks` is the available part of the attack plan; after changing answers,",
        "# re-run `safedl threat-model`; check edits with `safedl threat-model show FILE`.",
    ]
    missing = assessment.unavailable()
    if missing:
        lines.append("# Planned but unavailable in this installation (no plugin yet):")
        lines += [
            f"#   - {p.name} {json.dumps(p.params)} for {', '.join(p.threat_ids)}" for p in missing
        ]
    if assessment.gaps:
        lines.append("# Gaps ('Don't know', assumed conservatively):")
        lines += [f"#   - {g.question}: {g.assumption}" for g in assessment.gaps]
    return "\n".join(lines) + "\n" + profile_to_yaml(profile)


__all__ = [
    "assess_profile",
    "check_plugins",
    "check_threat_model",
    "has_threat_model",
    "load_profile",
    "profile_from_dict",
    "profile_name",
    "profile_schema",
    "profile_text",
    "threat_profile",
]
