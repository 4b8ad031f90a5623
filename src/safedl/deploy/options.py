"""Settings of a deployment check: waivers, pins, signing keys, probe bounds, output policy.

They come from a YAML config file (``--config``), from CLI flags, or from Python. Unknown keys
are rejected with a did-you-mean message. ``audit_runner`` is for Python callers and tests
only: it replaces the ``pip-audit`` subprocess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from safedl.config.errors import format_validation_error
from safedl.errors import ConfigError


class AuditRun(BaseModel):
    """What a pip-audit invocation returned."""

    returncode: int
    stdout: str
    stderr: str = ""


#: Runs ``pip-audit`` with these arguments and a timeout in seconds.
AuditRunner = Callable[[Sequence[str], float], AuditRun]


class ProbeOptions(BaseModel):
    """Bounds and expectations of the endpoint probes."""

    model_config = ConfigDict(extra="forbid")

    max_requests: int = Field(60, ge=1, le=1000, description="requests in all, every probe")
    max_seconds: float = Field(20.0, gt=0, le=600, description="wall-clock bound, every probe")
    request_timeout: float = Field(5.0, gt=0, le=60, description="timeout of one request")
    rate_limit_burst: int = Field(30, ge=1, le=500, description="requests in the 429 burst")
    oversized_bytes: int = Field(
        2_000_000, ge=1024, le=16_000_000, description="body size of the oversized input"
    )
    input_shape: list[int] | None = Field(None, description="[C, H, W] of one image")
    num_classes: int | None = Field(None, ge=2)


class OutputPolicy(BaseModel):
    """What a prediction response may reveal.

    ``allow``: ``label`` (no scores), ``top_k`` (at most ``top_k`` scores per image), ``scores``
    (the full probability vector) or ``logits``. Unset: taken from the run's threat model
    (``response_content``), else ``top_k``. Allowed scores must be rounded to ``decimals``.
    """

    model_config = ConfigDict(extra="forbid")

    allow: Literal["label", "top_k", "scores", "logits"] | None = None
    top_k: int = Field(1, ge=1)
    decimals: int | None = Field(2, ge=0, le=12)


class SigningOptions(BaseModel):
    """Signature verification (Sigstore ``model_signing``, offline with a local key)."""

    model_config = ConfigDict(extra="forbid")

    public_key: Path | None = Field(None, description="PEM public key of the signer")
    require_signature: bool = Field(False, description="fail (not skip) when a model is unsigned")


class AuditOptions(BaseModel):
    """The dependency audit (pip-audit)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    timeout: float = Field(120.0, gt=0, le=1800)


class DeployOptions(BaseModel):
    """Everything a deployment check can be told."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    allow_pickle: bool = Field(False, description="waive DC01 for pickle-based model files")
    pinned_sha256: dict[str, str] = Field(
        default_factory=dict, description="model file name (or '*') → expected SHA-256"
    )
    signing: SigningOptions = Field(default_factory=SigningOptions)
    probe: ProbeOptions = Field(default_factory=ProbeOptions)
    output_policy: OutputPolicy = Field(default_factory=OutputPolicy)
    audit: AuditOptions = Field(default_factory=AuditOptions)
    audit_runner: AuditRunner | None = Field(None, exclude=True)

    @field_validator("pinned_sha256")
    @classmethod
    def _hex(cls, value: dict[str, str]) -> dict[str, str]:
        for name, digest in value.items():
            d = digest.lower().removeprefix("sha256:")
            if len(d) != 64 or any(c not in "0123456789abcdef" for c in d):
                raise ValueError(f"{name}: {digest!r} is not a SHA-256 hex digest (64 hex digits)")
        return {k: v.lower().removeprefix("sha256:") for k, v in value.items()}


def load_options(path: str | Path, **overrides: Any) -> DeployOptions:
    """Read a deploy config (YAML) and apply ``overrides`` (top-level keys).

    Raises:
        ConfigError: the file cannot be read or has unknown or invalid keys.
    """
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the deploy config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the deploy config must be a mapping of keys")
    data.update(overrides)
    # Relative paths in the file are relative to the file.
    key = (data.get("signing") or {}).get("public_key")
    if isinstance(key, str) and not Path(key).is_absolute():
        data["signing"] = {**data["signing"], "public_key": str(source.parent / key)}
    return validate_options(data, source=str(source))


def validate_options(data: dict[str, Any], *, source: str = "deploy options") -> DeployOptions:
    """Validate a mapping into :class:`DeployOptions` (``ConfigError`` naming each bad key)."""
    try:
        return DeployOptions.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            format_validation_error(exc, DeployOptions, source=source),
            hint="see the deploy config keys in the README (safedl deploy check)",
        ) from None


__all__ = [
    "AuditOptions",
    "AuditRun",
    "AuditRunner",
    "DeployOptions",
    "OutputPolicy",
    "ProbeOptions",
    "SigningOptions",
    "load_options",
    "validate_options",
]
