"""Output policies and the Oracles that apply them: what a hardened model gives back.

An output defense changes what the deployed model *returns*, not the model: the top-1 label
only, the top-k probabilities, probabilities rounded to a few decimals, or probabilities
re-tempered (``softmax(z / T)``). It is applied by wrapping the Oracle factory every
black-box attack receives (:class:`HardenedOracles`), so attacks run unchanged and see exactly
what a client of the deployed API would see; an attack that asks for scores from a label-only
policy gets labels (its Oracle's ``output`` says so).

Temperature is applied to the probabilities the inner Oracle returns, as
``softmax(log p / T)`` — the same as ``softmax(z / T)`` up to float32 precision, since
``log p`` and the logits ``z`` differ by a constant per image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from safedl.models import Oracle, OracleFactory
from safedl.models.oracle import OracleOutput

OutputMode = Literal["label", "topk", "round", "temperature"]


@dataclass(frozen=True)
class OutputPolicy:
    """What the hardened model returns.

    Attributes:
        mode: ``label`` (top-1 label only), ``topk`` (the ``k`` largest probabilities, the rest
            zeroed), ``round`` (probabilities rounded to ``decimals``), ``temperature``
            (probabilities at temperature ``temperature``).
        k: Probabilities kept by ``topk``.
        decimals: Decimals kept by ``round``.
        temperature: Temperature of ``temperature`` (> 1 flattens, < 1 sharpens).
    """

    mode: OutputMode = "label"
    k: int = 1
    decimals: int = 2
    temperature: float = 1.0

    @property
    def adaptive_output(self) -> Literal["scores", "label", "topk", "rounded"]:
        """The :class:`~safedl.defenses.base.AdaptiveNeeds` ``output`` of this policy."""
        if self.mode == "label":
            return "label"
        if self.mode == "topk":
            return "topk"
        if self.mode == "round":
            return "rounded"
        return "scores"

    def apply(self, probs: Tensor) -> Tensor:
        """Transform ``[N, K]`` probabilities as the policy says (``label`` is not handled here)."""
        if self.mode == "topk" and self.k < probs.shape[1]:
            top = probs.topk(self.k, dim=1).indices
            keep = torch.zeros_like(probs, dtype=torch.bool).scatter_(1, top, True)
            return probs.masked_fill(~keep, 0.0)
        if self.mode == "round":
            scale = 10.0**self.decimals
            return torch.round(probs * scale) / scale
        if self.mode == "temperature" and self.temperature != 1.0:
            logp = torch.log(probs.double().clamp_min(1e-45))
            return torch.softmax(logp / self.temperature, dim=1).float()
        return probs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DelegatingOracle(Oracle):
    """An Oracle that forwards everything to ``inner``: the base of Oracle wrappers.

    Counting and the budget stay with ``inner``; a subclass changes what is answered
    (:class:`HardenedOracle`) or watches what is asked (PRADA's monitored Oracle).
    """

    def __init__(self, inner: Oracle) -> None:
        # Deliberately no Oracle.__init__: every property is delegated to ``inner``.
        self._inner = inner

    @property
    def output(self) -> OracleOutput:
        return self._inner.output

    @property
    def k(self) -> int:
        return self._inner.k

    @property
    def budget(self) -> int | None:
        return self._inner.budget

    @property
    def num_classes(self) -> int:
        return self._inner.num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self._inner.input_shape

    @property
    def queries(self) -> int:
        return self._inner.queries

    @property
    def remaining(self) -> int | None:
        return self._inner.remaining

    def reset(self) -> None:
        self._inner.reset()

    def __call__(self, x: Tensor) -> Tensor:
        return self._inner(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(inner={self._inner!r})"


class HardenedOracle(DelegatingOracle):
    """An Oracle whose answers pass through an :class:`OutputPolicy`.

    ``inner`` is a probability Oracle of the undefended model; it counts and enforces the
    budget, so attacks cannot tell this Oracle from any other except by what it returns.
    """

    def __init__(self, inner: Oracle, policy: OutputPolicy) -> None:
        super().__init__(inner)
        self._policy = policy

    @property
    def output(self) -> OracleOutput:
        return "topk" if self._policy.mode == "topk" else "probs"

    @property
    def k(self) -> int:
        return self._policy.k if self._policy.mode == "topk" else self._inner.k

    @property
    def policy(self) -> OutputPolicy:
        """The policy applied to every answer."""
        return self._policy

    def __call__(self, x: Tensor) -> Tensor:
        return self._policy.apply(self._inner(x))

    def __repr__(self) -> str:
        return f"HardenedOracle({self._policy}, inner={self._inner!r})"


class HardenedOracles:
    """An Oracle factory that puts ``policy`` in front of every Oracle of ``inner`` (picklable).

    A request for labels is answered with labels whatever the policy; under the ``label``
    policy every request is.
    """

    def __init__(self, inner: OracleFactory, policy: OutputPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        if output == "label" or self.policy.mode == "label":
            return self.inner(output="label", budget=budget)
        return HardenedOracle(self.inner(output="probs", budget=budget), self.policy)


def hardened_oracles(inner: OracleFactory, policy: OutputPolicy) -> OracleFactory:
    """The factory of ``inner``'s Oracles with ``policy`` applied to every answer."""
    return HardenedOracles(inner, policy)


__all__ = [
    "DelegatingOracle",
    "HardenedOracle",
    "HardenedOracles",
    "OutputMode",
    "OutputPolicy",
    "hardened_oracles",
]
