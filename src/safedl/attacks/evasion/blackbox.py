"""Shared base of black-box evasion attacks: access through an Oracle only, queries counted.

A black-box plugin subclasses :class:`BlackBoxAttack` and implements one method,
:meth:`BlackBoxAttack.attack`, which receives an :class:`ExampleOracle` — never the model —
and may implement :meth:`~safedl.attacks.evasion.base.EvasionAttack.prepare`, which receives
the same kind of view over the whole data set. The base asks the caller's
:class:`~safedl.models.OracleFactory` (default: :func:`~safedl.models.local_oracles` over the
model) for one Oracle per call, with the output the plugin's threat grants
(:meth:`BlackBoxAttack.query_output`: ``"probs"`` for score-based attacks, ``"label"`` for
decision-based ones) and a budget of ``max_queries`` per example shared by ``prepare`` and the
batches. Unless ``screen_clean`` is off it spends one query per example on the clean input and
hands the plugin only the examples that are not yet adversarial (a misclassified point costs one
query and stops, as in the Square Attack reference code). Clean and adversarial predictions are
measured through an uncounted label Oracle of the same factory, so a black-box attack runs with
``model=None`` against any factory (a remote endpoint, an output defense).

Every query is charged to the example it belongs to; ``result.extra["queries"]`` reports the
mean, median, maximum and total per-example counts and the budget.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar, final

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.errors import ConfigError
from safedl.models import ModelAdapter, Oracle, OracleFactory, QueryBudgetExceeded, local_oracles
from safedl.models.oracle import OracleOutput

#: Elements of one batch of queries built at a time by the gradient estimators (memory bound).
CHUNK_ELEMENTS = 1 << 24
#: Probabilities are floored here before taking logs (log-probability margins equal logit
#: margins, so score-based losses match the logit losses of the papers).
PROB_FLOOR = 1e-30


class BlackBoxConfig(EvasionConfig):
    """Parameters every black-box evasion attack shares."""

    max_queries: int = Field(
        1000,
        ge=1,
        le=10_000_000,
        description="Query budget per example, the first query (on the clean input) included.",
    )


def objective(probs: Tensor, labels: Tensor, targeted: bool) -> tuple[Tensor, Tensor]:
    """The loss a score-based attacker minimises, and whether each answer is a success.

    Untargeted: the margin ``log p_y - max_{j != y} log p_j`` (the logit margin of Carlini &
    Wagner; negative once misclassified). Targeted: cross-entropy ``-log p_t``.

    Args:
        probs: ``[N, K]`` probabilities.
        labels: ``[N]`` true classes (untargeted) or target classes (targeted).
        targeted: Which of the two losses.

    Returns:
        ``(loss [N], success [N] bool)``.
    """
    logp = probs.clamp_min(PROB_FLOOR).log()
    own = logp.gather(1, labels[:, None]).squeeze(1)
    if targeted:
        return -own, probs.argmax(1) == labels
    others = logp.scatter(1, labels[:, None], -torch.inf).amax(1)
    return own - others, probs.argmax(1) != labels


def check_estimator_budget(samples: int, max_queries: int, pair: str) -> None:
    """Config check shared by the antithetic estimators (NES, SPSA); ValueError when invalid."""
    if samples % 2:
        raise ValueError(f"samples must be even (antithetic pairs {pair}), got {samples}")
    if max_queries < samples + 2:
        raise ValueError(
            f"max_queries ({max_queries}) must be at least samples + 2 "
            f"({samples + 2}): one clean query, then samples + 1 per iteration"
        )


def estimate_gradient(
    oracle: ExampleOracle,
    x: Tensor,
    owner: Tensor,
    labels: Tensor,
    targeted: bool,
    draw: Callable[[tuple[int, ...]], Tensor],
    scale: float,
    pairs: int,
) -> Tensor:
    """Antithetic finite-difference estimate of the gradient of :func:`objective`'s loss.

    ``sum_k (L(x + scale u_k) - L(x - scale u_k)) u_k / (2 scale pairs)`` with directions
    ``u_k = draw(shape)`` (Gaussian for NES, Rademacher for SPSA); queries are clipped to
    [0, 1]. Costs ``2 * pairs`` queries per example, charged to ``owner``.
    """
    n = len(x)
    chunk = max(1, min(pairs, CHUNK_ELEMENTS // max(2 * n * x[0].numel(), 1)))
    grad = torch.zeros_like(x)
    done = 0
    while done < pairs:
        k = min(chunk, pairs - done)
        u = draw((n, k, *x.shape[1:]))
        xs = torch.cat([x[:, None] + scale * u, x[:, None] - scale * u], 1).clamp(0.0, 1.0)
        probs = oracle(xs.flatten(0, 1), owner.repeat_interleave(2 * k))
        loss, _ = objective(probs, labels.repeat_interleave(2 * k), targeted)
        loss = loss.view(n, 2 * k)
        diff = (loss[:, :k] - loss[:, k:]).view(n, k, *([1] * (x.dim() - 1)))
        grad += (diff * u).sum(1)
        done += k
    return grad / (2 * scale * pairs)


class ExampleOracle:
    """A per-example view of an :class:`Oracle`: charges each query to its example.

    Plugins receive this instead of the model. Queries are answered on the device of the
    images; each example may spend at most ``budget`` queries (the clean query included).

    Args:
        oracle: The budgeted oracle (kept private).
        budget: Queries allowed per example.
        counts: Shared per-example counters of the whole batch.
        index: Batch positions of the examples this view covers.
    """

    def __init__(self, oracle: Oracle, budget: int, counts: Tensor, index: Tensor) -> None:
        self._oracle = oracle
        self._budget = budget
        self._counts = counts
        self._index = index
        self._known: tuple[Tensor, Tensor] | None = None

    @property
    def output(self) -> OracleOutput:
        """``"probs"`` or ``"label"``: what each query returns."""
        return self._oracle.output

    @property
    def num_classes(self) -> int:
        """Number of classes of the model."""
        return self._oracle.num_classes

    @property
    def budget(self) -> int:
        """Queries allowed per example."""
        return self._budget

    def used(self) -> Tensor:
        """``[n]`` queries spent so far by each example of this view."""
        return self._counts[self._index]

    def remaining(self) -> Tensor:
        """``[n]`` queries each example of this view may still spend."""
        return self._budget - self.used()

    def known(self) -> tuple[Tensor, Tensor]:
        """The clean batch and the labels the oracle gave it (already paid for)."""
        if self._known is None:
            raise RuntimeError("no clean answers recorded yet")
        return self._known

    def __call__(self, x: Tensor, owner: Tensor | None = None) -> Tensor:
        """Answer ``x``; ``owner[i]`` is the example (of this view) query ``i`` belongs to.

        Raises:
            QueryBudgetExceeded: Some example would exceed its per-example budget.
        """
        if owner is None:
            owner = torch.arange(len(x), device=self._counts.device)
        owner = owner.to(self._counts.device)
        need = torch.bincount(owner, minlength=len(self._index))
        used = self.used()
        over = used + need > self._budget
        if bool(over.any()):
            worst = int(over.int().argmax())
            raise QueryBudgetExceeded(self._budget, int(used[worst]), int(need[worst]))
        self._counts.index_add_(0, self._index, need)
        return self._oracle(x).to(x.device)

    def subset(self, positions: Tensor) -> ExampleOracle:
        """A view of the examples at ``positions`` of this view, sharing the counters."""
        view = ExampleOracle(self._oracle, self._budget, self._counts, self._index[positions])
        view._known = self._known
        return view

    def remember(self, x: Tensor, labels: Tensor) -> None:
        """Record the clean batch and its answered labels (see :meth:`known`)."""
        self._known = (x, labels)


def query_summary(counts: Tensor, budget: int) -> dict[str, float | int]:
    """Mean, median, maximum and total of per-example query counts, and the budget."""
    c = counts.double()
    empty = len(c) == 0
    return {
        "mean": 0.0 if empty else float(c.mean()),
        "median": 0.0 if empty else float(c.quantile(0.5)),
        "max": 0 if empty else int(c.max()),
        "total": int(c.sum()),
        "budget_per_example": budget,
    }


class BlackBoxAttack(EvasionAttack[ExampleOracle]):
    """Base of black-box evasion attacks: the plugin sees an :class:`ExampleOracle` only."""

    Config: ClassVar[type[EvasionConfig]] = BlackBoxConfig
    config: BlackBoxConfig
    accepted_access: ClassVar[tuple[str, ...]] = ("scores", "labels")
    sealed: ClassVar[frozenset[str]] = EvasionAttack.sealed | {"perturb"}
    #: What the oracle answers: ``"probs"`` (score-based) or ``"label"`` (decision-based).
    oracle_output: ClassVar[OracleOutput] = "probs"
    #: Spend one query per example on the clean input and attack only those not yet
    #: adversarial. Off for attacks that learned the clean answers in ``prepare``.
    screen_clean: ClassVar[bool] = True

    def query_output(self) -> OracleOutput:
        """What the oracle answers in this configuration (default: ``oracle_output``)."""
        return type(self).oracle_output

    def needs_scores(self, oracles: OracleFactory) -> bool:
        """True when this attack needs scores and ``oracles`` answer labels only."""
        if self.query_output() == "label":
            return False
        oracle = oracles(output=self.query_output(), budget=None)
        return getattr(oracle, "output", None) == "label"

    @abstractmethod
    def attack(
        self,
        oracle: ExampleOracle,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        """Return adversarial versions of ``x``, asking only ``oracle``.

        Every example of ``x`` is still classified as ``y`` (untargeted) or not yet as its
        ``target`` and has spent one query (with ``screen_clean``); it may spend
        ``oracle.remaining()`` more. Randomness must come from ``run.generator``.
        """

    def _open(
        self, model: ModelAdapter | None, oracles: OracleFactory | None, n: int, batch_size: int
    ) -> tuple[ExampleOracle, AttackRun]:
        factory = self._factory(model, oracles)
        device = model.device if model is not None else torch.device("cpu")
        budget = self.config.max_queries
        oracle = factory(output=self.query_output(), budget=budget * n)
        if self.query_output() != "label" and getattr(oracle, "output", None) == "label":
            raise ConfigError(
                f"{self.plugin_name} needs confidence scores, but the model answers labels only",
                hint="use a decision-based attack (hopskipjump) against a label-only model",
            )
        counts = torch.zeros(n, dtype=torch.long, device=device)
        view = ExampleOracle(oracle, budget, counts, torch.arange(n, device=device))
        run = AttackRun(
            generator=torch.Generator(device=device).manual_seed(self.seed),
            num_classes=oracle.num_classes,
            device=device,
            batch_size=batch_size,
        )
        return view, run

    def _factory(self, model: ModelAdapter | None, oracles: OracleFactory | None) -> OracleFactory:
        if oracles is not None:
            return oracles
        if model is None:
            raise ConfigError(
                f"attack {self.plugin_name!r} needs a model or an oracle factory to query",
                hint="pass oracles=local_oracles(model), or a factory of remote oracles",
            )
        return local_oracles(model)

    def _close(self, access: ExampleOracle, run: AttackRun) -> None:
        run.stats["queries"] = query_summary(access.used().cpu(), self.config.max_queries)

    def _predictor(
        self, model: ModelAdapter | None, oracles: OracleFactory | None, batch_size: int
    ) -> Callable[[Tensor], Tensor]:
        oracle = self._factory(model, oracles)(output="label", budget=None)

        def predict(x: Tensor) -> Tensor:
            parts = [oracle(x[i : i + batch_size]).cpu() for i in range(0, len(x), batch_size)]
            return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)

        return predict

    @final
    def perturb(
        self,
        access: ExampleOracle,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        """The batch's view of the oracle; the clean screening; then :meth:`attack`."""
        view = access.subset(torch.arange(run.batch.start, run.batch.stop, device=x.device))
        if not self.screen_clean:
            return self.attack(view, x, y, target, run)
        answers = view(x)
        labels = answers if answers.dim() == 1 else answers.argmax(1)
        view.remember(x, labels)
        done = labels != y if target is None else labels == target
        x_adv = x.clone()
        todo = (~done).nonzero().squeeze(1)
        if len(todo) and self.config.max_queries > 1:
            tb = None if target is None else target[todo]
            x_adv[todo] = self.attack(view.subset(todo), x[todo], y[todo], tb, run)
        return x_adv


__all__ = [
    "BlackBoxAttack",
    "BlackBoxConfig",
    "ExampleOracle",
    "estimate_gradient",
    "objective",
    "query_summary",
]
