"""Oracle: black-box answers per output mode, query counting and budget."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from safedl.errors import SafeDLError
from safedl.models import ModelAdapter, Oracle, QueryBudgetExceeded


def _adapter() -> ModelAdapter:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 6))
    return ModelAdapter(net, input_shape=(1, 4, 4), num_classes=6)


X = torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(1))


def test_probs_mode_returns_softmax_probabilities() -> None:
    adapter = _adapter()
    out = Oracle(adapter)(X)
    expected = adapter.module(X).softmax(dim=1)
    assert out.shape == (10, 6) and out.dtype == torch.float32
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.allclose(out.sum(dim=1), torch.ones(10), atol=1e-5)


def test_topk_mode_keeps_only_the_k_largest() -> None:
    adapter = _adapter()
    full = Oracle(adapter)(X)
    out = Oracle(adapter, output="topk", k=2)(X)
    assert out.shape == (10, 6)
    assert torch.equal((out > 0).sum(dim=1), torch.full((10,), 2))
    top = full.topk(2, dim=1)
    assert torch.equal(out.gather(1, top.indices), top.values)
    assert torch.equal(out.argmax(dim=1), full.argmax(dim=1))
    assert torch.equal(Oracle(adapter, output="topk", k=6)(X), full)


def test_label_mode_returns_labels_only() -> None:
    adapter = _adapter()
    out = Oracle(adapter, output="label")(X)
    assert out.shape == (10,) and out.dtype == torch.int64
    assert torch.equal(out, adapter.module(X).argmax(dim=1))


@pytest.mark.parametrize("mode", ["probs", "topk", "label"])
def test_answers_carry_no_gradient(mode: str) -> None:
    oracle = Oracle(_adapter(), output=mode, k=3)  # type: ignore[arg-type]
    x = X.clone().requires_grad_(True)
    out = oracle(x)
    assert not out.requires_grad and out.grad_fn is None
    assert not torch.is_inference(out)  # usable later as e.g. distillation targets
    assert out.device.type == "cpu"


def test_queries_are_counted_and_reset() -> None:
    oracle = Oracle(_adapter(), budget=25)
    assert (oracle.queries, oracle.remaining) == (0, 25)
    oracle(X)
    oracle(X[:3])
    assert (oracle.queries, oracle.remaining) == (13, 12)
    oracle.reset()
    assert (oracle.queries, oracle.remaining) == (0, 25)
    assert Oracle(_adapter()).remaining is None


def test_budget_exceeded_raises_and_answers_nothing() -> None:
    oracle = Oracle(_adapter(), output="label", budget=12)
    oracle(X)
    with pytest.raises(QueryBudgetExceeded, match="10 of 12 queries used, 3 more requested") as e:
        oracle(X[:3])
    assert isinstance(e.value, SafeDLError)
    assert (e.value.budget, e.value.used, e.value.requested) == (12, 10, 3)
    assert oracle.queries == 10  # the refused call was not counted
    assert oracle(X[:2]).shape == (2,)  # exactly up to the budget is allowed
    assert oracle.remaining == 0
    with pytest.raises(QueryBudgetExceeded):
        oracle(X[:1])


def test_query_is_counted_before_answering() -> None:
    adapter = _adapter()
    oracle = Oracle(adapter, budget=100)
    with pytest.raises(SafeDLError):
        oracle(torch.rand(4, 1, 5, 5))  # wrong shape fails inside the model call
    assert oracle.queries == 4


def test_attributes_are_read_only_and_model_is_hidden() -> None:
    oracle = Oracle(_adapter(), output="topk", k=2, budget=5)
    assert (oracle.output, oracle.k, oracle.budget, oracle.num_classes) == ("topk", 2, 5, 6)
    assert oracle.input_shape == (1, 4, 4)
    for name in ("output", "k", "budget", "num_classes", "queries"):
        with pytest.raises(AttributeError):
            setattr(oracle, name, 1)
    public = [n for n in dir(oracle) if not n.startswith("_")]
    assert not any(n in public for n in ("adapter", "module", "logits", "model"))


def test_batched_answers_equal_unbatched() -> None:
    adapter = _adapter()
    assert torch.allclose(Oracle(adapter, batch_size=3)(X), Oracle(adapter)(X), atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"output": "logits"}, "output must be one of"),
        ({"output": "topk", "k": 0}, "k must be between 1 and 6"),
        ({"output": "topk", "k": 7}, "k must be between 1 and 6"),
        ({"budget": -1}, "budget must be non-negative"),
        ({"batch_size": 0}, "batch_size must be positive"),
    ],
)
def test_invalid_settings(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Oracle(_adapter(), **kwargs)  # type: ignore[arg-type]
