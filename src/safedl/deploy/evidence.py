"""The one accessor of a run's record for the deployment checks.

Checks never read ``record.json`` themselves: they ask this module for the assessed artifact,
the output policy the threat model implies, the threats, and the measured attack results. When
the record format changes, only this module changes.

Today's record is a JSON dict; ``record["stages"][STAGE]["result"]`` holds each stage's
output: ``threat_model`` (answers, attacker with query output and budgets, threats with id and
level, plan), ``baseline`` (``artifact``: a store key under ``artifacts/``, or ``weights``: a
path; dataset shape and classes), ``attacks`` (a list of results with family, attack, status,
rates as ``{value, low, high, k, n}``, ``extra.queries``, ``model`` — the model under test;
privacy results carry ``auc`` (a number, with ``auc_ci``), extraction results ``fidelity`` and
``queries``) and ``risk``. Measured privacy and extraction evidence is taken from results on
the baseline model, the one whose artifact the record names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safedl.errors import RunError

LEVELS = ("low", "medium", "high", "critical")
_LABEL_ACCESS = frozenset({"labels", "label", "label-only", "label_only", "decision", "hard-label"})


@dataclass(frozen=True)
class Measure:
    """A measured value with its 95% interval where the record has one."""

    value: float
    low: float | None = None
    high: float | None = None

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"
        return f"{self.value:.2f}"


@dataclass(frozen=True)
class AssessedArtifact:
    """The model file the assessment measured."""

    key: str | None
    path: Path
    sha256: str
    extra_hashes: tuple[str, ...] = ()  # other identities the record gives (content hashes)

    @property
    def identities(self) -> frozenset[str]:
        return frozenset((self.sha256, *self.extra_hashes))


@dataclass(frozen=True)
class Threat:
    """A threat of the run's threat model."""

    id: str
    level: str
    title: str = ""

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level) if self.level in LEVELS else 0


@dataclass(frozen=True)
class PlanEntry:
    """An attack the threat model planned, with the threats it tests."""

    name: str
    threat_ids: tuple[str, ...]
    status: str  # "available" or "unavailable"
    reason: str = ""


@dataclass(frozen=True)
class AttackEvidence:
    """One attack result of the record, normalised."""

    attack: str
    family: str
    status: str
    access: str  # "white-box", "scores", "labels", ...
    params: dict[str, Any] = field(default_factory=dict)
    success_rate: Measure | None = None
    robust_accuracy: Measure | None = None
    auc: Measure | None = None  # privacy
    fidelity: Measure | None = None  # extraction
    queries: float | None = None  # queries the attack used in all
    model: str = "baseline"  # the model under test the result was measured on

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def label_only(self) -> bool:
        return self.access.lower() in _LABEL_ACCESS


@dataclass(frozen=True)
class QueryPolicy:
    """What the threat model says the interface gives an attacker."""

    response_content: str | None  # "scores", "top_k", "label"
    query_output: str | None  # attacker's view: "scores" or "labels"
    query_access: str | None  # "none", "internal", "customers", "public"
    rate_limit: str | None  # "strict", "moderate", "none"
    queries_per_example: int | None
    extraction_queries: int | None


def _stage(record: dict[str, Any], name: str) -> dict[str, Any]:
    stage = (record.get("stages") or {}).get(name) or {}
    result = stage.get("result") if isinstance(stage, dict) else None
    return result if isinstance(result, dict) else {}


def _measure(value: Any) -> Measure | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return Measure(float(value))
    if isinstance(value, dict) and isinstance(value.get("value"), int | float):
        low, high = value.get("low"), value.get("high")
        return Measure(
            float(value["value"]),
            float(low) if isinstance(low, int | float) else None,
            float(high) if isinstance(high, int | float) else None,
        )
    return None


def _with_interval(measure: Measure | None, interval: Any) -> Measure | None:
    """``measure`` with a separate ``[low, high]`` (privacy results store ``auc_ci``)."""
    if measure is None or measure.low is not None or not isinstance(interval, list):
        return measure
    if len(interval) == 2 and all(isinstance(v, int | float) for v in interval):
        return Measure(measure.value, float(interval[0]), float(interval[1]))
    return measure


