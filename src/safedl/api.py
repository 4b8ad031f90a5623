"""The Python API for notebooks and scripts: run a profile, read a record, run one attack.

None of these functions changes the caller's global random state: each runs inside
``torch.random.fork_rng``, and every random draw inside Safe-DL is seeded from the arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safedl.errors import RunError

if TYPE_CHECKING:
    import torch

    from safedl.assess.standalone import AttackReport
    from safedl.assess.validity import CheckLevel
    from safedl.config.profile import Profile
    from safedl.data import TensorData
    from safedl.models import ModelAdapter
    from safedl.pipeline.run import Run


@contextmanager
def _own_rng() -> Iterator[None]:
    """Run the body with forked CPU and CUDA random states (restored on exit)."""
    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        yield


def run(
    profile: Profile | str | Path = "demo",
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    device: str | None = None,
) -> Run:
    """Run (or resume) the whole assessment of a profile, a profile file or a preset name."""
    from safedl.pipeline.run import run_profile

    with _own_rng():
        return run_profile(profile, out=out, seed=seed, device=device)


def load_record(run_dir: str | Path) -> dict[str, Any]:
    """The record (``record.json``) of a run directory, validated, as a dict."""
    from safedl.pipeline.record import Record

    path = Path(run_dir) / "record.json"
    if not path.exists():
        raise RunError(f"{run_dir}: no record.json here; is this a Safe-DL run directory?")
    return Record.load(path).data


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
    checks: CheckLevel | None = "basic",
) -> AttackReport:
    """Run one registered attack of any family on a model and dataset named by specs.

    What ``safedl attack`` does, as a function: without ``weights`` the model is trained once on
    the dataset's training split and kept in ``cache`` (keyed by content hash); evasion attacks
    run on (at most ``limit``) test examples; poisoning and backdoor attacks poison the training
    split, train a victim the way the model was trained (or as ``victim_training`` says) and
    compare it with the model. The validity checks of ``checks`` run after it.

    Args:
        name: registered attack name (``safedl attacks list``).
        model: built-in architecture, ``path.py:factory`` or ``package.module:factory``.
        data: dataset name or spec (``npz:PATH``, ``folder:PATH``, ``python:module:function``).
        params: the attack's parameters (validated against its ``Config``).
        checks: ``basic``, ``full`` or None (see :func:`safedl.assess.assess_one`).

    Returns:
        The typed entry (``report.entry``), the validity findings and ``report.reliable``.
    """
    from safedl.assess.standalone import run_spec

    with _own_rng():
        _, report = run_spec(
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
            checks=checks,
        )
    return report


def run_attack(
    name: str,
    model: ModelAdapter | torch.nn.Module,
    data: TensorData | tuple[torch.Tensor, torch.Tensor],
    params: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    batch_size: int = 256,
    checks: CheckLevel | None = "basic",
) -> AttackReport:
    """Run one registered evasion attack on a model and data, outside any profile.

    Args:
        name: registered attack name (``safedl attacks list``).
        model: a :class:`~safedl.models.ModelAdapter`, or a module taking inputs in [0, 1].
        data: a :class:`~safedl.data.TensorData` or ``(x, y)`` with ``x`` in [0, 1], NCHW.
        params: the attack's parameters (validated against its ``Config``).
        checks: validity checks to run after it (``basic``, ``full`` or None).

    Returns:
        ``report.entry`` (robust accuracy and the rest, with 95% CIs), ``report.examples``
        (the adversarial examples), ``report.validity`` and ``report.reliable``.
    """
    import torch

    from safedl.assess.standalone import assess_adapter
    from safedl.data import TensorData
    from safedl.models import ModelAdapter

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
    with _own_rng():
        return assess_adapter(
            name, model, data, dict(params or {}), seed=seed, batch_size=batch_size, checks=checks
        )
