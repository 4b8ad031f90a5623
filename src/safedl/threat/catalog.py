"""The threat catalogue: every threat Safe-DL knows, its references and the attacks that test it.

References are MITRE ATLAS technique ids (https://atlas.mitre.org) and the OWASP Machine
Learning Security Top 10 (2023) ids. Attack templates name attacks of the registry; their
parameters may use budget placeholders (``$eps_linf``, ``$eps_l2``, ``$queries`` per example,
``$extraction_queries`` in all, ``$poison_fraction``, ``$patch_size``, ``$steps``, ``$restarts``)
that the plan fills in
from the attacker's budgets. Parameters of attacks that are not registered yet are proposals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from safedl.threat.conditions import ALWAYS, When, when
from safedl.threat.model import Goal

#: OWASP Machine Learning Security Top 10 (2023).
OWASP_ML_TOP10: dict[str, str] = {
    "ML01": "Input Manipulation Attack",
    "ML02": "Data Poisoning Attack",
    "ML03": "Model Inversion Attack",
    "ML04": "Membership Inference Attack",
    "ML05": "Model Theft",
    "ML06": "AI Supply Chain Attacks",
    "ML07": "Transfer Learning Attack",
    "ML08": "Model Skewing",
    "ML09": "Output Integrity Attack",
    "ML10": "Model Poisoning",
}

#: MITRE ATLAS techniques cited by the catalogue.
ATLAS: dict[str, str] = {
    "AML.T0005": "Create Proxy AI Model",
    "AML.T0010": "AI Supply Chain Compromise",
    "AML.T0010.002": "AI Supply Chain Compromise: Data",
    "AML.T0010.003": "AI Supply Chain Compromise: Model",
    "AML.T0011.000": "User Execution: Unsafe AI Artifacts",
    "AML.T0015": "Evade AI Model",
    "AML.T0018": "Manipulate AI Model (backdoor)",
    "AML.T0020": "Poison Training Data",
    "AML.T0024.000": "Infer Training Data Membership",
    "AML.T0024.001": "Invert AI Model",
    "AML.T0024.002": "Extract AI Model",
    "AML.T0029": "Denial of AI Service",
    "AML.T0031": "Erode AI Model Integrity",
    "AML.T0034": "Cost Harvesting",
    "AML.T0040": "AI Model Inference API Access",
    "AML.T0041": "Physical Environment Access",
    "AML.T0042": "Verify Attack",
    "AML.T0043": "Craft Adversarial Data",
    "AML.T0043.000": "Craft Adversarial Data: White-Box Optimization",
    "AML.T0043.001": "Craft Adversarial Data: Black-Box Optimization",
    "AML.T0043.002": "Craft Adversarial Data: Black-Box Transfer",
    "AML.T0043.004": "Craft Adversarial Data: Insert Backdoor Trigger",
    "AML.T0044": "Full AI Model Access",
}

#: Answers under which the attacker wants a specific wrong class (targeted attacks).
TARGETED = when(all={"aims": "targeted"})
#: The model is fine-tuned from a public backbone: poisons may only meet its last layers.
PRETRAINED = when(all={"third_party": "pretrained"})
#: The attacker reads confidence scores (or has the weights, and so can compute them).
SCORES_OR_WEIGHTS = when(
    any={"response_content": ("scores", "top_k"), "weights_exposure": ("on_device", "downloadable")}
)
#: Responses carry the label only: the label-only variants test what is left.
LABELS_ONLY = when(all={"response_content": "label"})


@dataclass(frozen=True)
class AttackTemplate:
    """An attack to plan for a threat, with parameters that may name budget placeholders."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    when: When = ALWAYS


@dataclass(frozen=True)
class ThreatDef:
    """A threat of the catalogue."""

    id: str
    title: str
    goal: Goal
    atlas: tuple[str, ...]
    owasp: tuple[str, ...]
    attacks: tuple[AttackTemplate, ...] = ()
    note: str = ""