def _queries(entry: dict[str, Any]) -> float | None:
    for source in (entry, entry.get("extra") or {}):
        q = source.get("queries")
        if isinstance(q, int | float) and not isinstance(q, bool):
            return float(q)
        if isinstance(q, dict):
            for key in ("total", "used", "value"):
                if isinstance(q.get(key), int | float):
                    return float(q[key])
    params = entry.get("params") or {}
    q = params.get("max_queries")
    return float(q) if isinstance(q, int | float) and entry.get("family") == "extraction" else None


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


class Evidence:
    """What a run's record says, for the deployment checks."""

    def __init__(self, record: dict[str, Any], run_dir: Path) -> None:
        self.record = record
        self.run_dir = run_dir
        self._artifact: AssessedArtifact | bool | None = False  # False: not computed yet

    @classmethod
    def from_run_dir(cls, run_dir: str | Path) -> Evidence:
        """Read ``RUN_DIR/record.json``.

        Raises:
            RunError: the folder or its record is missing or unreadable.
        """
        path = Path(run_dir)
        record_path = path / "record.json"
        if not path.is_dir():
            raise RunError(f"--run {path}: no such run directory", hint="give a Safe-DL run folder")
        if not record_path.is_file():
            raise RunError(
                f"--run {path}: no record.json here; is this a Safe-DL run directory?",
                hint="run the assessment first (safedl run PROFILE --out DIR) and pass that DIR",
            )
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunError(f"{record_path}: cannot read the run record ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("stages"), dict):
            raise RunError(f"{record_path}: not a Safe-DL run record (no 'stages')")
        return cls(record, path)

    # ── the assessed model ──────────────────────────────────────────────────────────────
    def assessed_artifact(self) -> AssessedArtifact | None:
        """The baseline model file the assessment measured, with its SHA-256 (None if absent)."""
        if self._artifact is False:
            self._artifact = self._find_artifact()
        return self._artifact if isinstance(self._artifact, AssessedArtifact) else None

    def _find_artifact(self) -> AssessedArtifact | None:
        base = _stage(self.record, "baseline")
        key = base.get("artifact")
        path: Path | None = None
        if isinstance(key, str) and key:
            path = self.run_dir / "artifacts" / f"{key}.safetensors"
        elif isinstance(base.get("weights"), str):
            path = Path(base["weights"])
            if not path.is_absolute():
                path = self.run_dir / path
            key = None
        if path is None or not path.is_file():
            return None
        extra = tuple(
            str(base[k]).lower()
            for k in ("sha256", "content_hash", "model_hash", "fingerprint")
            if isinstance(base.get(k), str)
        )
        return AssessedArtifact(
            key if isinstance(key, str) else None, path, sha256_file(path), extra
        )

    def input_shape(self) -> tuple[int, ...] | None:
        """Shape of one input image, [C, H, W]."""
        shape = (_stage(self.record, "baseline").get("dataset") or {}).get("input_shape")
        if isinstance(shape, list) and shape and all(isinstance(s, int) for s in shape):
            return tuple(shape)
        return None

    def num_classes(self) -> int | None:
        classes = (_stage(self.record, "baseline").get("dataset") or {}).get("classes")
        return len(classes) if isinstance(classes, list) and classes else None

    # ── the threat model ────────────────────────────────────────────────────────────────
    def has_threat_model(self) -> bool:
        return bool(_stage(self.record, "threat_model").get("threats") is not None)

    def answers(self) -> dict[str, list[str]]:
        """The threat-model answers, each as a list of values."""
        raw = _stage(self.record, "threat_model").get("answers") or {}
        return {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in raw.items()
        }

    def query_policy(self) -> QueryPolicy:
        """What the threat model says a client gets from the interface."""
        tm = _stage(self.record, "threat_model")
        attacker = tm.get("attacker") or {}
        budgets = attacker.get("budgets") or {}
        answers = self.answers()

        def first(name: str) -> str | None:
            values = answers.get(name)
            return values[0] if values else None

        def integer(value: Any) -> int | None:
            return (
                int(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )

        return QueryPolicy(
            response_content=first("response_content"),
            query_output=attacker.get("query_output"),
            query_access=first("query_access"),
            rate_limit=first("rate_limit"),
            queries_per_example=integer(budgets.get("query_budget")),
            extraction_queries=integer(budgets.get("extraction_queries")),
        )

    def threats(self) -> list[Threat]:
        """The threat model's threats, highest level first."""
        out = []
        for t in _stage(self.record, "threat_model").get("threats") or []:
            if isinstance(t, dict) and isinstance(t.get("id"), str):
                out.append(Threat(t["id"], str(t.get("level", "low")), str(t.get("title", ""))))
        return sorted(out, key=lambda t: -t.rank)

    def plan(self) -> list[PlanEntry]:
        out = []
        for p in _stage(self.record, "threat_model").get("plan") or []:
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                out.append(
                    PlanEntry(
                        p["name"],
                        tuple(str(t) for t in p.get("threat_ids") or ()),
                        str(p.get("status", "")),
                        str(p.get("reason", "")),
                    )
                )
        return out

    # ── measured results ────────────────────────────────────────────────────────────────
    def attacks(self) -> list[AttackEvidence]:
        """Every attack result of the record (any family), normalised."""
        out = []
        for a in _stage(self.record, "attacks").get("attacks") or []:
            if not isinstance(a, dict) or not isinstance(a.get("attack"), str):
                continue
            out.append(
                AttackEvidence(
                    attack=a["attack"],
                    family=str(a.get("family", "")),
                    status=str(a.get("status", "")),
                    access=str(a.get("access", "")),
                    params=dict(a.get("params") or {}),
                    success_rate=_measure(a.get("attack_success_rate")),
                    robust_accuracy=_measure(a.get("robust_accuracy")),
                    auc=_with_interval(_measure(a.get("auc")), a.get("auc_ci")),
                    fidelity=_measure(a.get("fidelity")),
                    queries=_queries(a),
                    model=str(a.get("model") or "baseline"),
                )
            )
        return out

    def assessed_results(self, family: str) -> list[AttackEvidence]:
        """Finished results of ``family`` measured on the assessed (baseline) model."""
        return [
            a for a in self.attacks() if a.family == family and a.done and a.model == "baseline"
        ]

    def membership(self) -> tuple[AttackEvidence | None, AttackEvidence | None]:
        """The strongest finished privacy result with scores and with labels only (by AUC)."""
        done = [a for a in self.assessed_results("privacy") if a.auc]
        scores = [a for a in done if not a.label_only]
        labels = [a for a in done if a.label_only]

        def best(items: list[AttackEvidence]) -> AttackEvidence | None:
            return max(items, key=lambda a: a.auc.value if a.auc else 0.0, default=None)

        return best(scores), best(labels)

    def extraction(self) -> AttackEvidence | None:
        """The finished extraction result with the highest fidelity."""
        done = [a for a in self.assessed_results("extraction") if a.fidelity]
        return max(done, key=lambda a: a.fidelity.value if a.fidelity else 0.0, default=None)

    def risk_levels(self) -> list[tuple[str, str, float]]:
        """(attack, level, score) of each measured risk."""
        out = []
        for r in _stage(self.record, "risk").get("risks") or []:
            if isinstance(r, dict):
                level = r.get("rating") or r.get("level") or r.get("band") or ""
                score = r.get("score")
                out.append(
                    (
                        str(r.get("attack", "")),
                        str(level),
                        float(score) if isinstance(score, int | float) else 0.0,
                    )
                )
        return out


__all__ = [
    "AssessedArtifact",
    "AttackEvidence",
    "Evidence",
    "Measure",
    "PlanEntry",
    "QueryPolicy",
    "Threat",
    "sha256_file",
]
