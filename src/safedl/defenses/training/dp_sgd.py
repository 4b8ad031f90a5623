"""DP-SGD — differentially private training with Opacus.

Paper: Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar, Zhang, "Deep Learning with
Differential Privacy", CCS 2016. Implementation: Opacus (Yousefpour et al. 2021,
``pip install 'safedl[privacy]'``).
Threat: membership inference, inversion and any attack on what one training example
contributes; needs control of training (access ``training-data``).
Parameters: ``epsilon`` (target ε; the noise multiplier is calibrated to reach it after
``epochs``) or ``noise_multiplier`` (fixed σ; ε is then what the accountant reports),
``delta`` (default 1e-5; must be below 1/N), ``max_grad_norm`` (per-example clipping norm C),
``epochs``, ``batch_size`` (expected batch size B), ``lr`` (default: the baseline's),
``accountant`` (``prv`` or ``rdp``), ``secure_mode`` (cryptographically secure noise).
Reports: the (ε, δ) spent, the noise multiplier, clipping norm, sampling scheme (Poisson with
rate q = B / N, as the accounting assumes) and accountant, the layers replaced to make the
model DP-compatible, clean accuracy beside the baseline's, the training history, and the
measured cost.

Training cannot use the one training loop: DP-SGD clips each example's gradient and adds
noise per step (Opacus's per-sample gradients and DP optimiser), and its privacy accounting
assumes Poisson-sampled batches, not the loop's shuffled fixed-size ones. Layers without a
per-example gradient (BatchNorm mixes examples) are replaced first by Opacus's
``ModuleValidator.fix`` (BatchNorm → GroupNorm), and in-place activations are made
out-of-place (Opacus's backward hooks forbid in-place updates of their views), so the
defended model's architecture can differ from the baseline's; it is rebuilt the same way when
loaded from the store. The trained weights are stored by content key (a re-run reuses them);
a killed training restarts from scratch, because the accountant's state is not checkpointed.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.cost import Stopwatch, accuracy_cost, defense_cost
from safedl.errors import ConfigError, SafeDLError
from safedl.models import ModelAdapter, model_fingerprint
from safedl.registry import DEFENSES, PluginConfig

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'safedl[privacy]' (or: pip install 'opacus>=1.5')"


def _opacus() -> Any:
    try:
        import opacus
        from opacus.validators import ModuleValidator  # noqa: F401 - checked here
    except ImportError as exc:
        raise SafeDLError(
            "the dp_sgd defense needs Opacus, which is not installed", hint=INSTALL_HINT
        ) from exc
    return opacus


def dp_compatible(adapter: ModelAdapter) -> tuple[ModelAdapter, list[str]]:
    """The adapter's model with layers Opacus cannot train replaced, and what was replaced."""
    from opacus.validators import ModuleValidator

    module = adapter.module
    before = {name: type(m).__name__ for name, m in module.named_modules()}
    if ModuleValidator.validate(module, strict=False):
        module = ModuleValidator.fix(module)
    after = {name: type(m).__name__ for name, m in module.named_modules()}
    replaced = [
        f"{n}: {before[n]} -> {after[n]}" for n in after if n in before and before[n] != after[n]
    ]
    for name, m in module.named_modules():
        if getattr(m, "inplace", False):  # in-place activations break per-sample hooks
            m.inplace = False
            replaced.append(f"{name}: {type(m).__name__}(inplace=True) -> inplace=False")
    fixed = ModelAdapter(
        module,
        input_shape=adapter.input_shape,
        num_classes=adapter.num_classes,
        normalization=adapter.normalization,
        device=adapter.device,
    )
    return fixed, replaced


