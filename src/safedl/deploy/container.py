"""DC12–DC15: container basics for each Dockerfile (and compose file) found.

A small Dockerfile reader: comments dropped, ``\\`` continuations joined, instructions with
their first line number. Multi-stage builds: USER is judged on the final stage, FROM lines
that name an earlier stage are not images to pin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Location, Outcome


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        full = (buffer + stripped).strip()
        buffer = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    if buffer:
        keyword, _, args = buffer.strip().partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    return out


def _instructions(ctx: CheckContext, path: Path) -> list[Instruction]:
    def read() -> list[Instruction]:
        try:
            return parse_dockerfile(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return []

    return ctx.cached(f"dockerfile:{path}", read)


def _final_stage(instructions: list[Instruction]) -> list[Instruction]:
    starts = [i for i, ins in enumerate(instructions) if ins.keyword == "FROM"]
    return instructions[starts[-1] :] if starts else instructions


def _no_dockerfile() -> Outcome:
    return Outcome.skipped("no Dockerfile under the given paths")


def check_non_root(ctx: CheckContext) -> Outcome:
    """DC12: the final stage sets USER to someone other than root."""
    if not ctx.files.dockerfiles:
        return _no_dockerfile()
    bad: list[Location] = []
    details = []
    for path in ctx.files.dockerfiles:
        stage = _final_stage(_instructions(ctx, path))
        users = [i for i in stage if i.keyword == "USER"]
        name = ctx.display(path)
        if not users:
            line = stage[0].line if stage else None
            bad.append(Location(name, line))
            details.append(f"{name}: no USER in the final stage: the container runs as root")
            continue
        user = users[-1].args.split(":")[0].strip()
        if user in ("root", "0"):
            bad.append(Location(name, users[-1].line))
            details.append(f"{name}:{users[-1].line}: USER {user}")
    if bad:
        return Outcome.failed("; ".join(details), details=tuple(details), locations=tuple(bad))
    return Outcome.passed(f"{len(ctx.files.dockerfiles)} Dockerfile(s) run as a non-root user")


_WORLD_WRITABLE = re.compile(
    r"\bchmod\s+(?:-\w+\s+)*(?:0?[0-7]{2}[2367]|[augo]*[ao][augo]*\+[rxX]*w)"
)


def _compose_volume_problems(path: Path) -> list[str]:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    problems = []
    for name, service in ((data or {}).get("services") or {}).items():
        if not isinstance(service, dict) or service.get("read_only") is True:
            continue
        for vol in service.get("volumes") or []:
            if isinstance(vol, str):
                parts = vol.split(":")
                target, mode = (parts[1] if len(parts) > 1 else parts[0]), parts[2:]
                read_only = "ro" in ",".join(mode).split(",")
            elif isinstance(vol, dict):
                target, read_only = str(vol.get("target", "")), bool(vol.get("read_only"))
            else:
                continue
            if "model" in target.lower() and not read_only:
                problems.append(f"service {name}: model volume {target} is mounted read-write")
    return problems


def check_read_only_model(ctx: CheckContext) -> Outcome:
    """DC13: nothing is made world-writable; compose mounts model volumes read-only."""
    if not ctx.files.dockerfiles and not ctx.files.compose:
        return Outcome.skipped("no Dockerfile or compose file under the given paths")
    bad: list[Location] = []
    details: list[str] = []
    for path in ctx.files.dockerfiles:
        for ins in _instructions(ctx, path):
            if ins.keyword == "RUN" and _WORLD_WRITABLE.search(ins.args):
                bad.append(Location(ctx.display(path), ins.line))
                details.append(
                    f"{ctx.display(path)}:{ins.line}: world-writable chmod: {ins.args[:80]}"
                )
    for path in ctx.files.compose:
        for problem in _compose_volume_problems(path):
            bad.append(Location(ctx.display(path)))
            details.append(f"{ctx.display(path)}: {problem}")
    if bad:
        return Outcome.failed("; ".join(details), details=tuple(details), locations=tuple(bad))
    note = (
        ""
        if ctx.files.compose
        else "; no compose file: mount the model volume read-only at run time (-v …:ro)"
    )
    return Outcome.passed(f"no world-writable model files{note}")


def check_no_remote_add(ctx: CheckContext) -> Outcome:
    """DC14: no ADD of an http(s) or git URL."""
    if not ctx.files.dockerfiles:
        return _no_dockerfile()
    bad: list[Location] = []
    details: list[str] = []
    for path in ctx.files.dockerfiles:
        for ins in _instructions(ctx, path):
            if ins.keyword == "ADD" and re.search(r"(?i)\b(?:https?|git)://|git@", ins.args):
                bad.append(Location(ctx.display(path), ins.line))
                details.append(f"{ctx.display(path)}:{ins.line}: ADD {ins.args[:100]}")
    if bad:
        return Outcome.failed("; ".join(details), details=tuple(details), locations=tuple(bad))
    return Outcome.passed("no ADD of a remote URL")


def _image(args: str) -> tuple[str, str]:
    """(image reference, stage alias) of a FROM's arguments."""
    words = [w for w in args.split() if not w.startswith("--")]
    image = words[0] if words else ""
    alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
    return image, alias


def check_pinned_base_image(ctx: CheckContext) -> Outcome:
    """DC15: every FROM image has a tag other than latest, or a digest."""
    if not ctx.files.dockerfiles:
        return _no_dockerfile()
    bad: list[Location] = []
    details: list[str] = []
    count = 0
    for path in ctx.files.dockerfiles:
        stages: set[str] = set()
        for ins in _instructions(ctx, path):
            if ins.keyword != "FROM":
                continue
            image, alias = _image(ins.args)
            if image.lower() in stages or image == "scratch":
                stages.add(alias.lower())
                continue
            stages.add(alias.lower())
            count += 1
            last = image.rsplit("/", 1)[-1]
            problem = ""
            if "$" in image:
                problem = "set from a build argument: cannot verify the pin"
            elif "@sha256:" in image:
                continue
            elif ":" not in last:
                problem = "no tag (means latest)"
            elif last.rsplit(":", 1)[1] == "latest":
                problem = "the latest tag"
            if problem:
                bad.append(Location(ctx.display(path), ins.line))
                details.append(f"{ctx.display(path)}:{ins.line}: FROM {image}: {problem}")
    if bad:
        return Outcome.failed("; ".join(details), details=tuple(details), locations=tuple(bad))
    return Outcome.passed(f"{count} base image(s) pinned to a tag or digest")


__all__ = [
    "check_no_remote_add",
    "check_non_root",
    "check_pinned_base_image",
    "check_read_only_model",
    "parse_dockerfile",
]
