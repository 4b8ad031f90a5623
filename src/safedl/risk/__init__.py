"""Risk analysis: explainable, bounded scores, recommendations and the verdict."""

from safedl.risk.recommendations import recommend
from safedl.risk.scoring import Factor, Risk, band, headline, score_all, score_attack
from safedl.risk.verdict import untested_threats, verdict

__all__ = [
    "Factor",
    "Risk",
    "band",
    "headline",
    "recommend",
    "score_all",
    "score_attack",
    "untested_threats",
    "verdict",
]
