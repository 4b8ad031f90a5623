"""The stateful detector's ring buffer gives the scores of the plain definition."""

from __future__ import annotations

import torch

from safedl.defenses.detectors.query_similarity import QuerySimilarityDetector


def _naive(stream: torch.Tensor, k: int, buffer: int) -> torch.Tensor:
    """Mean distance to the k nearest of the last ``buffer`` queries, one query at a time."""
    z = stream.flatten(1)
    out = torch.full((len(z),), float("nan"))
    for i in range(k, len(z)):
        past = z[max(0, i - buffer) : i]
        out[i] = (past - z[i]).norm(dim=1).sort().values[:k].mean()
    return out


def test_ring_buffer_matches_the_definition_across_batches() -> None:
    gen = torch.Generator().manual_seed(0)
    stream = torch.rand(230, 1, 8, 8, generator=gen)
    det = QuerySimilarityDetector(float("-inf"), k=5, buffer=40)
    scores = []
    sizes = [1, 7, 33, 50, 1, 64, 74]  # batches smaller and larger than the buffer
    start = 0
    for n in sizes:
        scores.append(det.observe(stream[start : start + n], "c")[0])
        start += n
    got, want = torch.cat(scores), _naive(stream, 5, 40)
    assert start == len(stream)
    assert torch.equal(got.isnan(), want.isnan())
    assert torch.allclose(got.nan_to_num(), want.nan_to_num(), atol=1e-3)
    assert det.clients["c"].count == 40 and det.report("c")["queries"] == 230


def test_a_detection_clears_the_buffer_and_counts() -> None:
    x = torch.rand(1, 1, 8, 8).repeat(12, 1, 1, 1)  # the same image again and again
    det = QuerySimilarityDetector(0.5, k=3, buffer=10)
    _, flags = det.observe(x[:4], "c")
    assert flags.tolist() == [False, False, False, True]  # flagged once 3 earlier queries exist
    assert det.clients["c"].count == 0 and det.report("c")["first_flag_at"] == 4
    _, flags = det.observe(x[4:], "c")
    assert flags.tolist() == [False, False, False, True, False, False, False, True]
    assert det.report("c")["detections"] == 3


def test_apply_calibrates_and_measures_a_one_query_latency(digits_ctx) -> None:  # type: ignore[no-untyped-def]
    from safedl.registry import DEFENSES

    d = DEFENSES.create("query_similarity", {"calibration_queries": 400, "buffer": 200}, seed=0)
    out = d.apply(digits_ctx)
    m = out.metrics
    assert m["calibrated"] and m["calibration_queries"] > 300
    assert m["test_stream_fpr"]["value"] <= 0.02  # target 0.1% on the calibration stream
    assert out.cost.latency_ms > out.cost.baseline_latency_ms > 0
    assert out.cost.latency_ms - out.cost.baseline_latency_ms < 5.0  # one query, not a batch
