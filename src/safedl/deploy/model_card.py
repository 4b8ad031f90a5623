"""DC11: a model card or AI bill of materials states where the model comes from.

Accepted: a Markdown card (MODEL_CARD.md, or a README.md in a model folder) with YAML front
matter (Hugging Face style) and/or sections; a YAML/JSON card; a CycloneDX BOM with a
``machine-learning-model`` component. Four fields are required: data sources, base model
(``none`` for a model trained from scratch), SHA-256 hashes (which must cover every model
file found) and a licence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Location, Outcome

FIELDS = ("data sources", "base model", "hashes", "licence")
_HEX = re.compile(r"\b[0-9a-f]{64}\b")
_KEYS = {
    "data sources": ("datasets", "dataset", "data_sources", "training_data", "train_data"),
    "base model": ("base_model", "base_models", "parent_model", "pretrained_from"),
    "licence": ("license", "licence", "licenses", "license_name"),
    "hashes": ("sha256", "hashes", "model_sha256", "checksums"),
}
_HEADINGS = {
    "data sources": re.compile(r"(?i)training data|data sources?|datasets?"),
    "base model": re.compile(r"(?i)base model|parent model|pretrained|foundation model"),
    "licence": re.compile(r"(?i)licen[cs]e"),
    "hashes": re.compile(r"(?i)hash|checksum|sha-?256|integrity"),
}


@dataclass
class Card:
    path: Path
    fields: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    @property
    def missing(self) -> list[str]:
        return [f for f in FIELDS if f not in self.fields]


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _from_mapping(card: Card, data: dict[str, Any]) -> None:
    if isinstance(data.get("model_card"), dict):
        data = {**data, **data["model_card"]}
    for name, keys in _KEYS.items():
        if any(_present(data.get(k)) for k in keys):
            card.fields.add(name)
    card.hashes |= set(_HEX.findall(json.dumps(data, default=str).lower()))


def _cyclonedx(card: Card, data: dict[str, Any]) -> None:
    for comp in data.get("components") or []:
        if not isinstance(comp, dict) or comp.get("type") != "machine-learning-model":
            continue
        for h in comp.get("hashes") or []:
            if str(h.get("alg", "")).upper().replace("-", "") == "SHA256":
                card.hashes.add(str(h.get("content", "")).lower())
        if comp.get("licenses"):
            card.fields.add("licence")
        params = (comp.get("modelCard") or {}).get("modelParameters") or {}
        if params.get("datasets"):
            card.fields.add("data sources")
        props = {p.get("name"): p.get("value") for p in comp.get("properties") or []}
        if (comp.get("pedigree") or {}).get("ancestors") or _present(props.get("base_model")):
            card.fields.add("base model")
    if card.hashes:
        card.fields.add("hashes")


def _markdown(card: Card, text: str) -> None:
    body = text
    m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if m:
        body = text[m.end() :]
        try:
            front = yaml.safe_load(m.group(1))
        except yaml.YAMLError:
            front = None
        if isinstance(front, dict):
            _from_mapping(card, front)
    sections = re.split(r"(?m)^#{1,6}\s+(.+)$", body)
    # sections = [preamble, heading1, content1, heading2, content2, ...]
    for heading, content in zip(sections[1::2], sections[2::2], strict=False):
        for name, pattern in _HEADINGS.items():
            if pattern.search(heading) and content.strip():
                card.fields.add(name)
    for name, keys in _KEYS.items():  # "license: MIT" style lines in the body
        if any(re.search(rf"(?im)^\W*{k}\W*\s*[:=]\s*\S", body) for k in keys):
            card.fields.add(name)
    card.hashes |= set(_HEX.findall(text.lower()))


def read_card(path: Path) -> Card | None:
    """The fields a card states, or None when ``path`` is not a model card."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    card = Card(path)
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        try:
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError):
            return None
        if not isinstance(data, dict):
            return None
        if data.get("bomFormat") == "CycloneDX":
            _cyclonedx(card, data)
        else:
            _from_mapping(card, data)
    else:
        _markdown(card, text)
    if card.hashes:
        card.fields.add("hashes")
    return card if card.fields else None


def check_model_card(ctx: CheckContext) -> Outcome:
    """DC11: a card or AIBOM has the four fields and hashes covering every model file."""
    candidates = list(ctx.files.model_cards)
    model_dirs = set(ctx.files.model_dirs)
    candidates += [r for r in ctx.files.readmes if r.parent in model_dirs]
    cards = [c for c in (read_card(p) for p in candidates) if c is not None]
    if not cards:
        if not ctx.files.models:
            return Outcome.skipped("no model files and no model card under the given paths")
        return Outcome.failed(
            "no model card or AIBOM found (MODEL_CARD.md, model_card.yaml, a CycloneDX BOM)"
        )
    best = max(cards, key=lambda c: (len(c.fields), len(c.hashes)))
    hashes = set().union(*(c.hashes for c in cards))
    problems = (
        [f"{ctx.display(best.path)} does not state: {', '.join(best.missing)}"]
        if best.missing
        else []
    )
    uncovered = [m for m in ctx.files.models if ctx.sha256(m) not in hashes]
    if hashes and uncovered:
        problems.append(
            "the card's SHA-256 values match no hash of "
            + ", ".join(ctx.display(m) for m in uncovered)
        )
    if problems:
        return Outcome.failed("; ".join(problems), locations=(Location(ctx.display(best.path)),))
    return Outcome.passed(
        f"{ctx.display(best.path)} states data sources, base model, hashes and licence"
        + (f"; its hashes cover {len(ctx.files.models)} model file(s)" if ctx.files.models else "")
    )


__all__ = ["FIELDS", "check_model_card", "read_card"]
