"""Typed results: what an attack measured on a model under test, and the validity findings.

Produced by :mod:`safedl.assess`, stored in the run record, read by the risk stage and the
reports. Each entry names the model it was measured on and is told apart by ``family``.
"""

from safedl.results.entries import (
    AttackEntry,
    EntryBase,
    EvasionEntry,
    ExtractionEntry,
    PoisoningEntry,
    PrivacyEntry,
    RateModel,
    Scope,
    parse_entry,
)
from safedl.results.findings import Finding, unreliable_because

__all__ = [
    "AttackEntry",
    "EntryBase",
    "EvasionEntry",
    "ExtractionEntry",
    "Finding",
    "PoisoningEntry",
    "PrivacyEntry",
    "RateModel",
    "Scope",
    "parse_entry",
    "unreliable_because",
]
