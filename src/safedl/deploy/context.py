"""What every check function receives: the files, the run's evidence, the options, the probe
session, and a per-run cache (file hashes, parsed headers) so no file is read twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from safedl.deploy.evidence import Evidence, sha256_file
from safedl.deploy.options import DeployOptions
from safedl.deploy.targets import ProjectFiles

if TYPE_CHECKING:
    from safedl.deploy.probes.session import ProbeSession

T = TypeVar("T")


@dataclass
class CheckContext:
    """Inputs of one deployment check run."""

    files: ProjectFiles
    options: DeployOptions
    evidence: Evidence | None = None
    url: str | None = None
    probe: ProbeSession | None = None
    offline: bool = False
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per run for ``key``."""
        if key not in self.cache:
            self.cache[key] = compute()
        value: T = self.cache[key]
        return value

    def sha256(self, path: Path) -> str:
        return self.cached(f"sha256:{path}", lambda: sha256_file(path))

    def display(self, path: Path) -> str:
        """A path as reports show it: relative to the working directory when it is below it."""
        try:
            return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return str(path)

    def expected_hashes(self, model: Path) -> tuple[set[str], str]:
        """The SHA-256 values ``model`` may have, and where they come from ('' when none)."""
        pins = self.options.pinned_sha256
        for key in (model.name, self.display(model), str(model), "*"):
            if key in pins:
                return {pins[key]}, f"pinned_sha256[{key!r}]"
        artifact = self.evidence.assessed_artifact() if self.evidence else None
        if artifact is not None:
            return set(artifact.identities), "the assessed artifact of the --run record"
        return set(), ""


__all__ = ["CheckContext"]
