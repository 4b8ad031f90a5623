"""Square Attack — score-based random search with square-shaped updates."""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.evasion.base import AttackRun
from safedl.attacks.evasion.blackbox import BlackBoxAttack, BlackBoxConfig, ExampleOracle, objective
from safedl.registry import ATTACKS

_SCHEDULE = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def p_at(p_init: float, it: int, n_iters: int) -> float:
    """Piece-wise constant schedule of the square size (fraction of pixels) at iteration ``it``."""
    scaled = int(it / max(n_iters, 1) * 10_000)
    return p_init / 2 ** sum(scaled > b for b in _SCHEDULE)


def _bump_rect(rows: int, cols: int, device: torch.device) -> Tensor:
    """Concentric squares of weight 1/(k+1)^2 around the centre, unit L2 norm."""
    r = torch.arange(rows, device=device)[:, None] - rows // 2
    c = torch.arange(cols, device=device)[None, :] - cols // 2
    dist = torch.maximum(r.abs(), c.abs())
    n = max(rows // 2 + 1, cols // 2 + 1)
    weights = 1.0 / torch.arange(1, n + 1, device=device, dtype=torch.float32) ** 2
    tail = weights.flip(0).cumsum(0).flip(0)  # tail[k] = sum of weights from k on
    out = tail[dist]
    return out / out.norm().clamp_min(1e-12)


def bump(s: int, device: torch.device) -> Tensor:
    """The reference's ``s x s`` perturbation: a positive bump over a negative one, unit norm."""
    out = torch.zeros(s, s, device=device)
    if s // 2:
        out[: s // 2] = _bump_rect(s // 2, s, device)
    out[s // 2 :] = -_bump_rect(s - s // 2, s, device)
    return out / out.norm().clamp_min(1e-12)


def _windows(n: int, h: int, w: int, s: int, gen: torch.Generator, device: torch.device) -> Tensor:
    """Per-example top-left corners ``[n, 2]`` of random ``s x s`` windows."""
    r = torch.randint(0, max(h - s, 1), (n,), generator=gen, device=device)
    c = torch.randint(0, max(w - s, 1), (n,), generator=gen, device=device)
    return torch.stack([r, c], 1)


def _place(table: Tensor, corners: Tensor, h: int, w: int) -> tuple[Tensor, Tensor]:
    """Paste ``table`` (``[s, s]`` or ``[n, s, s]``) at ``corners``; values, mask ``[n,1,h,w]``."""
    s = table.shape[-1]
    rows = torch.arange(h, device=corners.device)[None, :, None] - corners[:, 0, None, None]
    cols = torch.arange(w, device=corners.device)[None, None, :] - corners[:, 1, None, None]
    mask = (rows >= 0) & (rows < s) & (cols >= 0) & (cols < s)
    flat = (rows.clamp(0, s - 1) * s + cols.clamp(0, s - 1)).flatten(1)
    src = table.reshape(-1, s * s).expand(len(corners), -1)
    values = src.gather(1, flat).view(-1, 1, h, w) * mask[:, None]
    return values, mask[:, None]


def _signs(shape: tuple[int, ...], gen: torch.Generator, device: torch.device) -> Tensor:
    return torch.randint(0, 2, shape, generator=gen, device=device).float() * 2 - 1


def _l2(t: Tensor, dims: tuple[int, ...] = (1, 2, 3)) -> Tensor:
    return t.pow(2).sum(dims, keepdim=True).sqrt()


@ATTACKS.register(
    "square",
    family="evasion",
    access="scores",
    norms=("linf", "l2"),
    paper="Andriushchenko et al., Square Attack: a query-efficient black-box adversarial attack "
    "via random search, ECCV 2020",
)
class SquareAttack(BlackBoxAttack):
    """Square Attack: random search over square updates, scores only (Andriushchenko 2020).

    Paper: Andriushchenko, Croce, Flammarion, Hein, "Square Attack: a query-efficient black-box
    adversarial attack via random search", ECCV 2020.
    Threat: L∞ or L2 ball of radius ``eps``; access ``scores`` (probabilities, through an
    Oracle only).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
    and ``extra["queries"]`` (mean, median, max, total per example, and the budget).

    L∞: vertical-stripe initialisation (±ε per column and channel), then each step sets one
    random square (one per example) to ±ε per channel; a proposal is kept when it lowers the
    loss. L2: a grid of signed "pseudo-Gaussian" bumps scaled to ε, then each step moves mass
    from a second random window into a new bump in the first, re-projected onto the ε-sphere,
    as in the reference. The square size ``p_init`` is halved at iterations 10, 50, 200, 500,
    1000, 2000, 4000, 6000 and 8000 of a 10 000-query run, rescaled to ``max_queries`` as in
    the reference code. Loss: margin (untargeted), cross-entropy (targeted). Examples stop
    once adversarial.
    """

    class Config(BlackBoxConfig):
        """Square Attack parameters on top of the shared black-box ones."""

        p_init: float = Field(
            0.8,
            gt=0,
            le=1,
            description="Initial fraction of pixels a square covers (0.8 suits small images; "
            "the paper uses 0.05 (L∞) / 0.1 (L2) on ImageNet).",
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
        labels = y if target is None else target
        targeted = target is not None
        x_best = self._init(x, generator)
        loss, success = objective(oracle(x_best), labels, targeted)
        n_iters = cfg.max_queries
        for it in range(n_iters):
            active = (~success & (oracle.remaining() > 0)).nonzero().squeeze(1)
            if len(active) == 0:
                break
            p = p_at(cfg.p_init, it, n_iters)
            xa, xb = x[active], x_best[active]
            if cfg.norm == "linf":
                x_new = self._linf_step(xa, xb, p, generator)
            else:
                x_new = self._l2_step(xa, xb, p, generator)
            new_loss, new_success = objective(oracle(x_new, active), labels[active], targeted)
            better = (new_loss < loss[active]) | (new_success & ~success[active])
            keep = active[better]
            x_best[keep] = x_new[better]
            loss[keep] = new_loss[better]
            success[keep] = new_success[better]
        return x_best

    def _init(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, c, h, w = x.shape
        eps = self.config.eps
        if self.config.norm == "linf":
            stripes = _signs((n, c, 1, w), gen, x.device) * eps
            return (x + stripes).clamp(0.0, 1.0)
        s = max(h // 5, 1)
        th, tw = math.ceil(h / s), math.ceil(w / s)
        tiles = bump(s, x.device).repeat(th, tw)[:h, :w]
        signs = _signs((n, c, th, tw), gen, x.device)
        signs = signs.repeat_interleave(s, 2).repeat_interleave(s, 3)[:, :, :h, :w]
        delta = tiles * signs
        return (x + delta / _l2(delta).clamp_min(1e-12) * eps).clamp(0.0, 1.0)

    def _linf_step(self, x: Tensor, x_best: Tensor, p: float, gen: torch.Generator) -> Tensor:
        n, c, h, w = x.shape
        eps = self.config.eps
        s = min(max(round(math.sqrt(p * h * w)), 1), max(min(h, w) - 1, 1))
        _, mask = _place(
            torch.ones(s, s, device=x.device), _windows(n, h, w, s, gen, x.device), h, w
        )
        delta = x_best - x
        signs = _signs((n, c, 1, 1), gen, x.device)
        for attempt in range(3):
            x_new = (x + torch.where(mask, signs * eps, delta)).clamp(0.0, 1.0)
            same = ((x_new - x_best).abs() < 1e-7).logical_or(~mask).flatten(1).all(1)
            if attempt == 2 or not bool(same.any()):
                break
            redraw = _signs((n, c, 1, 1), gen, x.device)
            signs = torch.where(
                same[:, None, None, None], redraw if attempt == 0 else -signs, signs
            )
        return x_new

    def _l2_step(self, x: Tensor, x_best: Tensor, p: float, gen: torch.Generator) -> Tensor:
        n, c, h, w = x.shape
        eps = self.config.eps
        s = max(round(math.sqrt(p * h * w)), 3)
        s = min(s + (s % 2 == 0), min(h, w))
        table = bump(s, x.device)
        flip = torch.rand(n, generator=gen, device=x.device) > 0.5
        tables = torch.where(flip[:, None, None], table.T, table)
        shape, mask1 = _place(tables, _windows(n, h, w, s, gen, x.device), h, w)
        _, mask2 = _place(table, _windows(n, h, w, s, gen, x.device), h, w)
        delta = x_best - x
        norm_window = _l2(delta * mask1, (2, 3))
        norm_image = _l2(delta)
        norm_union = _l2(delta * (mask1 | mask2), (2, 3))
        new = shape * _signs((n, c, 1, 1), gen, x.device) + delta * mask1 / (norm_window + 1e-10)
        room = ((eps**2 - norm_image**2).clamp_min(0) / c + norm_union**2).sqrt()
        new = new / _l2(new, (2, 3)).clamp_min(1e-12) * room
        delta = torch.where(mask1, new, torch.where(mask2, 0.0, delta))
        return (x + delta / _l2(delta).clamp_min(1e-12) * eps).clamp(0.0, 1.0)
