"""The docstring template of attack plugins — defined here and nowhere else.

Every attack plugin's class docstring follows :data:`TEMPLATE`: a one-line summary, then the
sections ``Paper:``, ``Threat:`` and ``Reports:`` written by the author, then any paragraphs on
how the algorithm works. The ``Parameters:`` section is *not* written by hand: when a plugin
class is created, its family base calls :func:`complete_docstring`, which generates the section
from the plugin's ``Config`` (each field's type, default and description) and inserts it after
``Threat:``. The docstring, ``safedl attacks describe`` and the profile's JSON schema therefore
read the same field descriptions and cannot disagree.

:func:`template_problems` lists what a plugin's docstring lacks; the contract test runs it over
every registered attack.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from safedl.registry import PluginConfig, PluginInfo

#: The sections of a plugin docstring, in order.
SECTIONS = ("Paper", "Threat", "Parameters", "Reports")
#: The sections the author writes (``Parameters`` is generated).
WRITTEN = ("Paper", "Threat", "Reports")

TEMPLATE = """\
One line: what the attack does (Author et al., year).

Paper: Authors, "Title", Venue Year.
Threat: the norm(s) of the budget and the access the attack needs: ``white-box``
(gradients), ``scores`` or ``labels`` (an Oracle only), or ``training-data``.
Reports: the shared metrics, and each attack-specific figure by its key (``extra["key"]``).

Further paragraphs: how the algorithm works, where it departs from the paper.
"""

#: Words that name each registered norm in a Threat section.
NORM_WORDS: dict[str, tuple[str, ...]] = {
    "linf": ("L∞", "Linf", "linf"),
    "l2": ("L2", "l2"),
    "l1": ("L1", "l1"),
    "l0": ("L0", "l0"),
}

_HEADER = re.compile(r"^([A-Z][A-Za-z]+(?: [a-z]+)?):(?:\s+(.*))?$")
_WIDTH = 96


@dataclass(frozen=True)
class ParamDoc:
    """One ``Config`` field as documented: name, type, default and description."""

    name: str
    type: str
    default: str
    description: str


@dataclass
class DocSections:
    """A docstring split into its summary, its titled sections and its other paragraphs."""

    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def type_name(annotation: Any) -> str:
    """A short readable name of a field's type: ``float``, ``'linf' | 'l2'``, ``int | None``."""
    if annotation is None or annotation is type(None):
        return "None"
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(json.dumps(v) for v in get_args(annotation))
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_name(a) for a in get_args(annotation))
    if origin is not None:
        args = ", ".join(type_name(a) for a in get_args(annotation))
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{args}]" if args else name
    if annotation is Any:
        return "Any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def default_text(info: FieldInfo) -> str:
    """The default as a profile would write it (``0.1``, ``"linf"``, ``null``) or ``required``."""
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value, default=str, ensure_ascii=False)


def parameters(config: type[PluginConfig]) -> list[ParamDoc]:
    """Every field of ``config``, in declaration order (inherited fields first)."""
    return [
        ParamDoc(name, type_name(f.annotation), default_text(f), (f.description or "").strip())
        for name, f in config.model_fields.items()
    ]


def parameters_section(config: type[PluginConfig]) -> str:
    """The generated ``Parameters:`` section (Google style) of a plugin with this ``Config``."""
    lines = ["Parameters:"]
    for p in parameters(config):
        head = f"{p.name} ({p.type}, default {p.default}):"
        text = f"{head} {p.description}".rstrip()
        lines += textwrap.wrap(
            text, _WIDTH, initial_indent="    ", subsequent_indent="        "
        ) or ["    " + head]
    return "\n".join(lines)


