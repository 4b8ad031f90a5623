"""Transfer attack — PGD on a surrogate trained on the target's answers.

Paper: Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, "Practical Black-Box Attacks against
Machine Learning", AsiaCCS 2017.
Threat: L∞ or L2 ball of radius ``eps``; black-box, labels only (``soft_labels: true`` asks the
oracle for probabilities instead, i.e. score access). The target is reached only through a
budgeted Oracle; the surrogate is white-box to the attacker.
Parameters: ``eps``, ``norm``, ``max_queries`` (per example; the query set needs
``(1 + query_samples) * 2**augment_rounds`` of them), ``surrogate`` / ``surrogate_params`` (an
architecture as a profile's ``model.name`` names it, and its keyword arguments; default
``small_cnn``), ``query_samples``
(noisy copies of each input, default 4), ``noise`` (their uniform L∞ noise, default 0.1),
``augment_rounds`` (Jacobian-based augmentation rounds, default 1), ``augment_step`` (λ, default
0.1), ``epochs`` / ``lr`` / ``batch_size`` (surrogate training per round), ``soft_labels``,
``steps`` (PGD steps on the surrogate, default 20), ``targeted`` / ``target_class``.
Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
``extra["queries"]`` (per-example mean, median, max, total, budget),
``extra["surrogate_agreement"]`` (share of the query set on which the surrogate agrees with the
target's answers) and ``extra["query_set_size"]``.

The query set is the attacked inputs themselves plus noisy copies; each augmentation round adds
``x + λ·sign(∇ surrogate logit of the oracle's label)`` for every point and asks the oracle for
its labels (Papernot et al.'s Jacobian-based dataset augmentation). The surrogate is trained once
per :meth:`generate` call and reused for every batch.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field, model_validator
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.evasion.base import EvasionAttack
from safedl.attacks.evasion.blackbox import BlackBoxConfig, ExampleOracle, query_summary
from safedl.attacks.evasion.pgd import PGD
from safedl.attacks.evasion.steps import gradient
from safedl.config import ModelConfig, TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter, Oracle, build_model
from safedl.models.oracle import OracleOutput
from safedl.registry import ATTACKS
from safedl.training import train


@ATTACKS.register(
    "transfer",
    family="evasion",
    access="labels",
    norms=("linf", "l2"),
    paper="Papernot et al., Practical Black-Box Attacks against Machine Learning, AsiaCCS 2017",
)
class Transfer(EvasionAttack):
    """Surrogate trained on the target's labels (through an Oracle), attacked with PGD."""

    class Config(BlackBoxConfig):
        """Transfer-attack parameters on top of the shared black-box ones."""

        surrogate: str = Field(
            "small_cnn", description="Surrogate architecture: a built-in name or a factory spec."
        )
        surrogate_params: dict[str, Any] = Field(
            default_factory=dict, description="Keyword arguments of the surrogate factory."
        )
        query_samples: int = Field(4, ge=0, le=1000, description="Noisy copies per input.")
        noise: float = Field(0.1, ge=0, le=1, description="Uniform L∞ noise of the copies.")
        augment_rounds: int = Field(1, ge=0, le=8, description="Jacobian augmentation rounds.")
        augment_step: float = Field(0.1, gt=0, le=1, description="Augmentation step λ.")
        epochs: int = Field(10, ge=1, le=1000, description="Surrogate epochs per round.")
        lr: float = Field(0.002, gt=0, description="Surrogate learning rate (Adam).")
        batch_size: int = Field(64, ge=1, description="Surrogate training batch size.")
        soft_labels: bool = Field(
            False, description="Train on the oracle's probabilities (needs score access)."
        )
        steps: int = Field(20, ge=1, le=10_000, description="PGD steps on the surrogate.")

        @model_validator(mode="after")
        def _budget(self) -> Transfer.Config:
            need = (1 + self.query_samples) * 2**self.augment_rounds
            if need > self.max_queries:
                raise ValueError(
                    f"the query set needs {need} queries per example "
                    f"((1 + query_samples) * 2**augment_rounds) but max_queries is "
                    f"{self.max_queries}; raise max_queries or lower query_samples / "
                    "augment_rounds"
                )
            return self

    config: Config

    def __init__(self, config: BlackBoxConfig, *, seed: int = 0) -> None:
        super().__init__(config, seed=seed)
        self._counts: list[Tensor] = []
        self._agree: list[Tensor] = []

    def reset_stats(self) -> None:
        self._counts, self._agree = [], []

    def stats(self) -> dict[str, Any]:
        counts = torch.cat(self._counts) if self._counts else torch.zeros(0)
        agree = torch.cat(self._agree) if self._agree else torch.zeros(0)
        return {
            "queries": query_summary(counts, self.config.max_queries),
            "surrogate_agreement": float(agree.float().mean()) if len(agree) else None,
            "query_set_size": len(agree),
        }

    def generate(
        self, model: ModelAdapter, x: Tensor, y: Tensor, batch_size: int = 256
    ) -> tuple[Tensor, Tensor | None]:
        """Train the surrogate once on ``x`` (through the oracle), then PGD batch by batch."""
        gen = torch.Generator(device=model.device).manual_seed(self.seed)
        with model.attack_mode():
            surrogate = self._fit(model, x.to(model.device), gen)
        return self._attack_surrogate(surrogate, x, y, gen, batch_size)

    def perturb(
        self,
        model: ModelAdapter,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        generator: torch.Generator,
    ) -> Tensor:
        """One batch on its own: fit a surrogate to it, then attack the surrogate."""
        surrogate = self._fit(model, x, generator)
        with surrogate.attack_mode():
            return self._pgd().perturb(surrogate, x, y, target, generator)

    def _pgd(self) -> PGD:
        cfg = self.config
        params: dict[str, Any] = {"eps": cfg.eps, "norm": cfg.norm, "steps": cfg.steps}
        if "early_stop" in PGD.Config.model_fields:
            params["early_stop"] = False  # stopping at the surrogate's boundary transfers poorly
        return PGD(PGD.Config.model_validate(params), seed=self.seed)

    def _attack_surrogate(
        self, surrogate: ModelAdapter, x: Tensor, y: Tensor, gen: torch.Generator, batch_size: int
    ) -> tuple[Tensor, Tensor | None]:
        pgd, device = self._pgd(), surrogate.device
        outs, targets = [], []
        with surrogate.attack_mode():
            for i in range(0, len(x), batch_size):
                xb, yb = x[i : i + batch_size].to(device), y[i : i + batch_size].to(device)
                tb = self._targets(yb, surrogate.num_classes, gen) if self.config.targeted else None
                outs.append(pgd.perturb(surrogate, xb, yb, tb, gen).detach().cpu())
                if tb is not None:
                    targets.append(tb.cpu())
        x_adv = torch.cat(outs) if outs else x.clone()
        return x_adv, (torch.cat(targets) if targets else None)

    def _fit(self, model: ModelAdapter, x: Tensor, gen: torch.Generator) -> ModelAdapter:
        """Query the oracle on the query set and train the surrogate on its answers."""
        cfg, n, device = self.config, len(x), x.device
        output: OracleOutput = "probs" if cfg.soft_labels else "label"
        oracle = Oracle(model, output=output, budget=cfg.max_queries * n)
        counts = torch.zeros(n, dtype=torch.long, device=device)
        view = ExampleOracle(oracle, cfg.max_queries, counts, torch.arange(n, device=device))
        owner = torch.arange(n, device=device).repeat(1 + cfg.query_samples)
        noise = torch.rand((n * cfg.query_samples, *x.shape[1:]), generator=gen, device=device)
        points = torch.cat(
            [x, (x.repeat(cfg.query_samples, 1, 1, 1) + (noise * 2 - 1) * cfg.noise)]
        )
        points = points.clamp(0.0, 1.0)
        answers = view(points, owner)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen, device=device))
        fork = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):
            torch.manual_seed(seed)
            module = build_model(
                ModelConfig(name=cfg.surrogate, params=cfg.surrogate_params),
                model.input_shape,
                model.num_classes,
            )
            surrogate = ModelAdapter(
                module, input_shape=model.input_shape, num_classes=model.num_classes, device=device
            )
            self._train(surrogate, points, answers, seed)
            for r in range(cfg.augment_rounds):
                new = self._augment(surrogate, points, _hard(answers))
                answers = torch.cat([answers, view(new, owner)])
                points, owner = torch.cat([points, new]), torch.cat([owner, owner])
                self._train(surrogate, points, answers, seed + r + 1)
        self._counts.append(counts.cpu())
        self._agree.append(surrogate.predict(points) == _hard(answers).cpu())
        return surrogate

    def _train(self, surrogate: ModelAdapter, points: Tensor, answers: Tensor, seed: int) -> None:
        cfg = self.config
        tcfg = TrainingConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr)
        if not cfg.soft_labels:
            data = TensorData(points.cpu().contiguous(), answers.cpu().long())
            train(surrogate, data, None, tcfg, seed=seed, description="surrogate")
            return
        table = answers.to(surrogate.device)

        def soft_ce(logits_fn: Any, xb: Tensor, index: Tensor) -> Tensor:
            return -(table[index] * F.log_softmax(logits_fn(xb), 1)).sum(1).mean()

        data = TensorData(points.cpu().contiguous(), torch.arange(len(points)))
        train(surrogate, data, None, tcfg, seed=seed, loss_fn=soft_ce, description="surrogate")

    def _augment(self, surrogate: ModelAdapter, points: Tensor, labels: Tensor) -> Tensor:
        """Papernot's Jacobian-based augmentation: ``x + λ·sign(∂ logit_label / ∂x)``."""
        step = self.config.augment_step
        out = []
        with surrogate.attack_mode():
            for i in range(0, len(points), 1024):
                xb, lb = points[i : i + 1024], labels[i : i + 1024]

                def logit(z: Tensor, lb: Tensor = lb) -> Tensor:
                    return surrogate.logits(z).gather(1, lb[:, None]).sum()

                out.append((xb + step * gradient(logit, xb).sign()).clamp(0.0, 1.0))
        return torch.cat(out)


def _hard(answers: Tensor) -> Tensor:
    return answers if answers.dim() == 1 else answers.argmax(1)
