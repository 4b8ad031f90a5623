"""Threat models in profiles: assess a profile's ``threat_model`` and write a new profile."""

from __future__ import annotations

import json
import re
from pathlib import Path

from safedl.config.loader import profile_from_dict, profile_to_yaml
from safedl.config.profile import Profile
from safedl.threat.answers import to_plain
from safedl.threat.assess import assess_answers, resolve_answers
from safedl.threat.model import ThreatAssessment
from safedl.threat.question import Answers


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


__all__ = ["assess_profile", "has_threat_model", "profile_name", "profile_text", "threat_profile"]
