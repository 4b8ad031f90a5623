"""The checks table: unique ids, real functions, known references, and every row exercised."""

from __future__ import annotations

import inspect
import re

from safedl.deploy import ATLAS_MITIGATIONS, CHECKS, DeployReport, Method, Status
from safedl.deploy.checks_table import CHECKS_BY_ID, check
from safedl.threat.catalog import OWASP_ML_TOP10


def test_ids_are_unique_and_sequential() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) == len(CHECKS_BY_ID)
    assert ids == [f"DC{i:02d}" for i in range(1, len(ids) + 1)]
    assert check("DC07").title.startswith("torch.load")


def test_every_row_names_a_function_that_exists() -> None:
    for spec in CHECKS:
        fn = spec.resolve()
        assert callable(fn), spec.id
        assert list(inspect.signature(fn).parameters) == ["ctx"], spec.id
        assert fn.__doc__ and spec.id in fn.__doc__, f"{spec.id}: docstring names its id"


def test_references_are_known_atlas_and_owasp_ids() -> None:
    for spec in CHECKS:
        assert spec.atlas, f"{spec.id} cites an ATLAS mitigation"
        for ref in spec.atlas:
            assert re.fullmatch(r"AML\.M\d{4}", ref) and ref in ATLAS_MITIGATIONS, (spec.id, ref)
        for ref in spec.owasp:
            assert ref in OWASP_ML_TOP10, (spec.id, ref)
        assert spec.criterion and spec.fix and spec.title, spec.id


def test_probes_run_before_the_rate_limit_burst() -> None:
    probes = [c.id for c in CHECKS if c.method is Method.PROBE]
    assert probes[-1] == "DC24" and "rate" in check("DC24").title.lower()


def test_every_row_is_exercised(unsafe_report: DeployReport, fixed_report: DeployReport) -> None:
    """Each automated row concluded (pass or fail, not skip) in an end-to-end run."""
    for spec in CHECKS:
        statuses = {unsafe_report.result(spec.id).status, fixed_report.result(spec.id).status}
        if spec.method is Method.MANUAL:
            assert statuses == {Status.MANUAL}, spec.id
        else:
            assert statuses & {Status.PASS, Status.FAIL}, spec.id