def _evasion(name: str, norm: str = "linf", **extra: Any) -> AttackTemplate:
    eps = "$eps_l2" if norm == "l2" else "$eps_linf"
    params: dict[str, Any] = {"eps": eps, **({"norm": "l2"} if norm == "l2" else {}), **extra}
    return AttackTemplate(name, params)


_POISON = {"poison_fraction": "$poison_fraction"}
_BACKDOOR = {"poison_fraction": "$poison_fraction", "target_class": 0}

THREATS: tuple[ThreatDef, ...] = (
    ThreatDef(
        "evasion-white-box",
        "White-box evasion (gradient-based adversarial examples)",
        "integrity",
        ("AML.T0044", "AML.T0043.000", "AML.T0015"),
        ("ML01",),
        (
            _evasion("fgsm"),
            _evasion("pgd", steps="$steps", restarts="$restarts"),
            _evasion("pgd", "l2", steps="$steps"),
            AttackTemplate(
                "pgd", {"eps": "$eps_linf", "steps": "$steps", "targeted": True}, TARGETED
            ),
            _evasion("apgd_ce"),
            _evasion("apgd_dlr"),
            _evasion("cw", "l2"),
            _evasion("deepfool", "l2"),
        ),
    ),
    ThreatDef(
        "evasion-score-based",
        "Query-based evasion using returned scores",
        "integrity",
        ("AML.T0040", "AML.T0043.001", "AML.T0042", "AML.T0015"),
        ("ML01",),
        (
            _evasion("square", max_queries="$queries"),
            _evasion("nes", max_queries="$queries"),
            _evasion("spsa", max_queries="$queries"),
        ),
    ),
    ThreatDef(
        "evasion-decision-based",
        "Query-based evasion using labels only",
        "integrity",
        ("AML.T0040", "AML.T0043.001", "AML.T0042", "AML.T0015"),
        ("ML01",),
        (_evasion("hopskipjump", "l2", max_queries="$queries"),),
    ),
    ThreatDef(
        "evasion-transfer",
        "Transfer evasion from a surrogate model",
        "integrity",
        ("AML.T0005", "AML.T0043.002", "AML.T0015"),
        ("ML01",),
        (_evasion("transfer"),),
    ),
    ThreatDef(
        "physical-evasion",
        "Physical adversarial objects (patches, stickers, printed photos)",
        "integrity",
        ("AML.T0041", "AML.T0043", "AML.T0015"),
        ("ML01",),
        (AttackTemplate("universal_patch", {"size": "$patch_size"}),),
    ),
    ThreatDef(
        "data-poisoning",
        "Training-data poisoning (targeted, clean-label)",
        "integrity",
        ("AML.T0020", "AML.T0010.002"),
        ("ML02",),
        (
            AttackTemplate("feature_collision", _POISON),
            AttackTemplate("gradient_matching", _POISON),
            # Poison Frogs' main setting: transfer learning on a frozen feature extractor.
            AttackTemplate(
                "feature_collision",
                {**_POISON, "victim_training": "last-layer", "fine_tune_epochs": 3},
                PRETRAINED,
            ),
        ),
    ),
    ThreatDef(
        "label-manipulation",
        "Label flipping by whoever assigns labels",
        "availability",
        ("AML.T0020",),
        ("ML02",),
        (AttackTemplate("label_flip", _POISON),),
    ),
    ThreatDef(
        "backdoor",
        "Backdoor planted through poisoned training data",
        "integrity",
        ("AML.T0020", "AML.T0043.004", "AML.T0018"),
        ("ML02", "ML10"),
        (
            AttackTemplate("badnets", _BACKDOOR),
            AttackTemplate("blend", _BACKDOOR),
            AttackTemplate("wanet", _BACKDOOR),
            AttackTemplate("clean_label_backdoor", _BACKDOOR),
        ),
    ),
    ThreatDef(
        "model-poisoning",
        "Model poisoning by whoever trains or updates the model",
        "integrity",
        ("AML.T0018", "AML.T0010.003"),
        ("ML10",),
        (AttackTemplate("badnets", _BACKDOOR), AttackTemplate("wanet", _BACKDOOR)),
    ),
    ThreatDef(
        "feedback-skewing",
        "Model skewing through the feedback loop",
        "integrity",
        ("AML.T0020", "AML.T0031"),
        ("ML08",),
        # A feedback loop updates the deployed model on what comes back: fine-tune the victim.
        (AttackTemplate("label_flip", {**_POISON, "victim_training": "fine-tune"}),),
    ),
    ThreatDef(
        "supply-chain",
        "Compromised third-party model or unsafe (pickled) artifact",
        "integrity",
        ("AML.T0010", "AML.T0010.003", "AML.T0011.000"),
        ("ML06",),
        note="checked by the deployment checklist (safe formats, verified hashes), not simulated",
    ),
    ThreatDef(
        "transfer-learning",
        "Weakness or backdoor inherited from a public pretrained backbone",
        "integrity",
        ("AML.T0010.003", "AML.T0018", "AML.T0043.002"),
        ("ML07",),
        (_evasion("transfer"),),
    ),
    ThreatDef(
        "membership-inference",
        "Membership inference on the training data",
        "privacy",
        ("AML.T0040", "AML.T0024.000"),
        ("ML04",),
        (
            # Scores (or the weights) allow the confidence-based attacks; LiRA trains shadows,
            # and RMIA and the shadow-model attack reuse the same eight from the store.
            AttackTemplate("loss_threshold", {}, SCORES_OR_WEIGHTS),
            AttackTemplate("lira", {"shadows": 8}, SCORES_OR_WEIGHTS),
            AttackTemplate("rmia", {"references": 8}, SCORES_OR_WEIGHTS),
            AttackTemplate("shadow_models", {"shadows": 8}, SCORES_OR_WEIGHTS),
            AttackTemplate("label_only", {}, LABELS_ONLY),
        ),
    ),
    ThreatDef(
        "model-inversion",
        "Model inversion (reconstructing training data)",
        "privacy",
        ("AML.T0040", "AML.T0024.001"),
        ("ML03",),
        (AttackTemplate("mi_face"),),
    ),
    ThreatDef(
        "model-extraction",
        "Model stealing through the query interface",
        "privacy",
        ("AML.T0040", "AML.T0024.002", "AML.T0005"),
        ("ML05",),
        (
            AttackTemplate("knockoff", {"max_queries": "$extraction_queries"}, SCORES_OR_WEIGHTS),
            AttackTemplate(
                "knockoff", {"max_queries": "$extraction_queries", "labels": "hard"}, LABELS_ONLY
            ),
            # Label-only APIs: Jacobian augmentation (the paper's setting; synthetic queries
            # from a few seeds, the stream PRADA detects) beside the hard-label Knockoff thief.
            AttackTemplate("jacobian", {"max_queries": "$extraction_queries"}, LABELS_ONLY),
        ),
    ),
    ThreatDef(
        "weight-theft",
        "Theft of the weights themselves (device, download, insider)",
        "privacy",
        ("AML.T0044",),
        ("ML05",),
        note="a stolen model makes every later attack white-box; checked by the deployment "
        "checklist (encryption, attestation), not simulated",
    ),
    ThreatDef(
        "denial-of-service",
        "Denial of ML service and cost harvesting",
        "availability",
        ("AML.T0029", "AML.T0034"),
        (),
        note="checked by the deployment checklist (quotas, timeouts, autoscaling), not simulated",
    ),
    ThreatDef(
        "output-integrity",
        "Tampering with outputs between the model and the decision",
        "integrity",
        (),
        ("ML09",),
        note="checked by the deployment checklist (signed outputs, attestation), not simulated",
    ),
)

_BY_ID = {t.id: t for t in THREATS}


def threat_def(threat_id: str) -> ThreatDef:
    """The catalogue entry of ``threat_id`` (KeyError for an id that is not in it)."""
    return _BY_ID[threat_id]


__all__ = ["ATLAS", "OWASP_ML_TOP10", "THREATS", "AttackTemplate", "ThreatDef", "threat_def"]
