"""Output hardening — return less: the top-1 label, the top-k, rounded or tempered scores.

Papers: confidence masking as a countermeasure to model inversion (Fredrikson et al., CCS
2015, rounding), membership inference (Shokri et al., S&P 2017, top-k and rounding) and
extraction (Tramèr et al., USENIX Security 2016, label-only APIs); and why it is not enough:
Choquette-Choo et al., "Label-Only Membership Inference Attacks", ICML 2021.
Threat: black-box attackers reading the model's answers (scores).
Parameters: ``mode`` (``label``, ``topk``, ``round``, ``temperature``), ``k``, ``decimals``,
``temperature``.
Reports: the policy, the Oracle factory that applies it (:meth:`OutputHardening.oracles`), the
measured latency of a hardened answer beside a plain one, and the rule below as data.

**Never called mitigated on score attacks alone.** Hardening the output defeats the attacks
that need scores by construction — they no longer apply — while the same leakage stays open
to attacks that need only labels: label-only membership inference and hard-label model
extraction are about as strong (Choquette-Choo et al. 2021; the ART stealing demo's
argmax-trained thieves). So the defense's metrics list, under ``mitigation_requires``, the
attacks that must have run against the hardened model before any risk may be called
mitigated, and :func:`mitigation_claim` checks a list of result entries against that rule.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext, DefenseCost
from safedl.defenses.cost import probe_images
from safedl.defenses.output.policy import OutputPolicy, hardened_oracles
from safedl.models import Oracle, OracleFactory, local_oracles, model_fingerprint
from safedl.registry import DEFENSES, PluginConfig
from safedl.store import content_key

#: Attacks that must have run against an output-hardened model before a risk is called
#: mitigated: label-only membership inference and hard-label extraction.
MITIGATION_REQUIRES: tuple[dict[str, Any], ...] = (
    {"family": "privacy", "attack": "label_only"},
    {"family": "extraction", "attack": "knockoff", "labels": "hard"},
)

RULE = (
    "output hardening removes the scores that score-based attacks need, not the leakage: a "
    "risk is called mitigated only when label-only membership inference (label_only) and "
    "hard-label extraction (knockoff with labels: hard) were run against the hardened model too"
)


def mitigation_claim(model_id: str, results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """May a risk be called mitigated by the output defense whose model id is ``model_id``?

    Args:
        model_id: The hardened model's id (``DefendedModel.model_id``).
        results: Result entries (``to_dict()`` of privacy and extraction results), any model.

    Returns:
        ``{"allowed": bool, "missing": [requirements not met], "rule": text}``: allowed only
        when every requirement of :data:`MITIGATION_REQUIRES` has a finished result measured
        on ``model_id``.
    """
    done = [r for r in results if r.get("model_id") == model_id and r.get("status") == "done"]

    def met(req: Mapping[str, Any]) -> bool:
        for r in done:
            if r.get("family") != req["family"] or r.get("attack") != req["attack"]:
                continue
            labels = req.get("labels")
            if labels is None or (r.get("params") or {}).get("labels") == labels:
                return True
            if labels == "hard" and r.get("oracle_output") == "label":
                return True
        return False

    missing = [dict(req) for req in MITIGATION_REQUIRES if not met(req)]
    return {"allowed": not missing, "missing": missing, "rule": RULE}


def oracle_latency_ms(
    oracles: Mapping[str, Oracle], probe: Any, repeats: int = 5
) -> dict[str, float]:
    """Median milliseconds per image of each Oracle's answers, timed in alternating rounds."""
    names = list(oracles)
    for name in names:
        oracles[name](probe[:16])  # warm-up
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            start = time.perf_counter()
            oracles[name](probe)
            times[name].append(time.perf_counter() - start)
    return {name: 1000.0 * statistics.median(t) / len(probe) for name, t in times.items()}


@DEFENSES.register(
    "output_hardening",
    family="output",
    access="model",
    paper="Fredrikson et al., CCS 2015; Shokri et al., S&P 2017; Tramèr et al., USENIX "
    "Security 2016 (countermeasures); Choquette-Choo et al., ICML 2021 (their limit)",
)
class OutputHardening(Defense):
    """Return the top-1 label, the top-k, rounded or tempered scores instead of all scores."""

    kind: ClassVar[Literal["output"]] = "output"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(output="label")
    answers = ("privacy", "extraction")
    evaluated_by = (("knockoff", {"max_queries": 1000}), ("loss_threshold", {}))

    class Config(PluginConfig):
        """Output hardening parameters."""

        mode: Literal["label", "topk", "round", "temperature"] = Field(
            "label", description="What the model returns."
        )
        k: int = Field(1, ge=1, description="Probabilities kept (topk).")
        decimals: int = Field(2, ge=0, le=8, description="Decimals kept (round).")
        temperature: float = Field(1.0, gt=0, description="Softmax temperature (temperature).")

    config: Config

    @property
    def policy(self) -> OutputPolicy:
        c = self.config
        return OutputPolicy(mode=c.mode, k=c.k, decimals=c.decimals, temperature=c.temperature)

    def oracles(self, inner: OracleFactory) -> OracleFactory:
        """Every Oracle of ``inner`` with this policy applied: what black-box attacks get."""
        return hardened_oracles(inner, self.policy)

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        policy = self.policy
        plain = local_oracles(ctx.baseline, ctx.batch_size)
        hardened = self.oracles(plain)
        latency = oracle_latency_ms(
            {"hardened": hardened(output="probs"), "plain": plain(output="probs")},
            probe_images(ctx),
        )
        model_id = content_key(
            "model",
            {
                "network": model_fingerprint(ctx.baseline),
                "defense": self.plugin_name,
                "policy": policy.to_dict(),
            },
        )
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=ctx.baseline,
            model_id=model_id,
            adaptive=AdaptiveNeeds(output=policy.adaptive_output),
            cost=DefenseCost(
                train_seconds=0.0,
                latency_ms=latency["hardened"],
                baseline_latency_ms=latency["plain"],
                baseline_train_seconds=ctx.baseline_train_seconds,
            ),
            oracles=hardened,
            metrics={
                "policy": policy.to_dict(),
                "mitigation_requires": [dict(r) for r in MITIGATION_REQUIRES],
                "mitigation_rule": RULE,
                "latency_measured": "answers of the hardened vs. the plain probability Oracle",
            },
        )


__all__ = [
    "MITIGATION_REQUIRES",
    "RULE",
    "OutputHardening",
    "mitigation_claim",
    "oracle_latency_ms",
]
