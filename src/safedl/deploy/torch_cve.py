"""DC08: the project's torch is not affected by CVE-2025-32434.

In torch 2.5.1 and earlier, ``torch.load(..., weights_only=True)`` could still be made to run
code by a crafted file; 2.6.0 fixed it (GHSA-53q9-r3pm-6pq6). Lock files decide what is
installed, so they are judged first; then exact pins; then ranges, which fail when they admit
an affected release. Without any torch requirement, the installed torch is judged.
"""

from __future__ import annotations

from importlib import metadata

from safedl.deploy.context import CheckContext
from safedl.deploy.requirements import Pin, project_pins
from safedl.deploy.types import Location, Outcome, Severity

CVE = "CVE-2025-32434"
FIXED = "2.6.0"
#: Releases of torch before the fix, to test whether a range admits an affected version.
AFFECTED_RELEASES = [
    "1.13.1",
    "2.0.0",
    "2.0.1",
    "2.1.0",
    "2.1.1",
    "2.1.2",
    "2.2.0",
    "2.2.1",
    "2.2.2",
    "2.3.0",
    "2.3.1",
    "2.4.0",
    "2.4.1",
    "2.5.0",
    "2.5.1",
]


def _affected(version: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) < Version(FIXED)
    except InvalidVersion:
        return False


def admitted_affected(specifier: str) -> list[str]:
    """Affected torch releases that ``specifier`` admits."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return []
    return [v for v in AFFECTED_RELEASES if spec.contains(v)]


def _where(ctx: CheckContext, pin: Pin) -> str:
    return f"{ctx.display(pin.source)}{f':{pin.line}' if pin.line else ''}"


def check_torch_cve(ctx: CheckContext) -> Outcome:
    """DC08: torch pins (or the installed torch) are 2.6.0 or later."""
    try:
        import packaging  # noqa: F401
    except ImportError:
        return Outcome.skipped("packaging is not installed: pip install 'safedl[deploy]'")
    pins = [p for p in project_pins(ctx.files) if p.package == "torch"]
    if not pins:
        try:
            installed = metadata.version("torch")
        except metadata.PackageNotFoundError:
            return Outcome.skipped("no torch requirement in the project and torch is not installed")
        if _affected(installed):
            return Outcome.failed(
                f"no torch pin in the project; the installed torch {installed} is affected by "
                f"{CVE} (fixed in {FIXED})"
            )
        return Outcome.passed(
            f"no torch pin in the project; the installed torch {installed} is not affected by {CVE}"
        )
    locks = [p for p in pins if p.kind == "lock"]
    exact = [p for p in pins if p.kind != "lock" and p.exact]
    ranges = [p for p in pins if p.kind != "lock" and not p.exact]
    judged = locks or exact or ranges
    bad: list[tuple[Pin, str]] = []
    for pin in judged:
        if pin.exact:
            if _affected(pin.exact):
                bad.append((pin, f"pins torch=={pin.exact}, affected by {CVE}"))
        else:
            admitted = admitted_affected(pin.specifier)
            if admitted:
                spec = pin.specifier or "(any version)"
                bad.append(
                    (pin, f"torch{spec} admits releases affected by {CVE} (up to {admitted[-1]})")
                )
    basis = "lock file" if locks else "exact pin" if exact else "version range"
    notes = tuple(
        f"{_where(ctx, p)}: torch{p.specifier or ' (any)'} (not judged: a {basis} decides)"
        for p in pins
        if p not in judged
    )
    if not bad:
        versions = ", ".join(sorted({f"torch{p.specifier or ' (any)'}" for p in judged}))
        return Outcome.passed(f"{versions} ({basis}): not affected by {CVE}", details=notes)
    details = tuple(f"{_where(ctx, p)}: {why}" for p, why in bad) + notes
    only_ranges = all(not p.exact for p, _ in bad)
    return Outcome.failed(
        f"{details[0]} (fixed in {FIXED})",
        details=details,
        locations=tuple(Location(ctx.display(p.source), p.line) for p, _ in bad),
        severity=Severity.HIGH if only_ranges else None,
        severity_reason="a range admits affected releases; a resolver may still pick a fixed one"
        if only_ranges
        else "",
    )


__all__ = ["AFFECTED_RELEASES", "CVE", "admitted_affected", "check_torch_cve"]
