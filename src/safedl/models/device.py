"""Choosing the torch device a model runs on.

Profiles name a device as ``"auto"``, ``"cpu"`` or ``"cuda"`` (``"cuda:N"`` is accepted too).
:func:`resolve_device` turns that name into a :class:`torch.device` and fails with a clear
:class:`~safedl.errors.ModelError` when the machine cannot provide it.
"""

from __future__ import annotations

import torch

from safedl.errors import ModelError


def resolve_device(name: str | torch.device) -> torch.device:
    """Turn a device name into a :class:`torch.device`.

    Args:
        name: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``,
            or an existing :class:`torch.device`.

    Returns:
        The device to use.

    Raises:
        ModelError: The name is not a device, or CUDA is asked for but not available.
    """
    if isinstance(name, torch.device):
        return name
    key = name.strip().lower()
    if key == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(key)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"unknown device {name!r}", hint="use 'auto', 'cpu' or 'cuda'") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelError(
                f"device {name!r} was asked for but CUDA is not available on this machine",
                hint="set device: cpu (or auto) in the profile, or install a CUDA build of PyTorch",
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ModelError(
                f"device {name!r} does not exist: this machine has {count} CUDA device(s)",
                hint="use 'cuda' or an index below the device count",
            )
    return device


__all__ = ["resolve_device"]