@DEFENSES.register(
    "dp_sgd",
    family="training",
    access="training-data",
    paper="Abadi et al., Deep Learning with Differential Privacy, CCS 2016",
)
class DPSGD(Defense):
    """Differentially private SGD (Abadi et al., 2016) through Opacus."""

    kind: ClassVar[Literal["training"]] = "training"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds()
    answers = ("privacy",)
    evaluated_by = (("loss_threshold", {}), ("lira", {"shadows": 8}))

    class Config(PluginConfig):
        """DP-SGD parameters."""

        epsilon: float | None = Field(3.0, gt=0, description="Target ε (calibrates the noise).")
        noise_multiplier: float | None = Field(
            None, gt=0, description="Fixed noise multiplier σ instead of a target ε."
        )
        delta: float = Field(1e-5, gt=0, lt=1, description="δ of the guarantee (< 1/N).")
        max_grad_norm: float = Field(1.0, gt=0, description="Per-example clipping norm C.")
        epochs: int | None = Field(None, ge=1, le=1000, description="Default: the baseline's.")
        batch_size: int | None = Field(None, ge=1, description="Expected batch size B.")
        lr: float | None = Field(None, gt=0, description="Learning rate; default the baseline's.")
        accountant: Literal["prv", "rdp"] = Field("prv", description="Privacy accountant.")
        secure_mode: bool = Field(False, description="Cryptographically secure noise.")

        @model_validator(mode="after")
        def _one_noise_source(self) -> DPSGD.Config:
            if (self.epsilon is None) == (self.noise_multiplier is None):
                raise ValueError("give exactly one of epsilon and noise_multiplier")
            return self

    config: Config

    def _settings(self, ctx: DefenseContext) -> tuple[int, int, float]:
        c, t = self.config, ctx.training
        return c.epochs or t.epochs, c.batch_size or t.batch_size, c.lr or t.lr

    def _train(self, model: ModelAdapter, data: TensorData, ctx: DefenseContext) -> dict[str, Any]:
        opacus = _opacus()
        c = self.config
        epochs, batch, lr = self._settings(ctx)
        n = len(data)
        if c.delta >= 1 / n:
            raise ConfigError(
                f"dp_sgd.params.delta = {c.delta:g} is not below 1/N = {1 / n:g}",
                hint="a δ of at least 1/N allows leaking a whole example; lower delta",
            )
        params = model.module.parameters()
        opt: torch.optim.Optimizer
        if ctx.training.optimizer == "sgd":
            opt = torch.optim.SGD(params, lr=lr, momentum=ctx.training.momentum)
        else:
            opt = torch.optim.Adam(params, lr=lr)
        gen = torch.Generator().manual_seed(self.seed)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(data.x, data.y),
            batch_size=batch,
            shuffle=True,
            generator=gen,
        )
        common = {
            "module": model.module,
            "optimizer": opt,
            "data_loader": loader,
            "max_grad_norm": c.max_grad_norm,
            "poisson_sampling": True,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # secure-RNG and accountant-range notices
            engine = opacus.PrivacyEngine(accountant=c.accountant, secure_mode=c.secure_mode)
            if c.epsilon is not None:
                private, opt, loader = engine.make_private_with_epsilon(
                    **common, target_epsilon=c.epsilon, target_delta=c.delta, epochs=epochs
                )
            else:
                private, opt, loader = engine.make_private(
                    **common, noise_multiplier=c.noise_multiplier
                )
            plain, model.module = model.module, private
            history = []
            steps = 0
            try:
                for epoch in range(epochs):
                    private.train()
                    total, seen = 0.0, 0
                    for xb, yb in loader:
                        if len(yb) == 0:
                            continue
                        opt.zero_grad(set_to_none=True)
                        loss = nn.functional.cross_entropy(model.logits(xb), yb.to(model.device))
                        loss.backward()
                        opt.step()
                        steps += 1
                        total += float(loss.detach()) * len(yb)
                        seen += len(yb)
                    history.append({"epoch": epoch + 1, "train_loss": total / max(seen, 1)})
                spent = float(engine.get_epsilon(c.delta))
            finally:
                model.module = plain
                private._close()
        model.module.eval()
        return {
            "epsilon": spent,
            "delta": c.delta,
            "target_epsilon": c.epsilon,
            "noise_multiplier": float(getattr(opt, "noise_multiplier", float("nan"))),
            "max_grad_norm": c.max_grad_norm,
            "sampling": f"Poisson, sample rate q = B / N = {batch}/{n}",
            "sample_rate": batch / n,
            "accountant": c.accountant,
            "steps": steps,
            "epochs": epochs,
            "expected_batch_size": batch,
            "lr": lr,
            "secure_mode": c.secure_mode,
            "history": history,
        }

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        _opacus()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model, replaced = dp_compatible(ctx.new_model())
        key = self.key(ctx, model=ctx.model_spec, training=ctx.training.model_dump(mode="json"))
        reused = ctx.store.has(key)
        if reused:
            meta = ctx.store.load_model(key, model.module)["dp"]
            model.module.eval()
            seconds = 0.0
        else:
            with Stopwatch() as clock, torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                meta = self._train(model, ctx.training_set, ctx)
            seconds = clock.seconds
            meta["replaced_layers"] = replaced
            meta["train_seconds"] = seconds
            ctx.store.save_model(key, model.module, {"dp": meta, "params": self.params})
        log.info("dp_sgd: (ε = %.2f, δ = %g) spent", meta["epsilon"], meta["delta"])
        cost = defense_cost(
            ctx,
            model,
            train_seconds=seconds,
            reused=reused,
            train_seconds_original=meta.get("train_seconds") if reused else None,
        )
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=model,
            model_id=model_fingerprint(model),
            adaptive=type(self).adaptive,
            cost=cost,
            artifact=key,
            metrics={"privacy": meta, **accuracy_cost(ctx, model)},
        )


__all__ = ["DPSGD", "INSTALL_HINT", "dp_compatible"]
