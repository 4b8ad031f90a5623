"""Render a run record as one self-contained HTML file (Jinja2; plots embedded as data URIs).

Reads the record and the run's plots only; never re-runs work. Viewable offline: no external
scripts, fonts or stylesheets.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from safedl.reporting.markdown_risk import pct, target_probability, victim_training
from safedl.reporting.summary import SCOPE_WORDS, annotate, summarise


def _data_uri(run_dir: Path, rel: str | None) -> str | None:
    if not rel:
        return None
    path = (run_dir / rel).resolve()
    if not path.is_file() or run_dir.resolve() not in path.parents:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(record: dict[str, Any], run_dir: str | Path) -> str:
    """The report as a standalone HTML document."""
    run_dir = Path(run_dir)
    env = Environment(
        loader=PackageLoader("safedl.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.filters["victim_training"] = victim_training
    env.filters["target_probability"] = target_probability
    env.filters["img"] = lambda rel: _data_uri(run_dir, rel)
    stages = record.get("stages", {})
    attacks = stages.get("attacks", {}).get("result", {})
    return env.get_template("report.html.j2").render(
        record=record,
        summary=summarise(record),
        stages=stages,
        baseline=stages.get("baseline", {}).get("result", {}),
        threat=stages.get("threat_model", {}).get("result", {}),
        risk=stages.get("risk", {}).get("result", {}),
        defenses=stages.get("defenses", {}).get("result", {}),
        reevaluation=stages.get("reevaluation", {}).get("result", {}),
        deploy=stages.get("deploy", {}).get("result", {}),
        attacks=attacks,
        entries=annotate(attacks),
        scope_words=SCOPE_WORDS,
    )
