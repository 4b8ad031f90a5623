"""Built-in architectures: shapes on every supported input size, params, names."""

from __future__ import annotations

import pytest
import torch

from safedl.config.profile import ModelConfig
from safedl.errors import ModelError
from safedl.models import build_model, builtin_params, model_names

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]
CASES = [
    ("small_cnn", {}),
    ("mlp", {}),
    ("resnet18", {"width": 8}),
]


def test_model_names_lists_the_builtins() -> None:
    assert model_names() == ["mlp", "resnet18", "small_cnn"]


def test_builtin_params_reports_defaults() -> None:
    assert builtin_params("small_cnn") == {"channels": (32, 64), "hidden": 128, "dropout": 0.0}
    assert builtin_params("resnet18") == {"width": 64}
    assert builtin_params("mlp") == {"hidden": (256, 128)}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize(("name", "params"), CASES, ids=[c[0] for c in CASES])
def test_builtin_gives_batch_by_classes(
    name: str, params: dict[str, object], shape: tuple[int, int, int]
) -> None:
    model = build_model(ModelConfig(name=name, params=params), shape, 7, seed=0)
    x = torch.rand(5, *shape)
    model.eval()
    out = model(x)
    assert out.shape == (5, 7)
    assert torch.isfinite(out).all()
    # gradients flow to the input through every architecture
    x.requires_grad_(True)
    model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_small_cnn_pools_only_while_spatial_size_stays_at_least_4() -> None:
    def pools(shape: tuple[int, int, int]) -> int:
        model = build_model(ModelConfig(name="small_cnn"), shape, 10)
        return sum(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())

    assert pools((1, 8, 8)) == 1  # 8 -> 4
    assert pools((1, 28, 28)) == 2  # 28 -> 14 -> 7
    assert pools((3, 32, 32)) == 2  # 32 -> 16 -> 8


def test_small_cnn_params_change_the_network() -> None:
    cfg = ModelConfig(
        name="small_cnn", params={"channels": [8, 16, 16], "hidden": 32, "dropout": 0.5}
    )
    model = build_model(cfg, (1, 28, 28), 10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 16]
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears[0].out_features == 32
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in model.modules())


def test_mlp_hidden_layers() -> None:
    model = build_model(ModelConfig(name="mlp", params={"hidden": [64]}), (1, 8, 8), 10)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(64, 64), (64, 10)]


def test_resnet18_full_width_has_the_paper_size() -> None:
    model = build_model(ModelConfig(name="resnet18"), (3, 32, 32), 10)
    n = sum(p.numel() for p in model.parameters())
    assert 11_100_000 < n < 11_250_000  # 11.17 M for CIFAR-10
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())


def test_seed_makes_initialisation_reproducible_without_touching_global_rng() -> None:
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_model(ModelConfig(name="mlp"), (1, 8, 8), 10, seed=5)
    after = torch.rand(1)
    b = build_model(ModelConfig(name="mlp"), (1, 8, 8), 10, seed=5)
    assert torch.equal(before, after)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


def test_unknown_architecture_suggests_the_closest_name() -> None:
    with pytest.raises(ModelError, match=r"unknown model 'smal_cnn'.*did you mean 'small_cnn'"):
        build_model(ModelConfig(name="smal_cnn"), (1, 8, 8), 10)


def test_unknown_param_names_the_valid_ones() -> None:
    with pytest.raises(ModelError) as info:
        build_model(ModelConfig(name="small_cnn", params={"widht": 3}), (1, 8, 8), 10)
    text = str(info.value)
    assert "'widht'" in text
    assert "channels, hidden, dropout" in text


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("small_cnn", {"channels": []}, "channels must be"),
        ("small_cnn", {"dropout": 1.5}, "dropout must be"),
        ("mlp", {"hidden": [0]}, "hidden must be"),
        ("resnet18", {"width": 0}, "width must be"),
        ("small_cnn", {"hidden": "wide"}, "hidden"),
    ],
)
def test_invalid_param_values_are_model_errors(
    name: str, params: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ModelError, match=fragment):
        build_model(ModelConfig(name=name, params=params), (1, 8, 8), 10)
