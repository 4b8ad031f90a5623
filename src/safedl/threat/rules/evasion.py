"""Rules of the evasion threats: white-box, score-based, decision-based, transfer, physical."""

from __future__ import annotations

from safedl.threat.conditions import Rule, when
from safedl.threat.rules.helpers import adjust, raise_

WB, SCORE, DECISION = "evasion-white-box", "evasion-score-based", "evasion-decision-based"
TRANSFER, PHYSICAL = "evasion-transfer", "physical-evasion"

_INPUT = {"input_control": ("digital", "physical")}
_DIGITAL = {"input_control": "digital"}
_EXPOSED = {"weights_exposure": ("on_device", "downloadable")}
_SCORES = {"response_content": ("scores", "top_k")}

EVASION_RULES: tuple[Rule, ...] = (
    raise_(
        "EV-WB-WEIGHTS",
        WB,
        4,
        when(all={**_EXPOSED, **_INPUT}),
        "the weights can be obtained and the attacker influences the inputs: gradient attacks "
        "with unlimited tries",
    ),
    raise_(
        "EV-WB-INSIDER",
        WB,
        3,
        when(all={"adversaries": "insiders", **_INPUT}),
        "insiders can read the weights and craft inputs with gradients",
    ),
    raise_(
        "EV-WB-OUTSOURCED",
        WB,
        2,
        when(all={"training": "outsourced", **_INPUT}),
        "the third party that trains the model holds the weights",
    ),
    raise_(
        "EV-SCORE-PUBLIC",
        SCORE,
        4,
        when(all={"query_access": "public", **_SCORES, **_DIGITAL}),
        "anyone can query and read scores, which estimate gradients",
    ),
    raise_(
        "EV-SCORE-ACCOUNTS",
        SCORE,
        3,
        when(all={"query_access": "customers", **_SCORES, **_DIGITAL}),
        "account holders can query and read scores",
    ),
    raise_(
        "EV-SCORE-INTERNAL",
        SCORE,
        2,
        when(all={"query_access": "internal", **_SCORES, **_DIGITAL}),
        "internal users can query and read scores",
    ),
    raise_(
        "EV-LABEL-PUBLIC",
        DECISION,
        3,
        when(all={"query_access": "public", "response_content": "label", **_DIGITAL}),
        "anyone can query; the decision alone suffices for decision-based attacks",
    ),
    raise_(
        "EV-LABEL-ACCOUNTS",
        DECISION,
        2,
        when(
            all={
                "query_access": ("customers", "internal"),
                "response_content": "label",
                **_DIGITAL,
            }
        ),
        "authenticated users can query and see decisions",
    ),
    adjust(
        "EV-QUERY-STRICT-LIMIT",
        (SCORE, DECISION),
        -1,
        when(all={"rate_limit": "strict"}),
        "a strict per-client rate limit starves query-hungry attacks",
    ),
    raise_(
        "EV-TRANSFER-ARCH",
        TRANSFER,
        3,
        when(all={"architecture_public": "public", **_INPUT}),
        "a public architecture or backbone gives a close surrogate to craft examples on",
    ),
    raise_(
        "EV-TRANSFER-FAMILY",
        TRANSFER,
        2,
        when(all={"architecture_public": "family", **_INPUT}),
        "a known model family gives a usable surrogate",
    ),
    raise_(
        "EV-TRANSFER-DATA",
        TRANSFER,
        2,
        when(all=_INPUT, any={"data_sources": ("public_datasets", "scraped")}),
        "similar public data lets the attacker train a surrogate",
    ),
    raise_(
        "EV-TRANSFER-PROXY",
        TRANSFER,
        3,
        when(all={"query_access": "public", **_INPUT}),
        "public queries can label data for a proxy model (AML.T0005)",
    ),
    raise_(
        "EV-PHYSICAL",
        PHYSICAL,
        4,
        when(all={"input_control": "physical"}),
        "the attacker can change what the camera sees: patches, stickers, printed photos",
    ),
    adjust(
        "EV-AIMS-NO-ERRORS",
        (WB, SCORE, DECISION, TRANSFER, PHYSICAL),
        -1,
        when(none={"aims": ("misclassify", "targeted")}),
        "no expected attacker wants wrong decisions",
    ),
    adjust(
        "EV-CAPABILITY-LOW",
        (PHYSICAL, TRANSFER),
        -1,
        when(all={"capability": "low"}),
        "physical and transfer attacks need expertise that a low-capability attacker lacks",
    ),
    adjust(
        "EV-CAPABILITY-HIGH",
        (TRANSFER, DECISION, PHYSICAL),
        1,
        when(all={"capability": "high"}),
        "an expert attacker makes query-efficient and physical attacks work",
    ),
    adjust(
        "EV-CRIMINAL-MOTIVE",
        (SCORE, DECISION),
        1,
        when(all={"adversaries": ("criminals", "activists"), "query_access": "public"}),
        "motivated outsiders with public access probe the interface persistently",
    ),
)

__all__ = ["EVASION_RULES"]
