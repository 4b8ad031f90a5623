"""Closest-name suggestions for misspelt keys and plugin names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that look like ``name``, best first."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if not found:
        lowered = name.lower()
        found = [c for c in pool if lowered in c.lower() or c.lower() in lowered][:n]
    return found


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A short phrase such as ``did you mean 'pgd' or 'fgsm'?``, or a list of valid names."""
    pool = sorted(set(candidates))
    found = closest(name, pool)
    if found:
        return "did you mean " + " or ".join(repr(f) for f in found) + "?"
    if len(pool) <= 12:
        return "valid names: " + ", ".join(pool)
    return f"{len(pool)} valid names; list them with the CLI"
