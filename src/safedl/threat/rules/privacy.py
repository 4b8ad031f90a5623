"""Rules of the privacy, theft, availability and output threats."""

from __future__ import annotations

from safedl.threat.conditions import Rule, when
from safedl.threat.rules.helpers import adjust, raise_

MEMBERSHIP, INVERSION, EXTRACTION = "membership-inference", "model-inversion", "model-extraction"
THEFT, DOS, OUTPUT = "weight-theft", "denial-of-service", "output-integrity"

_OUTSIDE = {"query_access": ("public", "customers")}
_SCORES = {"response_content": ("scores", "top_k")}
_EXPOSED = {"weights_exposure": ("on_device", "downloadable")}

PRIVACY_RULES: tuple[Rule, ...] = (
    raise_(
        "PR-MI-SCORES",
        MEMBERSHIP,
        4,
        when(all={**_OUTSIDE, **_SCORES}),
        "outsiders can query and read confidence scores",
    ),
    raise_(
        "PR-MI-LABELS",
        MEMBERSHIP,
        2,
        when(all={**_OUTSIDE, "response_content": "label"}),
        "label-only membership inference works with enough queries",
    ),
    raise_(
        "PR-MI-WHITE-BOX",
        MEMBERSHIP,
        4,
        when(all=_EXPOSED),
        "with the weights, membership inference needs no queries at all",
    ),
    raise_(
        "PR-MI-INTERNAL",
        MEMBERSHIP,
        2,
        when(all={"query_access": "internal"}),
        "internal users can query the model",
    ),
    raise_(
        "PR-INV-SCORES",
        INVERSION,
        3,
        when(all={**_OUTSIDE, **_SCORES}),
        "confidence scores guide a reconstruction of class representatives",
    ),
    raise_(
        "PR-INV-WHITE-BOX",
        INVERSION,
        3,
        when(all=_EXPOSED),
        "with the weights, inversion can follow gradients",
    ),
    adjust(
        "PR-INV-IDENTITY-CLASSES",
        (INVERSION,),
        1,
        when(all={"modality": ("faces", "medical")}),
        "a reconstructed class representative can reveal a person or a condition",
    ),
    adjust(
        "PR-NO-DATA-AIM",
        (MEMBERSHIP, INVERSION),
        -1,
        when(none={"aims": "learn_data"}),
        "no expected attacker wants the training data",
    ),
    adjust(
        "PR-CAPABILITY-LOW",
        (INVERSION, EXTRACTION),
        -1,
        when(all={"capability": "low"}),
        "inversion and stealing take ML expertise",
    ),
    raise_(
        "PR-EXTRACT-SCORES",
        EXTRACTION,
        4,
        when(all={**_OUTSIDE, **_SCORES}),
        "scores make distillation into a copy cheap",
    ),
    raise_(
        "PR-EXTRACT-LABELS",
        EXTRACTION,
        3,
        when(all={**_OUTSIDE, "response_content": "label"}),
        "labels alone suffice to train a copy with enough queries",
    ),
    adjust(
        "PR-QUERY-STRICT-LIMIT",
        (EXTRACTION, MEMBERSHIP),
        -1,
        when(all={"rate_limit": "strict"}),
        "a strict per-client rate limit caps what one client can collect",
    ),
    adjust(
        "PR-COMPETITORS",
        (EXTRACTION, THEFT),
        1,
        when(all={"adversaries": "competitors"}),
        "competitors want the model",
    ),
    adjust(
        "PR-NO-STEAL-AIM",
        (EXTRACTION, THEFT),
        -1,
        when(none={"aims": "steal"}),
        "no expected attacker wants the model",
    ),
    raise_(
        "PR-THEFT-DOWNLOAD",
        THEFT,
        5,
        when(all={"weights_exposure": "downloadable"}),
        "the weights can simply be downloaded",
    ),
    raise_(
        "PR-THEFT-DEVICE",
        THEFT,
        4,
        when(all={"weights_exposure": "on_device"}),
        "weights shipped to devices can be extracted from the app or firmware",
    ),
    raise_(
        "PR-THEFT-INSIDER",
        THEFT,
        2,
        when(all={"adversaries": "insiders"}),
        "insiders can copy the model file",
    ),
    raise_(
        "AV-DOS-PUBLIC-API",
        DOS,
        3,
        when(all={"deployment": "cloud_api", "query_access": ("public", "customers")}),
        "an endpoint reachable from outside can be flooded or run up in cost",
    ),
    adjust(
        "AV-NO-RATE-LIMIT",
        (DOS,),
        1,
        when(all={"rate_limit": "none"}),
        "no per-client limit throttles a flood",
    ),
    adjust(
        "AV-DISRUPT-AIM",
        (DOS,),
        1,
        when(all={"aims": "disrupt"}),
        "attackers are expected to want disruption",
    ),
    raise_(
        "OUT-DEVICE",
        OUTPUT,
        2,
        when(any={"deployment": ("edge", "mobile")}),
        "on a device in attackers' hands, the output can be altered after the model",
    ),
    raise_(
        "OUT-ON-PREMISE-INSIDER",
        OUTPUT,
        2,
        when(all={"deployment": "on_premise", "adversaries": "insiders"}),
        "insiders on the serving host can alter outputs",
    ),
)

__all__ = ["PRIVACY_RULES"]
