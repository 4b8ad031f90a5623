"""Oracle: what a black-box attacker gets — query answers, never the model.

An Oracle answers queries with exactly the access the threat model grants, counts every
queried image and enforces a query budget. Black-box attacks (score-based and decision-based
evasion, membership inference, model extraction) receive only an Oracle, so the access they
have is enforced by construction. Answers never carry gradients.

Output modes and the access they grant:

* ``"probs"`` — *scores*: the full softmax probability vector ``[N, K]``.
* ``"topk"`` — *partial scores*: the ``k`` largest probabilities, every other entry zeroed,
  ``[N, K]`` (like an API that returns its top-k classes with confidences).
* ``"label"`` — *labels only* (decision-based): the predicted class ``[N]`` as int64.
"""

from __future__ import annotations

from typing import Literal, Protocol

import torch
from torch import Tensor

from safedl.errors import SafeDLError
from safedl.models.adapter import ModelAdapter

OracleOutput = Literal["probs", "topk", "label"]
OUTPUTS: tuple[str, ...] = ("probs", "topk", "label")


class QueryBudgetExceeded(SafeDLError):
    """A black-box attack asked an :class:`Oracle` for more queries than its budget allows.

    Attributes:
        budget: The oracle's budget.
        used: Queries answered before the refused call.
        requested: Images in the refused call.
    """

    def __init__(self, budget: int, used: int, requested: int) -> None:
        super().__init__(
            f"query budget exhausted: {used} of {budget} queries used, {requested} more requested",
            hint="raise the attack's query budget or query fewer images",
        )
        self.budget = budget
        self.used = used
        self.requested = requested


class Oracle:
    """Black-box access to a model: answers queries, counts them, enforces a budget.

    Args:
        adapter: The model to query (kept private; the oracle exposes no gradients, weights
            or logits).
        output: What each query returns: ``"probs"``, ``"topk"`` or ``"label"``.
        k: Number of probabilities kept in ``"topk"`` mode (``1 <= k <= num_classes``).
        budget: Maximum number of images that may be queried in total; ``None`` for no limit.
        batch_size: Images per forward pass when answering.

    Raises:
        ValueError: Unknown output mode, ``k`` out of range, negative budget or batch size < 1.

    Example:
        >>> oracle = Oracle(adapter, output="label", budget=10_000)
        >>> labels = oracle(x)        # [N] int64; oracle.queries == len(x)
    """

    def __init__(
        self,
        adapter: ModelAdapter,
        *,
        output: OracleOutput = "probs",
        k: int = 1,
        budget: int | None = None,
        batch_size: int = 512,
    ) -> None:
        if output not in OUTPUTS:
            raise ValueError(f"oracle output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        if not 1 <= k <= adapter.num_classes:
            raise ValueError(f"k must be between 1 and {adapter.num_classes}, got {k}")
        if budget is not None and budget < 0:
            raise ValueError(f"budget must be non-negative or None, got {budget}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._adapter = adapter
        self._output: OracleOutput = output
        self._k = int(k)
        self._budget = None if budget is None else int(budget)
        self._batch_size = int(batch_size)
        self._queries = 0

    @property
    def output(self) -> OracleOutput:
        """The output mode: ``"probs"``, ``"topk"`` or ``"label"``."""
        return self._output

    @property
    def k(self) -> int:
        """Probabilities kept per answer in ``"topk"`` mode."""
        return self._k

    @property
    def budget(self) -> int | None:
        """Total queries allowed, or ``None`` for no limit."""
        return self._budget

    @property
    def num_classes(self) -> int:
        """Number of classes of the model."""
        return self._adapter.num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one query image."""
        return self._adapter.input_shape

    @property
    def queries(self) -> int:
        """Images queried so far."""
        return self._queries

    @property
    def remaining(self) -> int | None:
        """Queries left in the budget, or ``None`` for no limit."""
        return None if self._budget is None else self._budget - self._queries

    def reset(self) -> None:
        """Set the query count back to zero."""
        self._queries = 0

    def __call__(self, x: Tensor) -> Tensor:
        """Answer a batch of queries.

        The queries are counted before they are answered; a call that would exceed the budget
        is refused as a whole and answers nothing.

        Args:
            x: ``[N, C, H, W]`` images in ``[0, 1]``.

        Returns:
            ``[N, K]`` float32 probabilities (``"probs"``, ``"topk"``) or ``[N]`` int64 labels
            (``"label"``), on CPU, without gradients.

        Raises:
            QueryBudgetExceeded: ``queries + N`` would exceed the budget.
        """
        n = len(x)
        if self._budget is not None and self._queries + n > self._budget:
            raise QueryBudgetExceeded(self._budget, self._queries, n)
        self._queries += n
        x = x.detach()
        if self._output == "label":
            return self._adapter.predict(x, self._batch_size)
        probs = self._adapter.predict_proba(x, self._batch_size)
        if self._output == "topk" and self._k < probs.shape[1]:
            top = probs.topk(self._k, dim=1).indices
            mask = torch.zeros_like(probs, dtype=torch.bool).scatter_(1, top, True)
            probs = probs.masked_fill(~mask, 0.0)
        return probs

    def __repr__(self) -> str:
        return (
            f"Oracle(output={self._output!r}, k={self._k}, budget={self._budget}, "
            f"queries={self._queries})"
        )


class OracleFactory(Protocol):
    """Builds the Oracle a black-box attack receives; the caller chooses which one.

    The default answers from a local model (:func:`local_oracles`). A caller can swap it to put
    an output defense (top-1, rounded scores) or a remote endpoint behind every black-box
    attack without touching any attack. ``budget=None`` gives an uncounted oracle for
    measurement (clean and adversarial predictions), never handed to the attack itself.
    """

    def __call__(
        self, *, output: OracleOutput, budget: int | None = None, k: int = 1
    ) -> Oracle: ...


class LocalOracles:
    """The default factory: Oracles answering from a local ``adapter`` (picklable)."""

    def __init__(self, adapter: ModelAdapter, batch_size: int = 512) -> None:
        self.adapter = adapter
        self.batch_size = batch_size

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        return Oracle(self.adapter, output=output, k=k, budget=budget, batch_size=self.batch_size)


def local_oracles(adapter: ModelAdapter, batch_size: int = 512) -> OracleFactory:
    """The default factory: Oracles answering from ``adapter``."""
    return LocalOracles(adapter, batch_size)


__all__ = [
    "OUTPUTS",
    "LocalOracles",
    "Oracle",
    "OracleFactory",
    "OracleOutput",
    "QueryBudgetExceeded",
    "local_oracles",
]
