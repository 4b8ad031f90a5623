"""ModelAdapter: the only way attacks, defenses and evaluation touch a model.

The adapter fixes the conventions every other package relies on:

* inputs are images in ``[0, 1]`` of shape ``[N, C, H, W]``; normalisation ``(x - mean) / std``
  happens inside, so gradients taken through :meth:`ModelAdapter.logits` are with respect to
  the ``[0, 1]`` image an attacker perturbs;
* inputs are moved to the adapter's device, outputs of the batched prediction helpers come
  back on CPU;
* predictions run in eval mode under ``torch.inference_mode``; :meth:`ModelAdapter.attack_mode`
  puts the model in eval mode with parameter gradients off for white-box attacks, and restores
  everything afterwards.

Access granted: full white-box (logits and input gradients). Black-box attacks get an
:class:`~safedl.models.oracle.Oracle` wrapping an adapter instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from safedl.config.profile import NormalizationConfig
from safedl.errors import ModelError
from safedl.models.device import resolve_device


class ModelAdapter:
    """Wrap an ``nn.Module`` so that it takes ``[0, 1]`` images and handles its own device.

    Args:
        module: The classifier, mapping normalised ``[N, C, H, W]`` inputs to logits.
        input_shape: ``(C, H, W)`` of one input image.
        num_classes: Number of logits the module returns.
        normalization: Per-channel mean and std (length 1 or ``C``), or ``None`` for none.
        device: Where the module runs: a :class:`torch.device` or ``"auto"``, ``"cpu"``,
            ``"cuda"``. The module is moved there.

    Raises:
        ModelError: The normalisation does not match the channels, or the device is unusable.

    Example:
        >>> adapter = ModelAdapter(net, input_shape=(1, 28, 28), num_classes=10)
        >>> labels = adapter.predict(x_test)           # [N] int64 on CPU
        >>> with adapter.attack_mode():
        ...     loss = F.cross_entropy(adapter(x_adv), y)  # gradients reach x_adv only
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        input_shape: tuple[int, int, int],
        num_classes: int,
        normalization: NormalizationConfig | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.input_shape: tuple[int, int, int] = (
            int(input_shape[0]),
            int(input_shape[1]),
            int(input_shape[2]),
        )
        self.num_classes = int(num_classes)
        self.device = resolve_device(device)
        self.module = module.to(self.device)
        self.normalization = normalization
        self._mean: Tensor | None = None
        self._std: Tensor | None = None
        if normalization is not None:
            c = self.input_shape[0]
            for field in ("mean", "std"):
                values = getattr(normalization, field)
                if len(values) not in (1, c):
                    raise ModelError(
                        f"normalization {field} has {len(values)} values but the inputs have "
                        f"{c} channel(s)",
                        hint=f"give 1 value (shared by all channels) or {c} (one per channel)",
                    )
            self._mean = self._buffer(normalization.mean)
            self._std = self._buffer(normalization.std)

    def _buffer(self, values: list[float]) -> Tensor:
        return torch.tensor(values, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)

    def _check(self, x: Tensor) -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ModelError(
                f"model input must have shape [N, {', '.join(map(str, self.input_shape))}], "
                f"got {list(x.shape)}",
                hint="pass a batch of images in [0, 1] with the dataset's (C, H, W)",
            )

    def logits(self, x: Tensor) -> Tensor:
        """Return the logits for a batch of ``[0, 1]`` images; differentiable w.r.t. ``x``.

        Runs in whatever mode the module is in (use :meth:`attack_mode` for attacks).

        Args:
            x: ``[N, C, H, W]`` images in ``[0, 1]``, on any device.

        Returns:
            ``[N, num_classes]`` logits on the adapter's device.
        """
        self._check(x)
        x = x.to(self.device)
        if self._mean is not None and self._std is not None:
            x = (x - self._mean) / self._std
        out: Tensor = self.module(x)
        return out

    __call__ = logits

    @contextmanager
    def _eval(self) -> Iterator[None]:
        modes = {m: m.training for m in self.module.modules()}
        self.module.eval()
        try:
            yield
        finally:
            for m, training in modes.items():
                m.train(training)

    def _batched(self, x: Tensor, batch_size: int, proba: bool) -> Tensor:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._check(x)
        chunks: list[Tensor] = []
        with self._eval(), torch.inference_mode():
            for start in range(0, len(x), batch_size):
                out = self.logits(x[start : start + batch_size])
                out = out.float().softmax(dim=1) if proba else out.argmax(dim=1)
                chunks.append(out.cpu())
        if not chunks:
            return torch.empty(
                (0, self.num_classes) if proba else (0,),
                dtype=(torch.float32 if proba else torch.int64),
            )
        # Concatenating outside inference mode yields an ordinary tensor that callers may use
        # in autograd (e.g. as cross-entropy targets).
        return torch.cat(chunks)

    def predict(self, x: Tensor, batch_size: int = 512) -> Tensor:
        """Return predicted labels, computed in eval mode in batches without gradients.

        Args:
            x: ``[N, C, H, W]`` images in ``[0, 1]``.
            batch_size: Images per forward pass.

        Returns:
            ``[N]`` int64 labels on CPU.
        """
        return self._batched(x, batch_size, proba=False)

    def predict_proba(self, x: Tensor, batch_size: int = 512) -> Tensor:
        """Return softmax probabilities, computed in eval mode in batches without gradients.

        Args:
            x: ``[N, C, H, W]`` images in ``[0, 1]``.
            batch_size: Images per forward pass.

        Returns:
            ``[N, num_classes]`` float32 probabilities on CPU.
        """
        return self._batched(x, batch_size, proba=True)

    def accuracy(self, x: Tensor, y: Tensor, batch_size: int = 512) -> float:
        """Return the share of ``x`` classified as ``y`` (0.0 for an empty batch).

        Args:
            x: ``[N, C, H, W]`` images in ``[0, 1]``.
            y: ``[N]`` integer labels.
            batch_size: Images per forward pass.
        """
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
        if len(x) == 0:
            return 0.0
        pred = self.predict(x, batch_size)
        return float((pred == y.detach().cpu().long()).double().mean())

    @contextmanager
    def attack_mode(self) -> Iterator[ModelAdapter]:
        """Eval mode and no parameter gradients for the duration of a white-box attack.

        Every submodule's training flag and every parameter's ``requires_grad`` are restored
        on exit, also when the block raises.

        Yields:
            This adapter.
        """
        params = list(self.module.parameters())
        flags = [p.requires_grad for p in params]
        with self._eval():
            try:
                for p in params:
                    p.requires_grad_(False)
                yield self
            finally:
                for p, flag in zip(params, flags, strict=True):
                    p.requires_grad_(flag)

    def to(self, device: str | torch.device) -> ModelAdapter:
        """Move the module and the normalisation buffers to ``device``; return ``self``."""
        self.device = resolve_device(device)
        self.module.to(self.device)
        if self._mean is not None and self._std is not None:
            self._mean = self._mean.to(self.device)
            self._std = self._std.to(self.device)
        return self

    def __repr__(self) -> str:
        return (
            f"ModelAdapter({type(self.module).__name__}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes}, device={str(self.device)!r})"
        )


__all__ = ["ModelAdapter"]
