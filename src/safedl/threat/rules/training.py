"""Rules of the training-time threats: poisoning, labels, backdoors, model and supply chain."""

from __future__ import annotations

from safedl.threat.conditions import Rule, when
from safedl.threat.rules.helpers import adjust, impact, raise_

POISON, LABELS, BACKDOOR = "data-poisoning", "label-manipulation", "backdoor"
MODEL, SKEW, SUPPLY, TL = "model-poisoning", "feedback-skewing", "supply-chain", "transfer-learning"

_OPEN_DATA = ("scraped", "user_contributed", "feedback_loop", "public_datasets")
_TRIGGER = {"input_control": ("digital", "physical")}

TRAINING_RULES: tuple[Rule, ...] = (
    raise_(
        "TR-POISON-USER-DATA",
        POISON,
        4,
        when(any={"data_sources": ("user_contributed", "feedback_loop")}),
        "users contribute training data, directly or through the feedback loop",
    ),
    raise_(
        "TR-POISON-SCRAPED",
        POISON,
        3,
        when(all={"data_sources": "scraped"}),
        "scraped web data can be planted by anyone who controls a page",
    ),
    raise_(
        "TR-POISON-PUBLIC-DATA",
        POISON,
        2,
        when(all={"data_sources": "public_datasets"}),
        "public datasets are downloaded from sources outside our control",
    ),
    raise_(
        "TR-POISON-FEDERATED",
        POISON,
        3,
        when(all={"training": "federated"}),
        "federated clients train on data nobody vets",
    ),
    raise_(
        "TR-POISON-VETTED-ONLY",
        POISON,
        1,
        when(none={"data_sources": _OPEN_DATA}),
        "only vetted sources: poisoning needs an insider or a compromised store",
    ),
    adjust(
        "TR-POISON-INSIDER",
        (POISON, LABELS),
        1,
        when(all={"adversaries": "insiders"}),
        "insiders can edit training data and labels",
    ),
    adjust(
        "TR-PROVENANCE-VERIFIED",
        (POISON, SUPPLY, TL),
        -1,
        when(
            all={"provenance": "verified"},
            none={"data_sources": ("user_contributed", "feedback_loop")},
        ),
        "verified hashes stop swapped datasets and model files (new user data is not covered)",
    ),
    adjust(
        "TR-PROVENANCE-NONE",
        (POISON, BACKDOOR, SUPPLY),
        1,
        when(all={"provenance": "none"}),
        "nothing would reveal a swapped dataset or model file",
    ),
    raise_(
        "TR-LABELS-OUTSIDERS",
        LABELS,
        4,
        when(any={"labeling": ("crowd", "users")}),
        "crowd workers or users assign labels",
    ),
    raise_(
        "TR-LABELS-AUTOMATIC",
        LABELS,
        2,
        when(all={"labeling": "automatic"}),
        "automatic labels follow heuristics or behaviour an attacker can steer",
    ),
    raise_(
        "TR-LABELS-VENDOR",
        LABELS,
        1,
        when(all={"labeling": "vendor"}),
        "an external vendor's labellers assign labels",
    ),
    raise_(
        "TR-BACKDOOR-OPEN-DATA",
        BACKDOOR,
        3,
        when(
            all=_TRIGGER,
            any={"data_sources": ("scraped", "user_contributed", "feedback_loop")},
        ),
        "outsiders contribute training data and can show the trigger at inference time",
    ),
    raise_(
        "TR-BACKDOOR-LABELS",
        BACKDOOR,
        3,
        when(all=_TRIGGER, any={"labeling": ("crowd", "users")}),
        "outsiders who label can pair a trigger with their chosen class",
    ),
    raise_(
        "TR-BACKDOOR-INSIDER",
        BACKDOOR,
        2,
        when(all={"adversaries": "insiders", **_TRIGGER}),
        "insiders can plant a trigger in the training set",
    ),
    adjust(
        "TR-CAPABILITY-LOW",
        (BACKDOOR, POISON, MODEL),
        -1,
        when(all={"capability": "low"}),
        "a low-capability attacker rarely crafts stealthy poisons",
    ),
    adjust(
        "TR-CAPABILITY-HIGH",
        (BACKDOOR, POISON),
        1,
        when(all={"capability": "high"}),
        "an expert attacker crafts clean-label poisons that pass review",
    ),
    raise_(
        "TR-MODEL-OUTSOURCED",
        MODEL,
        4,
        when(all={"training": "outsourced"}),
        "a third party trains the model and can implant anything (BadNets' threat model)",
    ),
    raise_(
        "TR-MODEL-FEDERATED",
        MODEL,
        4,
        when(all={"training": "federated"}),
        "federated clients send model updates that can carry a backdoor",
    ),
    raise_(
        "TR-MODEL-INSIDER",
        MODEL,
        2,
        when(all={"adversaries": "insiders"}, none={"provenance": "verified"}),
        "insiders can replace the model file and nothing verifies it",
    ),
    raise_(
        "TR-SKEW-FEEDBACK",
        SKEW,
        3,
        when(all={"data_sources": "feedback_loop"}),
        "production inputs flow back into training and can be steered over time",
    ),
    adjust(
        "TR-SKEW-USER-LABELS",
        (SKEW,),
        1,
        when(all={"labeling": "users"}),
        "users' own flags and labels feed the loop",
    ),
    raise_(
        "TR-SUPPLY-PICKLE",
        SUPPLY,
        4,
        when(all={"third_party": "pickled"}),
        "loading a pickle runs whatever code it holds",
    ),
    impact(
        "TR-SUPPLY-PICKLE-IMPACT",
        (SUPPLY,),
        5,
        when(all={"third_party": "pickled"}),
        "arbitrary code execution compromises the host, not only the model",
    ),
    raise_(
        "TR-SUPPLY-PRETRAINED",
        SUPPLY,
        2,
        when(all={"third_party": "pretrained"}),
        "third-party weights enter the system",
    ),
    adjust(
        "TR-SUPPLY-STATE-ACTOR",
        (SUPPLY, MODEL),
        1,
        when(all={"adversaries": "nation_state"}),
        "well-resourced groups compromise supply chains",
    ),
    raise_(
        "TR-TL-PRETRAINED",
        TL,
        3,
        when(all={"third_party": "pretrained"}),
        "a public backbone's weaknesses and backdoors survive fine-tuning",
    ),
)

__all__ = ["TRAINING_RULES"]
