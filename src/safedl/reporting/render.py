"""Write reports of a run directory from its record alone (no work is re-run)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from safedl.atomic import atomic_write_text
from safedl.reporting.html import render_html
from safedl.reporting.markdown import render_markdown


def write_reports(record: dict[str, Any], run_dir: Path, formats: Iterable[str]) -> list[str]:
    """Write ``report.<fmt>`` for each of ``md`` and ``html`` requested; return the names."""
    written = []
    for fmt in formats:
        if fmt == "md":
            atomic_write_text(run_dir / "report.md", render_markdown(record))
        elif fmt == "html":
            atomic_write_text(run_dir / "report.html", render_html(record, run_dir))
        else:
            continue
        written.append(f"report.{fmt}")
    return written
