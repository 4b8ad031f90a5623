"""Deployment checks: is this model, its code, its container and its endpoint safe to ship?

A checklist as data (:data:`CHECKS`, ids DC01…) with automated checks — static scans of model
files, source, requirements and Dockerfiles; bounded probes of a live endpoint; checks tied to
a run's record — and manual items the threat model calls for. Results render as a rich table
(CLI), JSON, SARIF 2.1.0, JUnit XML and Markdown.

::

    from safedl.deploy import run_checks, render_markdown
    report = run_checks(["model/", "src/"], run_dir="runs/demo-1234", url="http://127.0.0.1:8000",
                        api_key=os.environ["MODEL_API_KEY"])
    report.worst()           # Severity.HIGH, or None when nothing failed
    report.to_sarif()        # for code scanning
    print(render_markdown(report))

Optional dependencies (``pip install 'safedl[deploy]'``): picklescan, model-signing, pip-audit,
httpx; each is imported only when a check needs it.
"""

from safedl.deploy.checks_table import ATLAS_MITIGATIONS, CHECKS, CheckSpec, check
from safedl.deploy.evidence import Evidence
from safedl.deploy.markdown import render_markdown
from safedl.deploy.options import DeployOptions, load_options, validate_options
from safedl.deploy.report import DeployReport
from safedl.deploy.runner import run_checks
from safedl.deploy.types import CheckResult, Location, Method, Outcome, Severity, Status

__all__ = [
    "ATLAS_MITIGATIONS",
    "CHECKS",
    "CheckResult",
    "CheckSpec",
    "DeployOptions",
    "DeployReport",
    "Evidence",
    "Location",
    "Method",
    "Outcome",
    "Severity",
    "Status",
    "check",
    "load_options",
    "render_markdown",
    "run_checks",
    "validate_options",
]
