"""HopSkipJump — decision-based minimum-norm attack (labels only)."""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.evasion.base import AttackRun
from safedl.attacks.evasion.blackbox import (
    CHUNK_ELEMENTS,
    BlackBoxAttack,
    BlackBoxConfig,
    ExampleOracle,
)
from safedl.registry import ATTACKS

GEOMETRIC_STEPS = 20  # halvings of the step size before giving up on an iteration


def _view(t: Tensor, like: Tensor) -> Tensor:
    return t.view(-1, *([1] * (like.dim() - 1)))


class _Decision:
    """``phi``: whether queries are adversarial for the examples that own them (labels only)."""

    def __init__(self, oracle: ExampleOracle, y: Tensor, target: Tensor | None) -> None:
        self.oracle, self.y, self.target = oracle, y, target

    def __call__(self, q: Tensor, owner: Tensor) -> Tensor:
        labels = self.oracle(q, owner)
        return labels != self.y[owner] if self.target is None else labels == self.target[owner]

    def remaining(self, owner: Tensor) -> Tensor:
        return self.oracle.remaining()[owner]


@ATTACKS.register(
    "hopskipjump",
    family="evasion",
    access="labels",
    norms=("l2", "linf"),
    paper="Chen, Jordan, Wainwright, HopSkipJumpAttack: A Query-Efficient Decision-Based Attack, "
    "IEEE S&P 2020",
)
class HopSkipJump(BlackBoxAttack):
    """HopSkipJump: boundary search with estimated gradient directions, labels only (Chen 2020).

    Paper: Chen, Jordan, Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based
    Attack", IEEE S&P 2020.
    Threat: minimum-norm L2 or L∞ (``eps`` is where ``accuracy_at_eps`` is read); access
    ``labels`` (predicted labels only, through an Oracle).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
    ``extra["accuracy_at_eps"]`` and ``extra["queries"]`` (per-example mean, median, max,
    total, and the budget).

    Start: uniform noise that is adversarial (untargeted) or a batch image the oracle already
    labelled as the target (targeted; noise draws otherwise), blended towards the input by
    binary search. Each iteration: Monte-Carlo estimate of the boundary normal from ``evals``
    labels (baseline-subtracted; ``init_evals`` at the first iteration, grown by √t up to
    ``max_evals``), a geometric step-size search (ε_t = dist/√t, halved until adversarial) and
    a binary search back to the boundary with precision θ = γ/d^1.5 (L2) or γ/d² (L∞). All
    examples of a batch run in lockstep; an example stops when its budget cannot pay for
    another iteration.
    """

    oracle_output = "label"
    minimum_norm = True

    class Config(BlackBoxConfig):
        """HopSkipJump parameters on top of the shared black-box ones."""

        init_evals: int = Field(
            100, ge=1, le=100_000, description="Gradient-estimate queries at t = 1 (× √t later)."
        )
        max_evals: int = Field(
            10_000, ge=1, le=1_000_000, description="Cap on queries per gradient estimate."
        )
        gamma: float = Field(1.0, gt=0, description="Binary-search precision factor γ.")
        init_trials: int = Field(
            50, ge=1, le=10_000, description="Random-noise draws to find a start."
        )

    config: Config

    def attack(
        self,
        oracle: ExampleOracle,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        cfg = self.config
        generator = run.generator
        d = x[0].numel()
        l2 = cfg.norm == "l2"
        theta = cfg.gamma / (d * math.sqrt(d)) if l2 else cfg.gamma / d**2
        steps = max(1, math.ceil(math.log2(1 / theta)))

        is_adv = _Decision(oracle, y, target)
        start, found = self._start(oracle, x, target, generator, is_adv)
        out = x.clone()
        out[found] = start[found]
        idx = found.nonzero().squeeze(1)
        idx = idx[is_adv.remaining(idx) >= steps]
        if len(idx) == 0:
            return out
        cur = self._search(x[idx], start[idx], idx, is_adv, steps, blend=True)
        dist = self._dist(cur, x[idx])
        for t in range(1, cfg.max_queries + 1):
            rem = is_adv.remaining(idx)
            alive = rem >= steps + 3
            if not bool(alive.any()):
                break
            evals = min(int(cfg.init_evals * math.sqrt(t)), cfg.max_evals)
            evals = min(evals, int(rem[alive].min()) - steps - 1)
            a = alive.nonzero().squeeze(1)
            if t == 1:
                delta = torch.full_like(dist[a], 0.1)
            else:
                delta = (math.sqrt(d) if l2 else d) * theta * dist[a]
            grad = self._direction(cur[a], idx[a], delta, evals, is_adv, generator)
            update = grad if l2 else grad.sign()
            size = self._step_size(cur[a], update, dist[a] / math.sqrt(t), idx[a], is_adv, steps)
            moved = (cur[a] + _view(size, update) * update).clamp(0.0, 1.0)
            cur[a] = self._search(x[idx[a]], moved, idx[a], is_adv, steps, blend=False)
            dist[a] = self._dist(cur[a], x[idx[a]])
        out[idx] = cur
        return out

    def _dist(self, a: Tensor, b: Tensor) -> Tensor:
        delta = (a - b).flatten(1)
        return delta.norm(dim=1) if self.config.norm == "l2" else delta.abs().amax(1)

    def _start(
        self,
        oracle: ExampleOracle,
        x: Tensor,
        target: Tensor | None,
        gen: torch.Generator,
        is_adv: _Decision,
    ) -> tuple[Tensor, Tensor]:
        """Adversarial starting points and which examples have one."""
        start = x.clone()
        found = torch.zeros(len(x), dtype=torch.bool, device=x.device)
        if target is not None:
            pool_x, pool_labels = oracle.known()
            match = pool_labels[None, :] == target[:, None]
            score = torch.rand(match.shape, generator=gen, device=x.device).masked_fill(~match, -1)
            found = match.any(1)
            start[found] = pool_x[score.argmax(1)[found]]
        for _ in range(self.config.init_trials):
            todo = (~found & (oracle.remaining() > 0)).nonzero().squeeze(1)
            if len(todo) == 0:
                break
            noise = torch.rand(x[todo].shape, generator=gen, device=x.device)
            hit = is_adv(noise, todo)
            start[todo[hit]] = noise[hit]
            found[todo[hit]] = True
        return start, found

    def _project(self, x: Tensor, p: Tensor, alpha: Tensor, blend: bool) -> Tensor:
        """Point at ``alpha`` between ``x`` and ``p``: a blend (L2) or an L∞ box of radius α."""
        a = _view(alpha, x)
        if blend or self.config.norm == "l2":
            return (1 - a) * x + a * p
        return torch.minimum(torch.maximum(p, x - a), x + a)

    def _search(
        self, x: Tensor, p: Tensor, owner: Tensor, is_adv: _Decision, steps: int, blend: bool
    ) -> Tensor:
        """Binary search between ``x`` and adversarial ``p``; returns the adversarial end."""
        linf_box = not blend and self.config.norm == "linf"
        high = self._dist(p, x) if linf_box else torch.ones(len(x), device=x.device)
        low = torch.zeros_like(high)
        for _ in range(steps):
            mid = (low + high) / 2
            hit = is_adv(self._project(x, p, mid, blend), owner)
            high = torch.where(hit, mid, high)
            low = torch.where(hit, low, mid)
        return self._project(x, p, high, blend)

    def _direction(
        self,
        cur: Tensor,
        owner: Tensor,
        delta: Tensor,
        evals: int,
        is_adv: _Decision,
        gen: torch.Generator,
    ) -> Tensor:
        """Monte-Carlo estimate of the boundary normal at ``cur`` (unit L2 norm)."""
        n, shape = len(cur), cur.shape[1:]
        chunk = max(1, min(evals, CHUNK_ELEMENTS // max(n * cur[0].numel(), 1)))
        sum_rv = torch.zeros_like(cur)
        sum_frv = torch.zeros_like(cur)
        sum_f = torch.zeros(n, device=cur.device)
        dv = delta.view(n, 1, *([1] * len(shape)))
        done = 0
        while done < evals:
            k = min(chunk, evals - done)
            if self.config.norm == "l2":
                rv = torch.randn((n, k, *shape), generator=gen, device=cur.device)
            else:
                rv = torch.rand((n, k, *shape), generator=gen, device=cur.device) * 2 - 1
            rv = rv / rv.flatten(2).norm(dim=2).clamp_min(1e-12).view(n, k, *([1] * len(shape)))
            q = (cur[:, None] + dv * rv).clamp(0.0, 1.0)
            rv = (q - cur[:, None]) / dv
            f = is_adv(q.flatten(0, 1), owner.repeat_interleave(k)).float().view(n, k) * 2 - 1
            fv = f.view(n, k, *([1] * len(shape)))
            sum_rv += rv.sum(1)
            sum_frv += (fv * rv).sum(1)
            sum_f += f.sum(1)
            done += k
        mean_f = sum_f / evals
        uniform = (mean_f.abs() == 1.0).view(-1, *([1] * len(shape)))
        baseline = torch.where(uniform, 0.0, _view(mean_f, cur))
        grad = (sum_frv - baseline * sum_rv) / evals
        return grad / _view(grad.flatten(1).norm(dim=1).clamp_min(1e-12), grad)

    def _step_size(
        self,
        cur: Tensor,
        update: Tensor,
        size: Tensor,
        owner: Tensor,
        is_adv: _Decision,
        reserve: int,
    ) -> Tensor:
        """Geometric search: halve each step size until the step lands adversarial (else 0)."""
        searching = torch.ones(len(cur), dtype=torch.bool, device=cur.device)
        for _ in range(GEOMETRIC_STEPS):
            ask = searching.nonzero().squeeze(1)
            ask = ask[is_adv.remaining(owner[ask]) > reserve]
            if len(ask) == 0:
                break
            q = (cur[ask] + _view(size[ask], cur) * update[ask]).clamp(0.0, 1.0)
            hit = is_adv(q, owner[ask])
            searching[ask[hit]] = False
            size[ask[~hit]] /= 2
        return torch.where(searching, 0.0, size)
