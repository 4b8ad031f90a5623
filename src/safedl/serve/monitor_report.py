"""Summarise a server's request log: traffic, flags per detector and client, score plots.

Reads the JSON lines :mod:`safedl.serve.request_log` writes. Reports requests and images by
client and status, how many requests each detector flagged for each client, the clients at or
over ``min_flags`` flags (with the request, and the number of queries, by which each
detector first flagged them: how fast it caught an attack run through the server), and each
detector's score distribution (a histogram PNG per detector, scores of flagged and unflagged
requests apart). Given the clients whose queries were a benign stream, it adds each
detector's false-positive rate on them (Wilson 95% CI) and, for every other client, within
how many queries each detector first flagged it (or never). Flagged inputs kept by the server
(``flagged_dir``) can be exported as an ``npz`` dataset (``x``: images, ``y``: the labels the
model answered — not ground truth; the images' sha256 in a ``.sha256.json`` sidecar), readable
as ``npz:PATH`` data: label them, or add them to a clean set as ``x_test``/``y_test``, and
assess them with ``safedl run``.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safedl.errors import DataError
from safedl.evaluation.metrics import rate


@dataclass
class MonitorSummary:
    """What a log says."""

    requests: int = 0
    bad_lines: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_client: Counter[str] = field(default_factory=Counter)
    images: Counter[str] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    flags: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    first_flag: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    first_flag_query: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    #: Requests each detector evaluated, per client.
    seen: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    scores: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    flagged_inputs: dict[str, int] = field(default_factory=dict)

    def over(self, min_flags: int) -> list[dict[str, Any]]:
        """Clients flagged at least ``min_flags`` times by some detector."""
        out = []
        for det, counts in sorted(self.flags.items()):
            for client, n in counts.most_common():
                if n >= min_flags:
                    out.append(
                        {
                            "client": client,
                            "detector": det,
                            "flags": n,
                            "requests": self.by_client[client],
                            "first_flag_at_request": self.first_flag[det].get(client),
                            "first_flag_within_queries": self.first_flag_query[det].get(client),
                        }
                    )
        return out

    def benign(self, clients: list[str]) -> dict[str, Any]:
        """Each detector's false-positive rate on the requests of ``clients`` (a benign
        stream), as a share of the requests it evaluated, with its Wilson 95% interval."""
        out = {}
        for det in sorted(self.seen):
            n = sum(self.seen[det].get(c, 0) for c in clients)
            k = sum(self.flags[det].get(c, 0) for c in clients) if det in self.flags else 0
            if n:
                out[det] = rate(k, n).to_dict()
        return {"clients": clients, "false_positive_rate": out}

    def detection(self, benign: list[str]) -> list[dict[str, Any]]:
        """For every other client (an attack run through the server) and detector: within
        how many of its queries the detector first flagged it (None: never)."""
        rows = []
        for det in sorted(self.seen):
            for client in sorted(self.seen[det]):
                if client in benign:
                    continue
                rows.append(
                    {
                        "client": client,
                        "detector": det,
                        "queries": self.queries[client],
                        "flags": self.flags[det].get(client, 0) if det in self.flags else 0,
                        "first_flag_within_queries": self.first_flag_query[det].get(client)
                        if det in self.first_flag_query
                        else None,
                    }
                )
        return rows

    def to_dict(self, min_flags: int = 1, benign: list[str] | None = None) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if benign:
            extra = {"benign": self.benign(benign), "detection": self.detection(benign)}
        return {
            **extra,
            "requests": self.requests,
            "unreadable_lines": self.bad_lines,
            "by_status": dict(self.by_status),
            "requests_by_client": dict(self.by_client),
            "images_by_client": dict(self.images),
            "decisions": dict(self.decisions),
            "flags": {d: dict(c) for d, c in self.flags.items()},
            "clients_over_threshold": self.over(min_flags),
            "flagged_images": len(self.flagged_inputs),
        }


def _add_scores(summary: MonitorSummary, name: str, result: dict[str, Any]) -> None:
    bucket = summary.scores.setdefault(name, {"flagged": [], "clean": []})
    side = "flagged" if result.get("flagged") else "clean"
    for s in result.get("scores") or []:
        if isinstance(s, (int, float)) and math.isfinite(s):
            bucket[side].append(float(s))


def read_log(path: str | Path) -> MonitorSummary:
    """Parse a request log (unreadable lines are counted, not fatal)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"{p}: cannot read the request log ({exc.strerror})") from None
    s = MonitorSummary()
    for line in text.splitlines():
        try:
            e = json.loads(line)
            client = str(e["client"])
        except (ValueError, KeyError, TypeError):
            s.bad_lines += int(bool(line.strip()))
            continue
        s.requests += 1
        s.by_client[client] += 1
        s.by_status[str(e.get("status"))] += 1
        s.decisions[str(e.get("decision"))] += 1
        s.queries[client] += int(e.get("n", 0))  # images the model saw (refused included)
        if e.get("status") == 200:
            s.images[client] += int(e.get("n", 0))
        fired = False
        for name, result in (e.get("detectors") or {}).items():
            if not isinstance(result, dict):
                continue
            _add_scores(s, name, result)
            s.seen[name][client] += 1
            if result.get("flagged"):
                fired = True
                s.flags[name][client] += 1
                s.first_flag[name].setdefault(client, s.by_client[client])
                s.first_flag_query[name].setdefault(client, s.queries[client])
        if fired:
            for h, label in zip(e.get("inputs") or [], e.get("prediction") or [], strict=False):
                s.flagged_inputs.setdefault(str(h), int(label))
    if s.requests == 0 and s.bad_lines:
        raise DataError(f"{p}: no request log lines (is this a safedl serve log?)")
    return s


def plot_scores(summary: MonitorSummary, out_dir: str | Path) -> list[Path]:
    """One histogram PNG per detector: scores of clean and flagged requests."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, sides in sorted(summary.scores.items()):
        if not any(sides.values()):
            continue
        fig, ax = plt.subplots(figsize=(5, 3))
        for side, color in (("clean", "tab:blue"), ("flagged", "tab:red")):
            if sides[side]:
                ax.hist(sides[side], bins=40, alpha=0.6, color=color, label=side)
        ax.set_xlabel(f"{name} score")
        ax.set_ylabel("queries")
        ax.legend()
        fig.tight_layout()
        target = out / f"scores-{name}.png"
        fig.savefig(target, dpi=100)
        plt.close(fig)
        files.append(target)
    return files


def export_flagged(summary: MonitorSummary, flagged_dir: str | Path, out: str | Path) -> int:
    """Write the flagged images kept in ``flagged_dir`` to an ``npz``; returns how many."""
    src = Path(flagged_dir)
    xs, ys, hashes = [], [], []
    for h, label in sorted(summary.flagged_inputs.items()):
        f = src / f"{h}.npy"
        if len(h) == 64 and all(c in "0123456789abcdef" for c in h) and f.is_file():
            xs.append(np.load(f, allow_pickle=False))
            ys.append(label)
            hashes.append(h)
    if not xs:
        raise DataError(
            f"{src}: none of the {len(summary.flagged_inputs)} flagged inputs are kept there",
            hint="set flagged_dir in the serve config so the server keeps flagged inputs",
        )
    np.savez(out, x=np.stack(xs).astype(np.float32), y=np.array(ys, dtype=np.int64))
    Path(f"{out}.sha256.json").write_text(json.dumps(hashes), encoding="utf-8")
    return len(xs)


__all__ = ["MonitorSummary", "export_flagged", "plot_scores", "read_log"]
