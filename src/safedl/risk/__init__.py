"""Risk analysis: explainable, bounded scores and recommendations."""

from safedl.risk.recommendations import recommend
from safedl.risk.scoring import Factor, Risk, band, score_all, score_attack

__all__ = ["Factor", "Risk", "band", "recommend", "score_all", "score_attack"]
