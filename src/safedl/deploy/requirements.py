"""Read the dependency pins of a project: requirements files, pyproject.toml (PEP 621, PEP 735
groups, Poetry) and lock files (poetry.lock, uv.lock, pdm.lock, Pipfile.lock).

Used by DC08 (which torch versions the project admits) and DC10 (which files pip-audit can
audit without resolving). Specifiers are PEP 440; Poetry's ``^`` and ``~`` are translated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safedl.deploy.targets import ProjectFiles

MAX_INCLUDE_DEPTH = 3


@dataclass(frozen=True)
class Pin:
    """One requirement on a package, where it was found."""

    package: str  # canonical name (lower case, '-' separators)
    specifier: str  # PEP 440 specifier set, '' for any version
    source: Path
    line: int | None
    kind: str  # "requirements", "pyproject", "lock"

    @property
    def exact(self) -> str | None:
        """The version when the specifier is a single ``==`` / ``===`` pin."""
        m = re.fullmatch(r"\s*===?\s*([^,;\s*]+)\s*", self.specifier)
        return m.group(1) if m else None


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _toml(path: Path) -> dict[str, Any] | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            return None
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return data


def _line_of(path: Path, needle: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _parse_requirement(text: str) -> tuple[str, str] | None:
    """(canonical name, specifier) of one PEP 508 string, None if it is not one."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    return canonical(req.name), str(req.specifier)


def requirements_file(path: Path, depth: int = 0) -> list[Pin]:
    """Pins of a requirements file, following ``-r`` includes (bounded)."""
    pins: list[Pin] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return pins
    buffer, start = "", 0
    for number, raw in enumerate(lines, start=1):
        if not buffer:
            start = number
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].rstrip()
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        line = (buffer + line).strip()
        buffer = ""
        if not line:
            continue
        include = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", line)
        if include:
            if depth < MAX_INCLUDE_DEPTH:
                pins += requirements_file(path.parent / include.group(1), depth + 1)
            continue
        if line.startswith("-"):
            continue
        parsed = _parse_requirement(line.split(" --hash")[0].strip())
        if parsed:
            pins.append(Pin(parsed[0], parsed[1], path, start, "requirements"))
    return pins


def _poetry_spec(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("version", "*")
    if not isinstance(value, str) or value.strip() in ("", "*"):
        return ""
    parts = []
    for piece in value.split(","):
        piece = piece.strip()
        m = re.fullmatch(r"([\^~])\s*(\d+(?:\.\d+)*)", piece)
        if m:
            nums = [int(x) for x in m.group(2).split(".")]
            if m.group(1) == "^":
                idx = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
            else:
                idx = min(1, len(nums) - 1) if len(nums) > 1 else 0
            upper = [*nums[:idx], nums[idx] + 1]
            parts += [f">={m.group(2)}", f"<{'.'.join(map(str, upper))}"]
        elif re.fullmatch(r"\d+(?:\.\d+)*", piece):
            parts.append(f"=={piece}")
        else:
            parts.append(piece.replace(" ", ""))
    return ",".join(parts)


def pyproject_file(path: Path) -> list[Pin]:
    data = _toml(path)
    if data is None:
        return []
    strings: list[str] = list((data.get("project") or {}).get("dependencies") or [])
    for group in ((data.get("project") or {}).get("optional-dependencies") or {}).values():
        strings += [s for s in group if isinstance(s, str)]
    for group in (data.get("dependency-groups") or {}).values():
        strings += [s for s in group if isinstance(s, str)]
    pins = []
    for text in strings:
        parsed = _parse_requirement(text)
        if parsed:
            pins.append(Pin(parsed[0], parsed[1], path, _line_of(path, text), "pyproject"))
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    for name, value in poetry.items():
        if name.lower() != "python":
            needle = f"{name} ="
            pins.append(
                Pin(canonical(name), _poetry_spec(value), path, _line_of(path, needle), "pyproject")
            )
    return pins


def lock_file(path: Path) -> list[Pin]:
    if path.name == "Pipfile.lock":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return []
        pins = []
        for section in ("default", "develop"):
            for name, entry in (data.get(section) or {}).items():
                version = entry.get("version", "") if isinstance(entry, dict) else ""
                pins.append(
                    Pin(canonical(name), version, path, _line_of(path, f'"{name}"'), "lock")
                )
        return pins
    data = _toml(path)
    if data is None:
        return []
    pins = []
    for pkg in data.get("package") or []:
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str) and pkg.get("version"):
            needle = f'name = "{pkg["name"]}"'
            pins.append(
                Pin(
                    canonical(pkg["name"]),
                    f"=={pkg['version']}",
                    path,
                    _line_of(path, needle),
                    "lock",
                )
            )
    return pins


def project_pins(files: ProjectFiles) -> list[Pin]:
    """Every pin of every requirements, pyproject and lock file found."""
    pins: list[Pin] = []
    for path in files.requirements:
        pins += requirements_file(path)
    for path in files.pyprojects:
        pins += pyproject_file(path)
    for path in files.locks:
        pins += lock_file(path)
    return pins


__all__ = ["Pin", "canonical", "lock_file", "project_pins", "pyproject_file", "requirements_file"]
