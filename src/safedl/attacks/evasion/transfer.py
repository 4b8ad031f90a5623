"""Transfer attack — PGD on a surrogate trained on the target's answers (see :class:`Transfer`)."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field, model_validator
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.evasion.base import AttackRun
from safedl.attacks.evasion.blackbox import BlackBoxAttack, BlackBoxConfig, ExampleOracle
from safedl.attacks.evasion.pgd import PGD
from safedl.attacks.evasion.steps import gradient
from safedl.config import ModelConfig, TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter, build_model
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
class Transfer(BlackBoxAttack):
    """Surrogate trained on the target's labels (through an Oracle), attacked with PGD.

    Paper: Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, "Practical Black-Box Attacks
    against Machine Learning", AsiaCCS 2017.
    Threat: L∞ or L2 ball of radius ``eps``; access ``labels`` (through a budgeted Oracle;
    ``soft_labels: true`` asks it for probabilities instead, i.e. ``scores`` access). The
    surrogate is white-box to the attacker; the target is never touched otherwise.
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
    ``extra["queries"]`` (per-example mean, median, max, total, budget),
    ``extra["surrogate_agreement"]`` (share of the query set on which the surrogate agrees
    with the target's answers) and ``extra["query_set_size"]``.

    The query set is the attacked inputs themselves plus ``query_samples`` noisy copies of
    each; each augmentation round adds ``x + λ·sign(∇ surrogate logit of the oracle's
    label)`` for every point and asks the oracle for its labels (Papernot et al.'s
    Jacobian-based dataset augmentation), so each example spends
    ``(1 + query_samples) * 2**augment_rounds`` queries. The surrogate is trained once per call
    (in :meth:`prepare`, on the whole data set) and every batch is attacked with PGD on it;
    no query is spent on the clean inputs beyond the query set.
    """

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
    screen_clean = False  # the query set already holds every clean input

    def query_output(self) -> OracleOutput:
        return "probs" if self.config.soft_labels else "label"

    def prepare(self, access: ExampleOracle, data: TensorData, run: AttackRun) -> ModelAdapter:
        """Query the oracle on the query set of all of ``data`` and train the surrogate."""
        surrogate, agree = self._fit(access, data.x.to(run.device), run)
        run.stats["surrogate_agreement"] = float(agree.float().mean()) if len(agree) else None
        run.stats["query_set_size"] = len(agree)
        return surrogate

    def attack(
        self,
        oracle: ExampleOracle,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        """PGD on the surrogate trained in :meth:`prepare`; no queries."""
        surrogate: ModelAdapter = run.prepared
        with surrogate.attack_mode():
            return self._pgd().perturb(surrogate, x, y, target, run)

    def _pgd(self) -> PGD:
        cfg = self.config
        params: dict[str, Any] = {"eps": cfg.eps, "norm": cfg.norm, "steps": cfg.steps}
        params["early_stop"] = False  # stopping at the surrogate's boundary transfers poorly
        return PGD(PGD.Config.model_validate(params), seed=self.seed)

    def _fit(self, view: ExampleOracle, x: Tensor, run: AttackRun) -> tuple[ModelAdapter, Tensor]:
        """Train the surrogate on the oracle's answers; it and its agreement per query point."""
        cfg, n, device, gen = self.config, len(x), x.device, run.generator
        owner = torch.arange(n, device=device).repeat(1 + cfg.query_samples)
        noise = torch.rand((n * cfg.query_samples, *x.shape[1:]), generator=gen, device=device)
        points = torch.cat(
            [x, (x.repeat(cfg.query_samples, 1, 1, 1) + (noise * 2 - 1) * cfg.noise)]
        )
        points = points.clamp(0.0, 1.0)
        answers = view(points, owner)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen, device=device))
        shape = (x.shape[1], x.shape[2], x.shape[3])
        fork = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):
            torch.manual_seed(seed)
            module = build_model(
                ModelConfig(name=cfg.surrogate, params=cfg.surrogate_params),
                shape,
                view.num_classes,
            )
            surrogate = ModelAdapter(
                module, input_shape=shape, num_classes=view.num_classes, device=device
            )
            self._train(surrogate, points, answers, seed)
            for r in range(cfg.augment_rounds):
                new = self._augment(surrogate, points, _hard(answers))
                answers = torch.cat([answers, view(new, owner)])
                points, owner = torch.cat([points, new]), torch.cat([owner, owner])
                self._train(surrogate, points, answers, seed + r + 1)
        return surrogate, surrogate.predict(points) == _hard(answers).cpu()

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
