"""Epoch checkpoints of the training loop, so an interrupted training resumes where it stopped.

Checkpoints hold only tensors, numbers and lists, are written atomically and are read back with
``torch.load(..., weights_only=True)``: no arbitrary unpickling.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from torch import nn

from safedl.atomic import atomic_write_bytes


def save_checkpoint(
    path: Path, module: nn.Module, opt: torch.optim.Optimizer, sched: Any, state: dict[str, Any]
) -> None:
    """Write model, optimiser, scheduler and loop state to ``path`` atomically."""
    payload = {
        "model": module.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict() if sched is not None else None,
        "state": state,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(
    path: Path, module: nn.Module, opt: torch.optim.Optimizer, sched: Any
) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` wrote and return the loop state."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    module.load_state_dict(payload["model"])
    opt.load_state_dict(payload["optimizer"])
    if sched is not None and payload["scheduler"] is not None:
        sched.load_state_dict(payload["scheduler"])
    state: dict[str, Any] = payload["state"]
    return state
