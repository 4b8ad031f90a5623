"""DC02: scan pickle-based model files with picklescan, which reads the pickle opcodes and
lists the globals a load would import, without executing anything.

picklescan (https://github.com/mmaitre314/picklescan) marks globals as dangerous
(``os.system``, ``builtins.exec``, ``subprocess``...), innocuous (torch's tensor rebuilders,
``collections.OrderedDict``) or suspicious (anything else, e.g. a custom class: loading it
imports and runs that module).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.targets import PICKLE_MODEL_SUFFIXES
from safedl.deploy.types import Location, Outcome, Severity

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'safedl[deploy]' (picklescan)"


def _scanner() -> Any:
    try:
        from picklescan import scanner
    except ImportError:
        return None
    return scanner


def scan_file(path: Path) -> tuple[list[str], list[str], str]:
    """(dangerous globals, suspicious globals, error) of one file, never executing it."""
    scanner = _scanner()
    if scanner is None:
        raise ModuleNotFoundError(INSTALL_HINT)
    try:
        result = scanner.scan_file_path(str(path))
    except Exception as exc:  # a scanner failing on hostile input must not stop the run
        return [], [], f"{type(exc).__name__}: {exc}"
    dangerous = sorted(
        {f"{g.module}.{g.name}" for g in result.globals if g.safety.value == "dangerous"}
    )
    suspicious = sorted(
        {f"{g.module}.{g.name}" for g in result.globals if g.safety.value == "suspicious"}
    )
    return dangerous, suspicious, "the pickle could not be fully parsed" if result.scan_err else ""


def check_pickle_scan(ctx: CheckContext) -> Outcome:
    """DC02: no pickle-based model file imports a dangerous or unknown global."""
    files = [p for p in ctx.files.models if p.suffix.lower() in PICKLE_MODEL_SUFFIXES]
    if not files:
        return Outcome.skipped("no pickle-based model files to scan")
    if _scanner() is None:
        return Outcome.skipped(f"picklescan is not installed: {INSTALL_HINT}")
    details: list[str] = []
    bad: list[Path] = []
    worst_dangerous = False
    for path in files:
        dangerous, suspicious, error = scan_file(path)
        name = ctx.display(path)
        if dangerous:
            worst_dangerous = True
            details.append(f"{name}: dangerous imports {', '.join(dangerous)}")
        if error:
            worst_dangerous = True
            details.append(f"{name}: {error}; treat it as unsafe")
        if suspicious:
            details.append(f"{name}: unknown imports {', '.join(suspicious)}")
        if dangerous or error or suspicious:
            bad.append(path)
        log.debug("picklescan %s: dangerous=%s suspicious=%s", name, dangerous, suspicious)
    if not bad:
        return Outcome.passed(
            f"picklescan found only known tensor globals in {len(files)} file(s) (not executed)"
        )
    return Outcome.failed(
        f"picklescan flags {len(bad)} of {len(files)} pickle file(s): " + "; ".join(details),
        details=tuple(details),
        locations=tuple(Location(ctx.display(p)) for p in bad),
        severity=None if worst_dangerous else Severity.MEDIUM,
        severity_reason=""
        if worst_dangerous
        else "only unknown (not known-dangerous) imports: loading them still runs their modules",
    )


__all__ = ["check_pickle_scan", "scan_file"]
