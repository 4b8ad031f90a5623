"""The built-in demo walks the whole loop: threat model, attacks, risk, a defense, re-evaluation.

This is the README's first command (``safedl run``), run as it ships: its threat model plans
the score-based and transfer evasion attacks, model stealing, membership inference and
inversion; the risk stage recommends a defense for the top risk (model stealing → output
hardening), the run applies it and re-attacks the hardened model, label-only attacks
included; the report shows the before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safedl.pipeline.run import run_profile
from safedl.profiles import load_profile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")  # a module one is rebuilt when xdist interleaves
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return run_profile(load_profile("demo"), out=tmp_path_factory.mktemp("demo") / "run")


def test_the_demo_plans_evasion_stealing_and_membership(demo) -> None:  # type: ignore[no-untyped-def]
    attacks = demo.record.result("attacks")["attacks"]
    families = {a["family"] for a in attacks if a["status"] == "done"}
    assert families == {"evasion", "extraction", "privacy"}
    assert {"knockoff", "loss_threshold", "lira"} <= {a["attack"] for a in attacks}


def test_the_demo_applies_the_recommended_defense_and_re_attacks_it(demo) -> None:  # type: ignore[no-untyped-def]
    defenses = demo.record.result("defenses")
    assert defenses["chosen_by"]["defense"] == "output_hardening"
    assert defenses["chosen_by"]["risks"][0].startswith("knockoff")
    (model,) = demo.record.result("reevaluation")["models"]
    ran = {(a["attack"], a["adaptive"], a["status"]) for a in model["attacks"]}
    assert ("label_only", True, "done") in ran and ("hopskipjump", True, "done") in ran
    assert ("square", False, "not_applicable") in ran
    hard = [a for a in model["attacks"] if a["attack"] == "knockoff" and a["status"] == "done"]
    assert hard and all(a["params"]["labels"] == "hard" for a in hard)
    threats = {row["threat"]: row for row in model["privacy"]}
    assert {"membership inference", "model stealing"} <= set(threats)
    assert model["mitigation_claim"]["allowed"] is True
    removed = {t["id"] for t in model["posture_after"]["removed"]}
    assert "evasion-score-based" in removed


def test_the_demo_report_shows_the_before_and_after(demo) -> None:  # type: ignore[no-untyped-def]
    report = Path(demo.report_path).read_text()
    assert "## Defenses and their adaptive re-evaluation" in report
    assert "Applied **output_hardening**" in report
    assert "| output_hardening | model stealing |" in report