def split_sections(doc: str) -> DocSections:
    """Split a (cleaned) docstring into summary, ``Title: text`` sections and other paragraphs.

    A section starts at a line ``Title: ...`` in the first column and runs to the next such
    line or the next blank line; its text is joined into one string (the indented entries of
    a Google-style section keep their line breaks).
    """
    out = DocSections()
    lines = inspect.cleandoc(doc).splitlines() if doc.strip() else []
    i = 0
    while i < len(lines) and lines[i].strip():  # the summary: the first paragraph
        out.summary = f"{out.summary} {lines[i].strip()}".strip()
        i += 1
    current: str | None = None
    body: list[str] = []
    note: list[str] = []

    def flush() -> None:
        nonlocal current, body, note
        if current is not None:
            # Prose (text on the title line) is joined; entries (a Google-style list under a
            # bare title) keep their lines and indentation.
            prose = bool(body) and not body[0].startswith(" ")
            text = " ".join(b.strip() for b in body) if prose else "\n".join(body)
            out.sections[current] = text
        elif note:
            out.notes.append(" ".join(n.strip() for n in note))
        current, body, note = None, [], []

    for line in lines[i:]:
        match = _HEADER.match(line)
        if not line.strip():
            flush()
        elif match:
            flush()
            current = match.group(1)
            body = [match.group(2) or ""] if match.group(2) else []
        elif current is not None:
            body.append(line)
        else:
            note.append(line)
    flush()
    return out


def complete_docstring(cls: type) -> None:
    """Insert the generated ``Parameters:`` section into ``cls``'s own docstring.

    The section goes after ``Threat:`` (or before ``Reports:``, or at the end). A class without
    a docstring of its own, without a ``Config``, or with a ``Parameters:`` section already is
    left alone (a hand-written section is reported by :func:`template_problems`).
    """
    own = cls.__dict__.get("__doc__")
    config = getattr(cls, "Config", None)
    if not own or not (inspect.isclass(config) and issubclass(config, PluginConfig)):
        return
    lines = inspect.cleandoc(own).splitlines()
    headers = {m.group(1): k for k, line in enumerate(lines) if (m := _HEADER.match(line))}
    if "Parameters" in headers:
        return
    generated = parameters_section(config).splitlines()
    if "Threat" in headers:
        at = headers["Threat"] + 1
        while at < len(lines) and lines[at].strip() and not _HEADER.match(lines[at]):
            at += 1
    elif "Reports" in headers:
        at = headers["Reports"]
    else:
        at, generated = len(lines), ["", *generated]
    cls.__doc__ = "\n".join([*lines[:at], *generated, *lines[at:]])


def template_problems(info: PluginInfo) -> list[str]:
    """What ``info``'s docstring lacks to follow :data:`TEMPLATE` (empty when complete)."""
    doc = split_sections(info.doc)
    problems = [] if doc.summary else ["no one-line summary"]
    for name in WRITTEN:
        if not doc.sections.get(name, "").strip():
            problems.append(f"no {name}: section")
    expected = parameters_section(info.config_model).split("\n", 1)[1:]
    if doc.sections.get("Parameters") != (expected[0] if expected else None):
        problems.append(
            "the Parameters: section is not the one generated from Config; write none by hand "
            "(and give the class a docstring of its own)"
        )
    problems += [
        f"Config field {p.name!r} has no description"
        for p in parameters(info.config_model)
        if not p.description
    ]
    threat = doc.sections.get("Threat", "")
    if info.access not in threat:
        problems.append(f"Threat: does not name the access {info.access!r}")
    for norm in info.norms:
        if not any(word in threat for word in NORM_WORDS.get(norm, (norm,))):
            problems.append(f"Threat: does not name the norm {norm!r}")
    author = info.paper.split(",")[0].split()[0] if info.paper.strip() else ""
    if author and author not in doc.sections.get("Paper", ""):
        problems.append(f"Paper: does not name {author} (the registered paper: {info.paper})")
    return problems


__all__ = [
    "NORM_WORDS",
    "SECTIONS",
    "TEMPLATE",
    "WRITTEN",
    "DocSections",
    "ParamDoc",
    "complete_docstring",
    "default_text",
    "parameters",
    "parameters_section",
    "split_sections",
    "template_problems",
]
