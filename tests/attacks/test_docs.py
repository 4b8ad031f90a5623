"""The docstring template: the generated Parameters section and the problems it reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from safedl.attacks.docs import (
    complete_docstring,
    parameters,
    parameters_section,
    split_sections,
    template_problems,
    type_name,
)
from safedl.registry import PluginConfig, PluginInfo


class Cfg(PluginConfig):
    eps: float = Field(0.25, gt=0, description="Budget.")
    norm: Literal["linf", "l2"] = Field("linf", description="Norm.")
    classes: list[int] | None = Field(None, description="Classes.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Extra keyword arguments.")


def make(doc: str, config: type[PluginConfig] = Cfg) -> type:
    cls = type("Plugin", (), {"__doc__": doc, "Config": config})
    complete_docstring(cls)
    return cls


GOOD = """Does a thing (Someone et al., 2020).

Paper: Someone, Other, "A Thing", Venue 2020.
Threat: L∞ or L2 ball of radius ``eps``; access ``scores``.
Reports: clean and robust accuracy, ``extra["queries"]``.

How it works, in a paragraph.
"""


def info(cls: type, access: str = "scores", norms: tuple[str, ...] = ("linf", "l2")) -> PluginInfo:
    return PluginInfo("thing", "attack", cls, "evasion", access, norms, "Someone et al., A Thing")


def test_types_and_defaults_read_like_a_profile() -> None:
    assert type_name(Literal["linf", "l2"]) == '"linf" | "l2"'
    assert type_name(int | None) == "int | None"
    assert type_name(list[float]) == "list[float]"
    rows = {p.name: p for p in parameters(Cfg)}
    assert rows["eps"].default == "0.25" and rows["norm"].default == '"linf"'
    assert rows["classes"].default == "null" and rows["extra"].default == "{}"


def test_parameters_are_inserted_after_threat_and_the_template_is_complete() -> None:
    cls = make(GOOD)
    doc = cls.__doc__ or ""
    lines = doc.splitlines()
    assert (
        lines.index("Parameters:")
        == lines.index(next(x for x in lines if x.startswith("Threat:"))) + 1
    )
    assert "    eps (float, default 0.25): Budget." in lines
    sections = split_sections(doc)
    assert list(sections.sections) == ["Paper", "Threat", "Parameters", "Reports"]
    assert sections.notes == ["How it works, in a paragraph."]
    assert template_problems(info(cls)) == []
    complete_docstring(cls)  # idempotent: no second section
    assert (cls.__doc__ or "").count("Parameters:") == 1


def test_missing_or_wrong_sections_are_reported() -> None:
    bare = make("Does a thing.\n\nHow it works.\n")
    problems = template_problems(info(bare))
    assert {"no Paper: section", "no Threat: section", "no Reports: section"} <= set(problems)
    hand = make(GOOD.replace("Reports:", "Parameters: ``eps`` the budget.\nReports:"))
    assert any("Parameters" in p for p in template_problems(info(hand)))
    assert any("access 'labels'" in p for p in template_problems(info(make(GOOD), "labels")))
    assert any("norm 'l0'" in p for p in template_problems(info(make(GOOD), norms=("l0",))))
    other = make(GOOD.replace("Paper: Someone", "Paper: Nobody"))
    assert any("does not name Someone" in p for p in template_problems(info(other)))


def test_a_field_without_description_is_reported() -> None:
    class Undocumented(PluginConfig):
        k: int = 3

    cls = make(GOOD, Undocumented)
    assert "Config field 'k' has no description" in template_problems(info(cls))
    assert parameters_section(Undocumented) == "Parameters:\n    k (int, default 3):"


def test_an_inherited_docstring_does_not_pass_for_a_new_config() -> None:
    base = make(GOOD)

    class More(Cfg):
        steps: int = Field(5, description="Steps.")

    child = type("Child", (base,), {"Config": More})
    complete_docstring(child)  # no docstring of its own: left alone
    assert any("Parameters" in p for p in template_problems(info(child)))
