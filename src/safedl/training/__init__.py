"""The one training loop and its artifact-store cache."""

from safedl.training.cache import train_or_load
from safedl.training.loop import LossFn, TrainResult, evaluate, train

__all__ = ["LossFn", "TrainResult", "evaluate", "train", "train_or_load"]
