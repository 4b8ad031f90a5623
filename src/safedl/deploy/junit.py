"""JUnit XML output: one test case per check (fail → <failure>, skip and manual → <skipped>)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from safedl.deploy.report import DeployReport
from safedl.deploy.types import Status


def to_junit(report: DeployReport) -> str:
    """The report as a JUnit XML document (one <testsuite> of every check)."""
    suites = ET.Element("testsuites", name="safedl deploy check")
    counts = report.counts()
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="safedl-deploy",
        tests=str(len(report.results)),
        failures=str(counts["fail"]),
        errors="0",
        skipped=str(counts["skip"] + counts["manual"]),
        time=f"{report.seconds:.3f}",
        timestamp=report.started,
    )
    for r in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"safedl.deploy.{r.family}",
            name=f"{r.id} {r.title}",
            time=f"{r.seconds:.3f}",
        )
        body = "\n".join([r.evidence, *r.details, f"fix: {r.fix}"])
        if r.status is Status.FAIL:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"[{r.severity.value}] {r.evidence}"[:1000],
                type=r.severity.value,
            )
            failure.text = body
        elif r.status in (Status.SKIP, Status.MANUAL):
            prefix = "manual: " if r.status is Status.MANUAL else ""
            skipped = ET.SubElement(case, "skipped", message=(prefix + r.evidence)[:1000])
            skipped.text = body
        else:
            ET.SubElement(case, "system-out").text = body
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


__all__ = ["to_junit"]
