"""The Python API for notebooks and scripts: run a profile, read a record, run one attack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safedl.errors import ConfigError, RunError

if TYPE_CHECKING:
    import torch

    from safedl.attacks.evasion.base import EvasionResult
    from safedl.attacks.poisoning import PoisoningResult
    from safedl.config.profile import Profile
    from safedl.data import TensorData
    from safedl.models import ModelAdapter
    from safedl.pipeline.run import Run


def run(
    profile: Profile | str | Path = "demo",
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    device: str | None = None,
) -> Run:
    """Run (or resume) the whole assessment of a profile, a profile file or a preset name."""
    from safedl.pipeline.run import run_profile

    return run_profile(profile, out=out, seed=seed, device=device)


def load_record(run_dir: str | Path) -> dict[str, Any]:
    """The record (``record.json``) of a run directory, as a dict."""
    path = Path(run_dir) / "record.json"
    if not path.exists():
        raise RunError(f"{run_dir}: no record.json here; is this a Safe-DL run directory?")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_attack_spec(
    name: str,
    *,
    model: str = "small_cnn",
    data: str = "digits",
    params: dict[str, Any] | None = None,
    weights: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    epochs: int = 10,
    batch_size: int = 256,
    cache: str | Path = "runs/attack-cache",
) -> EvasionResult | PoisoningResult:
    """Run one registered attack of any family on a model and dataset named by specs.

    What ``safedl attack`` does, as a function: without ``weights`` the model is trained once on
    the dataset's training split and kept in ``cache`` (keyed by content hash); evasion attacks
    run on (at most ``limit``) test examples; poisoning and backdoor attacks poison the training
    split, train a victim the way the model was trained (or as ``victim_training`` says) and
    compare it with the model.

    Args:
        name: registered attack name (``safedl attacks list``).
        model: built-in architecture, ``path.py:factory`` or ``package.module:factory``.
        data: dataset name or spec (``npz:PATH``, ``folder:PATH``, ``python:module:function``).
        params: the attack's parameters (validated against its ``Config``).
    """
    from safedl.attacks.standalone import run_spec

    _, result = run_spec(
        name,
        dict(params or {}),
        model=model,
        data=data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        batch_size=batch_size,
        cache=cache,
    )
    return result


def run_attack(
    name: str,
    model: ModelAdapter | torch.nn.Module,
    data: TensorData | tuple[torch.Tensor, torch.Tensor],
    params: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    batch_size: int = 256,
) -> EvasionResult:
    """Run one registered evasion attack on a model and data, outside any profile.

    Args:
        name: registered attack name (``safedl attacks list``).
        model: a :class:`~safedl.models.ModelAdapter`, or a module taking inputs in [0, 1].
        data: a :class:`~safedl.data.TensorData` or ``(x, y)`` with ``x`` in [0, 1], NCHW.
        params: the attack's parameters (validated against its ``Config``).
    """
    import torch

    from safedl.attacks.evasion.base import EvasionAttack
    from safedl.data import TensorData
    from safedl.models import ModelAdapter
    from safedl.registry import ATTACKS

    if not isinstance(data, TensorData):
        x, y = data
        data = TensorData(x.float().contiguous(), y.long())
    if not isinstance(model, ModelAdapter):
        device = next(model.parameters(), torch.empty(0)).device
        with torch.no_grad():
            was_training = model.training
            model.eval()
            num_classes = int(model(data.x[:1].to(device)).shape[1])
            model.train(was_training)
        model = ModelAdapter(
            model,
            input_shape=tuple(data.x.shape[1:]),  # type: ignore[arg-type]
            num_classes=num_classes,
            device=device,
        )
    attack = ATTACKS.create(name, params or {}, seed=seed)
    if not isinstance(attack, EvasionAttack):
        raise ConfigError(
            f"attack {name!r} is not an evasion attack; run it with safedl.run_attack_spec "
            "(which trains the victim) or through a profile"
        )
    return attack.run(model, data, batch_size=batch_size)
