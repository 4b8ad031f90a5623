"""``safedl attacks describe``: paper, family, access, norms, threat, every parameter, reports."""

from __future__ import annotations

import pytest

from safedl.attacks.docs import parameters
from safedl.cli.app import main
from safedl.registry import ATTACKS


def describe(capsys: pytest.CaptureFixture[str], name: str, width: int = 200) -> str:
    from safedl.cli import console

    old = console.out.width
    console.out.width = width  # one table row per parameter, no wrapping
    try:
        with pytest.raises(SystemExit) as exc:
            main(["attacks", "describe", name])
    finally:
        console.out.width = old
    assert exc.value.code in (0, None)
    return capsys.readouterr().out


def test_describe_prints_every_part_of_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    out = describe(capsys, "square")
    head = out.splitlines()[0]
    assert "square" in head and "family evasion" in head and "access scores" in head
    assert "norms linf, l2" in head
    assert "Square Attack: random search" in out
    assert "paper" in out and "Andriushchenko" in out and "ECCV 2020" in out
    assert "threat" in out and "L∞ or L2 ball of radius" in out
    assert "reports" in out and 'extra["queries"]' in out
    assert "vertical-stripe initialisation" in out  # the notes paragraph
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    for p in parameters(ATTACKS.get("square").config_model):
        assert p.name in rows, f"parameter {p.name} missing"
        assert p.type in rows[p.name] and p.default in rows[p.name]
        assert p.description[:40] in rows[p.name]
    assert '"linf" | "l2"' in rows["norm"] and "1000" in rows["max_queries"]
    assert "Parameters:" not in out  # the generated section is shown as the table only


@pytest.mark.parametrize("name", ["pgd", "transfer", "badnets", "gradient_matching"])
def test_describe_every_family(capsys: pytest.CaptureFixture[str], name: str) -> None:
    info = ATTACKS.get(name)
    out = describe(capsys, name)
    assert f"family {info.family}" in out and f"access {info.access}" in out
    for p in parameters(info.config_model):
        assert p.name in out
    assert "reports" in out and "paper" in out and "threat" in out


def test_describe_unknown_attack_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["attacks", "describe", "squre"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "did you mean 'square'" in err and "Traceback" not in err
