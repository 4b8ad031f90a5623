"""Reading and writing model weights without running untrusted code.

Weights are read from ``.safetensors`` files or from state-dict pickles (``.pt``, ``.pth``,
``.bin``) with ``torch.load(weights_only=True)``. Whole-model pickles are refused: unpickling
them can execute arbitrary code. Safe-DL itself writes safetensors, atomically.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from safedl.errors import ModelError

PICKLE_SUFFIXES = (".pt", ".pth", ".bin")
_SHOW = 5

CONVERT_HINT = (
    "in a trusted environment, load the model and save only its weights: "
    "torch.save(model.state_dict(), 'weights.pt') or "
    "safetensors.torch.save_file(model.state_dict(), 'weights.safetensors')"
)


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown + (f" (and {len(items) - _SHOW} more)" if len(items) > _SHOW else "")


def _read_pickle(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if found or "GLOBAL" in text:
            what = f" (it contains {found.group(1)})" if found else ""
            raise ModelError(
                f"weights file {str(path)!r} is a pickled Python object{what}, not a state "
                "dict. Loading whole-model pickles can run arbitrary code, so Safe-DL "
                "refuses them",
                hint=CONVERT_HINT,
            ) from exc
        detail = re.search(r"WeightsUnpickler error:\s*(.+?)\n\n", text, re.DOTALL)
        reason = detail.group(1).strip() if detail else str(exc.__context__ or type(exc).__name__)
        raise ModelError(
            f"weights file {str(path)!r} cannot be read as a PyTorch state dict: {reason}",
            hint="the file may be corrupt or not a PyTorch checkpoint; " + CONVERT_HINT,
        ) from exc
    except Exception as exc:
        raise ModelError(
            f"weights file {str(path)!r} cannot be read: {type(exc).__name__}: {exc}",
            hint="the file may be corrupt or not a PyTorch checkpoint; " + CONVERT_HINT,
        ) from exc


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """Read a state dict from a weights file, on CPU, without unpickling arbitrary objects.

    A checkpoint dict holding the weights under ``"state_dict"`` or ``"model"`` is unwrapped.

    Args:
        path: A ``.safetensors``, ``.pt``, ``.pth`` or ``.bin`` file.

    Returns:
        The tensors by parameter/buffer name.

    Raises:
        ModelError: Missing file, unsupported suffix, unreadable or refused contents.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelError(
            f"weights file {str(p)!r} does not exist",
            hint="check model.weights in the profile (relative paths start at the current "
            "directory)",
        )
    suffix = p.suffix.lower()
    obj: Any
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            obj = load_file(str(p), device="cpu")
        except Exception as exc:
            raise ModelError(
                f"weights file {str(p)!r} is not a valid safetensors file: {exc}"
            ) from exc
    elif suffix in PICKLE_SUFFIXES:
        obj = _read_pickle(p)
    else:
        raise ModelError(
            f"weights file {str(p)!r} has an unsupported suffix {suffix or '(none)'!r}",
            hint="use .safetensors (preferred) or a state dict saved as .pt, .pth or .bin",
        )
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, Tensor) for v in obj.values()):
        kind = type(obj).__name__
        raise ModelError(
            f"weights file {str(p)!r} does not hold a state dict of tensors (found a {kind})",
            hint=CONVERT_HINT,
        )
    return {str(k): v for k, v in obj.items()}


def _strip_prefix(state: dict[str, Tensor], expected: set[str]) -> dict[str, Tensor]:
    """Drop a ``module.`` prefix left by DataParallel/DDP when the model does not have it."""
    prefix = "module."
    if state and not (set(state) & expected) and all(k.startswith(prefix) for k in state):
        return {k[len(prefix) :]: v for k, v in state.items()}
    return state


def load_weights(module: nn.Module, path: str | Path) -> None:
    """Load weights from a file into ``module`` (in place), requiring an exact match.

    Args:
        module: The model to fill.
        path: A ``.safetensors`` file or a state-dict ``.pt``/``.pth``/``.bin`` file.

    Raises:
        ModelError: The file is missing, unreadable or a whole-model pickle, or its keys or
            shapes do not match the model's (the message lists them).
    """
    own = module.state_dict()
    state = _strip_prefix(read_state_dict(path), set(own))
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = sorted(
        f"{k} (file {tuple(state[k].shape)}, model {tuple(own[k].shape)})"
        for k in set(own) & set(state)
        if state[k].shape != own[k].shape
    )
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches: {_listing(mismatched)}")
    if problems:
        raise ModelError(
            f"weights {str(path)!r} do not match the model: " + "; ".join(problems),
            hint="the weights were saved from a different architecture or parameters; "
            "check model.name and model.params",
        )
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"weights {str(path)!r} cannot be loaded: {exc}") from exc


def save_weights(module: nn.Module, path: str | Path) -> None:
    """Write the module's state dict to a ``.safetensors`` file atomically.

    The tensors are written to a temporary file in the same directory, which then replaces
    ``path``, so a reader never sees a half-written file.

    Args:
        module: The model whose ``state_dict()`` is saved.
        path: Destination; must end in ``.safetensors``. Parent directories are created.

    Raises:
        ModelError: ``path`` does not end in ``.safetensors``.
    """
    from safetensors.torch import save_file

    p = Path(path)
    if p.suffix.lower() != ".safetensors":
        raise ModelError(
            f"cannot save weights to {str(p)!r}: Safe-DL writes safetensors files",
            hint="give the path a .safetensors suffix",
        )
    # Clone so tied or overlapping tensors become independent (safetensors rejects sharing).
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={"format": "pt"})
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["CONVERT_HINT", "load_weights", "read_state_dict", "save_weights"]
