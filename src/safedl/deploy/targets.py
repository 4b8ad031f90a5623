"""What a deployment check looks at: the model files, source, requirements and container files
found under the paths it was given.

Walks are bounded (files, depth, sizes) and skip virtual environments, VCS and build folders,
so pointing the check at a repository root is safe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from safedl.errors import ConfigError

#: Formats that hold tensors only: loading them cannot run code.
SAFE_MODEL_SUFFIXES = frozenset({".safetensors", ".onnx"})
#: Formats built on pickle (torch.save, joblib, Lightning checkpoints, HF .bin).
PICKLE_MODEL_SUFFIXES = frozenset(
    {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib", ".mar"}
)
#: Other model formats that can carry code (Keras Lambda layers, TF graphs).
OTHER_MODEL_SUFFIXES = frozenset({".h5", ".keras", ".pb"})
MODEL_SUFFIXES = SAFE_MODEL_SUFFIXES | PICKLE_MODEL_SUFFIXES | OTHER_MODEL_SUFFIXES

CONFIG_SUFFIXES = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties"}
)
LOCK_FILES = frozenset({"poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"})
MODEL_CARD_NAMES = frozenset(
    {
        "model_card.md",
        "modelcard.md",
        "model-card.md",
        "model_card.yaml",
        "model_card.yml",
        "model_card.json",
        "model-card.yaml",
        "model-card.json",
        "aibom.json",
        "bom.json",
    }
)
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        "site-packages",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
    }
)
MAX_FILES = 20_000
MAX_DEPTH = 12


@dataclass
class ProjectFiles:
    """Files found under the checked paths, by kind (sorted, de-duplicated)."""

    roots: list[Path] = field(default_factory=list)
    models: list[Path] = field(default_factory=list)
    python: list[Path] = field(default_factory=list)
    requirements: list[Path] = field(default_factory=list)
    pyprojects: list[Path] = field(default_factory=list)
    locks: list[Path] = field(default_factory=list)
    dockerfiles: list[Path] = field(default_factory=list)
    compose: list[Path] = field(default_factory=list)
    model_cards: list[Path] = field(default_factory=list)
    readmes: list[Path] = field(default_factory=list)
    configs: list[Path] = field(default_factory=list)
    truncated: bool = False

    def add(self, path: Path) -> None:
        name = path.name
        lower = name.lower()
        suffix = path.suffix.lower()
        if suffix in MODEL_SUFFIXES:
            self.models.append(path)
        elif suffix == ".py":
            self.python.append(path)
        elif lower.startswith("requirements") and suffix in (".txt", ".in", ".lock", ""):
            self.requirements.append(path)
        elif name == "pyproject.toml":
            self.pyprojects.append(path)
        elif name in LOCK_FILES:
            self.locks.append(path)
        elif lower == "dockerfile" or lower.startswith("dockerfile.") or suffix == ".dockerfile":
            self.dockerfiles.append(path)
        elif lower in ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
            self.compose.append(path)
            self.configs.append(path)
        elif lower in MODEL_CARD_NAMES or lower.endswith((".cdx.json", ".aibom.json")):
            self.model_cards.append(path)
        elif lower == "readme.md":
            self.readmes.append(path)
        elif suffix in CONFIG_SUFFIXES or lower == ".env" or lower.startswith(".env."):
            self.configs.append(path)

    def finish(self) -> None:
        for name in (
            "models",
            "python",
            "requirements",
            "pyprojects",
            "locks",
            "dockerfiles",
            "compose",
            "model_cards",
            "readmes",
            "configs",
        ):
            setattr(self, name, sorted(set(getattr(self, name))))

    @property
    def model_dirs(self) -> list[Path]:
        """Folders holding model files."""
        return sorted({p.parent for p in self.models})


def discover(paths: list[Path]) -> ProjectFiles:
    """Classify the files under ``paths`` (files or folders).

    Raises:
        ConfigError: a path does not exist or cannot be read.
    """
    found = ProjectFiles()
    count = 0
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(
                f"{path}: no such file or folder",
                hint="give model files and/or project folders: safedl deploy check PATH ...",
            )
        if path.is_file():
            if not os.access(path, os.R_OK):
                raise ConfigError(f"{path}: cannot read this file (permission denied)")
            found.roots.append(path.parent)
            found.add(path)
            continue
        if not os.access(path, os.R_OK | os.X_OK):
            raise ConfigError(f"{path}: cannot read this folder (permission denied)")
        found.roots.append(path)
        base_depth = len(path.parts)
        for dirpath, dirnames, filenames in os.walk(path):
            current = Path(dirpath)
            if len(current.parts) - base_depth >= MAX_DEPTH:
                dirnames[:] = []
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                count += 1
                if count > MAX_FILES:
                    found.truncated = True
                    break
                found.add(current / name)
            if found.truncated:
                break
    found.finish()
    return found


__all__ = [
    "MODEL_SUFFIXES",
    "PICKLE_MODEL_SUFFIXES",
    "SAFE_MODEL_SUFFIXES",
    "ProjectFiles",
    "discover",
]
