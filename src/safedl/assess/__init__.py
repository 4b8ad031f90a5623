"""Attack a model under test: the one service every attacking caller goes through.

* :class:`ModelUnderTest` — the model as attacks see it (white-box adapter, black-box Oracle
  factory, training recipe), identified by a content hash;
* :func:`assess_model` — run an attack plan on it; typed, model-tagged entries, one resumable
  unit of work per attack;
* :func:`assess_one` / :func:`run_spec` — one attack alone, with the validity checks that apply;
* :func:`worst_case` — worst case per budget from the stored per-example outcomes.
"""

from safedl.assess.service import assess_model, unit_key
from safedl.assess.standalone import AttackReport, assess_adapter, assess_one, prepare, run_spec
from safedl.assess.target import ModelUnderTest, TrainingRecipe, check_finite
from safedl.assess.units import AssessSettings
from safedl.assess.worst_case import worst_case

__all__ = [
    "AssessSettings",
    "AttackReport",
    "ModelUnderTest",
    "TrainingRecipe",
    "assess_adapter",
    "assess_model",
    "assess_one",
    "check_finite",
    "prepare",
    "run_spec",
    "unit_key",
    "worst_case",
]
