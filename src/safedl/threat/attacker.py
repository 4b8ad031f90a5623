"""From answers to the attacker model (NIST AI 100-2 terms), by table.

Goals, knowledge and capabilities come from rule rows (:class:`Rule` with ``target`` set to
``goal:…``, ``knowledge:…`` or ``capability:…``); the strongest level of knowledge whose rule
fires wins. Budgets come from lookup tables keyed by answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from safedl.threat.conditions import Rule, When, when
from safedl.threat.model import KNOWLEDGE_ORDER, Budgets
from safedl.threat.question import Answers

_EXPOSED = {"weights_exposure": ("on_device", "downloadable")}
_OUTSIDE_QUERIES = {"query_access": ("internal", "customers", "public")}


def _facet(rule_id: str, target: str, cond: When, because: str) -> Rule:
    return Rule(rule_id, cond, because, target=target)


FACET_RULES: tuple[Rule, ...] = (
    # Goals (NIST: integrity violation, availability breakdown, privacy compromise).
    _facet(
        "GO-INTEGRITY",
        "goal:integrity",
        when(any={"aims": ("misclassify", "targeted")}),
        "attackers want wrong decisions",
    ),
    _facet(
        "GO-AVAILABILITY-AIM",
        "goal:availability",
        when(all={"aims": "disrupt"}),
        "attackers want to disrupt the service",
    ),
    _facet(
        "GO-AVAILABILITY-LABELS",
        "goal:availability",
        when(any={"labeling": ("crowd", "users")}),
        "outsiders who label can degrade the whole model (indiscriminate poisoning)",
    ),
    _facet(
        "GO-PRIVACY-AIM",
        "goal:privacy",
        when(any={"aims": ("learn_data", "steal")}),
        "attackers want the training data or the model",
    ),
    _facet(
        "GO-PRIVACY-DATA",
        "goal:privacy",
        when(all={"data_sensitivity": ("personal", "regulated"), **_OUTSIDE_QUERIES}),
        "personal data sits behind a query interface",
    ),
    # Knowledge, strongest first.
    _facet(
        "KN-WEIGHTS",
        "knowledge:white-box",
        when(all=_EXPOSED),
        "the weights can be obtained from devices or downloads",
    ),
    _facet(
        "KN-INSIDER",
        "knowledge:white-box",
        when(all={"adversaries": "insiders"}),
        "insiders can read the weights",
    ),
    _facet(
        "KN-OUTSOURCED",
        "knowledge:white-box",
        when(all={"training": "outsourced"}),
        "a third party that trains the model holds its weights",
    ),
    _facet(
        "KN-ARCHITECTURE",
        "knowledge:grey-box",
        when(all={"architecture_public": ("public", "family")}),
        "the architecture or backbone is known",
    ),
    _facet(
        "KN-PUBLIC-DATA",
        "knowledge:grey-box",
        when(any={"data_sources": ("public_datasets", "scraped")}),
        "the training data (or data like it) is public",
    ),
    _facet(
        "KN-SCORES",
        "knowledge:black-box-scores",
        when(all={**_OUTSIDE_QUERIES, "response_content": ("scores", "top_k")}),
        "queries return scores",
    ),
    # Capabilities.
    _facet(
        "CAP-QUERY",
        "capability:query_access",
        when(all=_OUTSIDE_QUERIES),
        "the attacker can query the model",
    ),
    _facet(
        "CAP-QUERY-OFFLINE",
        "capability:query_access",
        when(all=_EXPOSED),
        "a copy of the weights answers unlimited queries offline",
    ),
    _facet(
        "CAP-INPUT",
        "capability:input_control",
        when(all={"input_control": "digital"}),
        "the attacker submits images pixel for pixel",
    ),
    _facet(
        "CAP-PHYSICAL",
        "capability:physical_input",
        when(all={"input_control": "physical"}),
        "the attacker changes what the camera sees",
    ),
    _facet(
        "CAP-DATA-OPEN",
        "capability:training_data_control",
        when(any={"data_sources": ("scraped", "user_contributed", "feedback_loop")}),
        "outsiders contribute training data",
    ),
    _facet(
        "CAP-DATA-INSIDER",
        "capability:training_data_control",
        when(all={"adversaries": "insiders"}),
        "insiders can edit the training data",
    ),
    _facet(
        "CAP-DATA-FEDERATED",
        "capability:training_data_control",
        when(all={"training": "federated"}),
        "federated clients own their training data",
    ),
    _facet(
        "CAP-LABELS",
        "capability:label_control",
        when(any={"labeling": ("crowd", "users")}),
        "outsiders assign labels",
    ),
    _facet(
        "CAP-LABELS-INSIDER",
        "capability:label_control",
        when(all={"adversaries": "insiders"}),
        "insiders can change labels",
    ),
    _facet(
        "CAP-MODEL-TRAINER",
        "capability:model_control",
        when(any={"training": ("outsourced", "federated")}),
        "someone outside our control trains or updates the model",
    ),
    _facet(
        "CAP-MODEL-SUPPLY",
        "capability:model_control",
        when(any={"third_party": ("pretrained", "pickled")}, none={"provenance": "verified"}),
        "unverified third-party models enter the system",
    ),
)

#: ε per modality: (L∞, L2), in the [0, 1] pixel scale.
EPS_BY_MODALITY: dict[str, tuple[float, float]] = {
    "natural": (8 / 255, 0.5),
    "medical": (4 / 255, 0.5),
    "faces": (8 / 255, 1.0),
    "documents": (8 / 255, 1.0),
    "small_grayscale": (0.1, 1.5),
    "other": (8 / 255, 0.5),
}
#: Share of the training set an attacker can poison, per answer.
POISON_FRACTION: dict[tuple[str, str], float] = {
    ("data_sources", "user_contributed"): 0.05,
    ("data_sources", "feedback_loop"): 0.05,
    ("data_sources", "scraped"): 0.01,
    ("data_sources", "public_datasets"): 0.01,
    ("labeling", "crowd"): 0.1,
    ("labeling", "users"): 0.1,
    ("training", "federated"): 0.1,
    ("adversaries", "insiders"): 0.01,
}
#: A compromised store or an insider can always alter a few samples.
POISON_FLOOR = 0.005
#: rate limit → (queries per adversarial example, total queries of one client).
QUERY_BUDGET: dict[str, tuple[int, int]] = {
    "strict": (1_000, 1_000),
    "moderate": (5_000, 10_000),
    "none": (10_000, 100_000),
}
#: (steps, restarts, patch side / image side) per attacker capability.
STRENGTH: dict[str, tuple[int, int, float]] = {
    "low": (10, 1, 0.2),
    "medium": (20, 1, 0.25),
    "high": (50, 2, 0.3),
}


def fired_facets(answers: Mapping[str, tuple[str, ...]]) -> list[Rule]:
    """The facet rules whose condition holds for ``answers`` (effective answers)."""
    return [r for r in FACET_RULES if r.when.matches(answers)]


def strongest_knowledge(rules: list[Rule]) -> str:
    """The strongest level of knowledge granted by ``rules`` (black-box-labels when none)."""
    granted = {r.target.split(":", 1)[1] for r in rules if r.target.startswith("knowledge:")}
    return next((k for k in KNOWLEDGE_ORDER if k in granted), "black-box-labels")


def budgets(answers: Answers, *, query_access: bool) -> Budgets:
    """The attacker's budgets from effective ``answers``."""
    modality = answers["modality"][0]
    linf, l2 = EPS_BY_MODALITY[modality]
    reasons = [f"ε from modality '{modality}': L∞ {linf:.4f}, L2 {l2}"]
    hits = {(q, v): f for (q, v), f in POISON_FRACTION.items() if v in answers.get(q, ())}
    poison = max(hits.values(), default=POISON_FLOOR)
    if hits:
        worst = max(hits, key=lambda k: (hits[k], k))
        reasons.append(f"poison fraction {poison:g} from {worst[0]} = {worst[1]}")
    else:
        reasons.append(f"poison fraction {poison:g}: no outside data, an insider-sized floor")
    rate = answers["rate_limit"][0]
    queries, total = QUERY_BUDGET[rate] if query_access else (0, 0)
    reasons.append(
        f"{queries:,} queries per example, {total:,} in all, from rate_limit = {rate}"
        if query_access
        else "no query budget: nobody outside can query"
    )
    capability = answers["capability"][0]
    steps, restarts, patch = STRENGTH[capability]
    reasons.append(f"{steps} steps, {restarts} restart(s), patch side {patch:g} from capability")
    return Budgets(
        eps={"linf": round(linf, 4), "l2": l2},
        poison_fraction=poison,
        query_budget=queries,
        extraction_queries=total,
        patch_size=patch,
        steps=steps,
        restarts=restarts,
        reasons=reasons,
    )


__all__ = [
    "EPS_BY_MODALITY",
    "FACET_RULES",
    "POISON_FRACTION",
    "QUERY_BUDGET",
    "STRENGTH",
    "budgets",
    "fired_facets",
    "strongest_knowledge",
]
