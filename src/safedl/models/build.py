"""Building the model a profile names: a built-in architecture or the user's own factory.

:func:`build_model` is the one entry point: it constructs the module, loads trained weights when
the profile gives them, and dry-runs it on the dataset's input shape so that a model that does
not fit its data fails here, with a clear message, rather than in the middle of an attack.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from safedl.config.profile import ModelConfig
from safedl.errors import ModelError
from safedl.models.fit import check_fit
from safedl.models.registry import BUILTINS, ModelFactory, model_names
from safedl.models.user import SPEC_HINT, is_user_spec, load_user_factory
from safedl.models.weights import load_weights
from safedl.suggest import did_you_mean


def _signature(factory: ModelFactory) -> inspect.Signature | None:
    try:
        return inspect.signature(factory)
    except (TypeError, ValueError):
        return None


def _check_builtin_params(name: str, params: Mapping[str, Any]) -> None:
    sig = inspect.signature(BUILTINS[name])
    valid = list(sig.parameters)[2:]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        listed = ", ".join(repr(u) for u in unknown)
        raise ModelError(
            f"model {name!r} has no parameter(s) {listed}",
            hint=f"valid params of {name}: {', '.join(valid)}",
        )


def _call_factory(
    factory: ModelFactory,
    label: str,
    params: Mapping[str, Any],
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    builtin: bool,
) -> nn.Module:
    kwargs = dict(params)
    args: tuple[Any, ...] = ()
    sig = _signature(factory)
    if builtin:
        args = (input_shape, num_classes)
    elif sig is not None:
        names = {
            p.name
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        if "input_shape" in names:
            kwargs.setdefault("input_shape", input_shape)
        if "num_classes" in names:
            kwargs.setdefault("num_classes", num_classes)
    if sig is not None:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            valid = [
                p.name
                for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            raise ModelError(
                f"model {label!r} cannot be called with params {sorted(params)}: {exc}",
                hint=f"its parameters are: {', '.join(valid) or 'none'}",
            ) from exc
    try:
        module = factory(*args, **kwargs)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"model {label!r}: the factory raised {type(exc).__name__}: {exc}",
            hint="check model.params in the profile",
        ) from exc
    if not isinstance(module, nn.Module):
        raise ModelError(
            f"model {label!r}: the factory returned a {type(module).__name__}, "
            "not a torch.nn.Module",
            hint="the factory must return the model instance (an nn.Module)",
        )
    return module


def construct(cfg: ModelConfig, input_shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """Construct the (untrained) module a model config names, without loading or checking it.

    Args:
        cfg: The profile's model section.
        input_shape: ``(C, H, W)`` of one input image.
        num_classes: Number of classes of the dataset.

    Returns:
        The freshly initialised module.

    Raises:
        ModelError: Unknown architecture or parameter, or a user factory that cannot be used.
    """
    name = cfg.name.strip()
    if is_user_spec(name):
        factory = load_user_factory(name)
        return _call_factory(factory, name, cfg.params, input_shape, num_classes, builtin=False)
    if name not in BUILTINS:
        raise ModelError(
            f"unknown model {name!r}: {did_you_mean(name, model_names())}",
            hint=f"built-ins: {', '.join(model_names())}; or {SPEC_HINT}",
        )
    _check_builtin_params(name, cfg.params)
    return _call_factory(BUILTINS[name], name, cfg.params, input_shape, num_classes, builtin=True)


def build_model(
    cfg: ModelConfig,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    seed: int | None = None,
    dataset: str | None = None,
) -> nn.Module:
    """Build the model of a profile: construct it, load its weights, check it fits the data.

    Args:
        cfg: The profile's model section (name, params, weights).
        input_shape: ``(C, H, W)`` of one input image of the dataset.
        num_classes: Number of classes of the dataset.
        seed: When given, parameters are initialised from this seed without disturbing the
            global random state; otherwise from the global state.
        dataset: Dataset name used in error messages.

    Returns:
        The module, on CPU, in whatever training mode the factory left it.

    Raises:
        ModelError: The model cannot be built, its weights cannot be loaded, or it does not
            accept ``input_shape`` inputs / does not return ``num_classes`` logits.
    """
    shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if seed is None:
        module = construct(cfg, shape, num_classes)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = construct(cfg, shape, num_classes)
    if cfg.weights:
        load_weights(module, cfg.weights)
    check_fit(module, shape, num_classes, name=cfg.name, dataset=dataset)
    return module


__all__ = ["build_model", "construct"]
