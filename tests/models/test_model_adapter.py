"""ModelAdapter: normalisation inside, gradients to the input, batched predictions, guards."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from safedl.config.profile import NormalizationConfig
from safedl.errors import ModelError
from safedl.models import ModelAdapter, resolve_device


def _net(channels: int = 3, size: int = 4, classes: int = 5) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(4 * size * size, classes),
    )


NORM = NormalizationConfig(mean=[0.1, 0.2, 0.3], std=[0.5, 0.25, 2.0])


def _adapter(norm: NormalizationConfig | None = NORM) -> ModelAdapter:
    return ModelAdapter(_net(), input_shape=(3, 4, 4), num_classes=5, normalization=norm)


def test_normalisation_equals_manual_computation() -> None:
    adapter = _adapter()
    adapter.module.eval()
    x = torch.rand(6, 3, 4, 4)
    mean = torch.tensor(NORM.mean).view(1, 3, 1, 1)
    std = torch.tensor(NORM.std).view(1, 3, 1, 1)
    expected = adapter.module((x - mean) / std)
    assert torch.allclose(adapter.logits(x), expected, atol=1e-6)
    assert torch.allclose(adapter(x), expected, atol=1e-6)
    # without normalisation the module sees x itself
    plain = _adapter(None)
    plain.module.eval()
    assert torch.allclose(plain(x), plain.module(x), atol=1e-6)


def test_single_value_normalisation_is_broadcast() -> None:
    adapter = _adapter(NormalizationConfig(mean=[0.5], std=[0.25]))
    adapter.module.eval()
    x = torch.rand(2, 3, 4, 4)
    assert torch.allclose(adapter(x), adapter.module((x - 0.5) / 0.25), atol=1e-6)


def test_normalisation_length_must_match_channels() -> None:
    with pytest.raises(ModelError, match="mean has 2 values but the inputs have 3 channel"):
        _adapter(NormalizationConfig(mean=[0.1, 0.2], std=[1.0]))
    with pytest.raises(ModelError, match="std has 2 values"):
        _adapter(NormalizationConfig(mean=[0.1], std=[1.0, 2.0]))


def test_gradients_reach_the_input_through_normalisation() -> None:
    adapter = _adapter()
    x = torch.rand(4, 3, 4, 4, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3])
    with adapter.attack_mode():
        F.cross_entropy(adapter(x), y).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in adapter.module.parameters())
    # the gradient w.r.t. x is the gradient w.r.t. the normalised input divided by std
    z = (
        (x.detach() - torch.tensor(NORM.mean).view(1, 3, 1, 1))
        / torch.tensor(NORM.std).view(1, 3, 1, 1)
    ).requires_grad_(True)
    adapter.module.eval()
    F.cross_entropy(adapter.module(z), y).backward()
    assert z.grad is not None
    assert torch.allclose(x.grad, z.grad / torch.tensor(NORM.std).view(1, 3, 1, 1), atol=1e-6)


def test_predict_and_proba_batched_equal_unbatched() -> None:
    adapter = _adapter()
    adapter.module.train()
    x = torch.rand(37, 3, 4, 4)
    labels_all = adapter.predict(x, batch_size=512)
    labels_small = adapter.predict(x, batch_size=5)
    assert labels_all.dtype == torch.int64 and labels_all.shape == (37,)
    assert torch.equal(labels_all, labels_small)
    proba = adapter.predict_proba(x, batch_size=4)
    assert proba.shape == (37, 5) and proba.device.type == "cpu"
    assert torch.allclose(proba, adapter.predict_proba(x), atol=1e-6)
    assert torch.allclose(proba.sum(dim=1), torch.ones(37), atol=1e-5)
    assert torch.equal(proba.argmax(dim=1), labels_all)
    # predictions run in eval mode (dropout off), and the training flag comes back
    adapter.module.eval()
    expected = adapter.module((x - adapter._mean) / adapter._std).argmax(dim=1)  # type: ignore[operator]
    adapter.module.train()
    assert torch.equal(labels_all, expected)
    assert adapter.module.training and adapter.module[3].training


def test_predictions_are_ordinary_tensors_usable_in_autograd() -> None:
    adapter = _adapter()
    x = torch.rand(8, 3, 4, 4)
    y = adapter.predict(x)
    p = adapter.predict_proba(x)
    assert not torch.is_inference(y) and not torch.is_inference(p)
    assert not p.requires_grad
    x_adv = x.clone().requires_grad_(True)
    F.cross_entropy(adapter(x_adv), y).backward()  # would fail on inference tensors
    assert x_adv.grad is not None


def test_accuracy_matches_predictions() -> None:
    adapter = _adapter()
    x = torch.rand(23, 3, 4, 4)
    pred = adapter.predict(x)
    y = pred.clone()
    y[:5] = (y[:5] + 1) % 5
    assert adapter.accuracy(x, y, batch_size=4) == pytest.approx(18 / 23)
    assert adapter.accuracy(x, y) == adapter.accuracy(x, y, batch_size=3)
    assert adapter.accuracy(x[:0], y[:0]) == 0.0
    with pytest.raises(ValueError, match="x has 23 samples but y has 5"):
        adapter.accuracy(x, y[:5])


def test_empty_batch_predictions() -> None:
    adapter = _adapter()
    x = torch.rand(0, 3, 4, 4)
    assert adapter.predict(x).shape == (0,) and adapter.predict(x).dtype == torch.int64
    assert adapter.predict_proba(x).shape == (0, 5)


def test_wrong_input_shape_is_a_model_error() -> None:
    adapter = _adapter()
    with pytest.raises(ModelError, match=r"must have shape \[N, 3, 4, 4\], got \[3, 4, 4\]"):
        adapter(torch.rand(3, 4, 4))
    with pytest.raises(ModelError, match="got"):
        adapter.predict(torch.rand(2, 1, 4, 4))


def test_attack_mode_sets_and_restores_flags() -> None:
    adapter = _adapter()
    module = adapter.module
    module.train()
    module[1].eval()
    frozen = module[0].bias
    frozen.requires_grad_(False)
    with adapter.attack_mode() as inner:
        assert inner is adapter
        assert not any(m.training for m in module.modules())
        assert not any(p.requires_grad for p in module.parameters())
    assert module.training and not module[1].training and module[3].training
    assert not frozen.requires_grad
    assert all(p.requires_grad for n, p in module.named_parameters() if n != "0.bias")


def test_attack_mode_restores_flags_on_exception() -> None:
    adapter = _adapter()
    adapter.module.train()
    with pytest.raises(RuntimeError, match="boom"), adapter.attack_mode():
        assert not adapter.module.training
        raise RuntimeError("boom")
    assert adapter.module.training
    assert all(p.requires_grad for p in adapter.module.parameters())


def test_inputs_on_another_device_are_moved_and_to_returns_self() -> None:
    adapter = _adapter()
    assert adapter.device == torch.device("cpu")
    assert adapter.to("cpu") is adapter
    assert adapter._mean is not None and adapter._mean.shape == (1, 3, 1, 1)
    x = torch.rand(2, 3, 4, 4, dtype=torch.float32)
    assert adapter(x).device.type == "cpu"


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ModelError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="CUDA is not available") as info:
            resolve_device("cuda")
        assert info.value.hint is not None and "device: cpu" in info.value.hint
        with pytest.raises(ModelError, match="CUDA is not available"):
            ModelAdapter(_net(), input_shape=(3, 4, 4), num_classes=5, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_adapter_takes_cpu_inputs_and_returns_cpu_predictions() -> None:
    adapter = ModelAdapter(_net(), input_shape=(3, 4, 4), num_classes=5, normalization=NORM)
    x = torch.rand(9, 3, 4, 4)
    cpu_pred = adapter.predict_proba(x)
    adapter.to("cuda")
    assert next(adapter.module.parameters()).device.type == "cuda"
    assert adapter._mean is not None and adapter._mean.device.type == "cuda"
    assert adapter(x).device.type == "cuda"
    gpu_pred = adapter.predict_proba(x, batch_size=4)
    assert gpu_pred.device.type == "cpu"
    assert torch.allclose(cpu_pred, gpu_pred, atol=1e-4)
    xg = x.cuda().requires_grad_(True)
    with adapter.attack_mode():
        adapter(xg).sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0
