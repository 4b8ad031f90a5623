"""The serve config (``serve.yaml``): clients and their keys, limits, output, detectors, log.

API keys are never stored: a client entry holds the sha256 of its key (:func:`hash_key`), and a
key names its client. Everything else has a secure default: no client may query until one is
configured, labels only, 1 MiB bodies, 64 images per request, docs off. An invalid file raises
one :class:`~safedl.errors.ConfigError` naming the file and the field.

Example::

    clients:
      alice: {key_sha256: 9f86d0...,  rate: 5, burst: 10, quota: 10000}
      ops:   {key_sha256: 60303a...,  admin: true}
    limits: {max_body_bytes: 1048576, max_batch: 64}
    output: {mode: topk, k: 3}
    detectors:
      - {name: energy, action: header}
      - {name: query_similarity, action: refuse}
    log: requests.jsonl
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from safedl.defenses.output.policy import OutputPolicy
from safedl.errors import ConfigError

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    """The sha256 (hex) under which an API key is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientConfig(Strict):
    """One client: the hash of its key, its rate limit and quota."""

    key_sha256: str = Field(..., description="sha256 (hex) of the client's API key.")
    rate: float = Field(10.0, gt=0, description="Requests per second (token-bucket refill).")
    burst: int = Field(20, ge=1, description="Requests allowed at once (bucket size).")
    quota: int | None = Field(None, ge=0, description="Images this client may query in total.")
    admin: bool = Field(False, description="May read /metrics.")

    @field_validator("key_sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        v = v.strip().lower()
        if not SHA256.match(v):
            raise ValueError("must be the 64-character hex sha256 of the key, not the key")
        return v


class LimitsConfig(Strict):
    """Request limits."""

    max_body_bytes: int = Field(1 << 20, ge=64, description="Largest request body.")
    max_batch: int = Field(64, ge=1, description="Most images per request.")
    max_image_pixels: int = Field(1 << 20, ge=1, description="Largest decoded upload.")
    body_timeout_s: float = Field(10.0, gt=0, description="Time allowed to send the body.")


class OutputConfig(Strict):
    """What a prediction returns (:class:`~safedl.defenses.output.policy.OutputPolicy`)."""

    mode: Literal["label", "topk", "round", "scores"] = "label"
    k: int = Field(1, ge=1)
    decimals: int = Field(2, ge=0, le=8)

    def policy(self) -> OutputPolicy:
        if self.mode == "scores":
            return OutputPolicy(mode="temperature", temperature=1.0)
        return OutputPolicy(mode=self.mode, k=self.k, decimals=self.decimals)


class DetectorConfig(Strict):
    """A registered detector in the request path, when it runs and what its flag does."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    action: Literal["log", "header", "refuse"] = "log"
    when: Literal["always", "sampled", "flagged"] = Field(
        "always",
        description="Run on every request, on a random share of them (sample_rate), or only "
        "on requests another detector flagged (a second, costlier opinion: STRIP, feature "
        "squeezing).",
    )
    sample_rate: float = Field(
        0.1, gt=0, le=1, description="Share of requests a 'sampled' detector looks at."
    )


class ServeConfig(Strict):
    """The whole serve config."""

    clients: dict[str, ClientConfig] = Field(default_factory=dict)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    output: OutputConfig | None = Field(
        None, description="Unset: the served output defense's policy, else labels only."
    )
    detectors: list[DetectorConfig] = Field(default_factory=list)
    log: str | None = Field(None, description="JSON-lines request log (default: the logger).")
    flagged_dir: str | None = Field(None, description="Where flagged inputs are kept (.npy).")
    docs: bool = Field(False, description="Serve the OpenAPI docs.")

    @field_validator("clients")
    @classmethod
    def _unique_keys(cls, v: dict[str, ClientConfig]) -> dict[str, ClientConfig]:
        hashes = [c.key_sha256 for c in v.values()]
        if len(set(hashes)) != len(hashes):
            raise ValueError("two clients share one key; a key must name exactly one client")
        return v


def _where(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"{field}: {err['msg']}"


def load_serve_config(path: str | Path | None) -> ServeConfig:
    """Read and validate a serve config; ``None`` gives the defaults (no clients)."""
    if path is None:
        return ServeConfig()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the serve config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({type(exc).__name__})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the serve config must be a mapping of settings")
    try:
        config = ServeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{p}: invalid serve config: {_where(exc)}",
            hint="see safedl.serve.config for the fields; keys are stored as key_sha256",
        ) from None
    base = p.parent
    for attr in ("log", "flagged_dir"):
        value = getattr(config, attr)
        if value is not None and not Path(value).is_absolute():
            setattr(config, attr, str(base / value))
    return config


__all__ = [
    "ClientConfig",
    "DetectorConfig",
    "LimitsConfig",
    "OutputConfig",
    "ServeConfig",
    "hash_key",
    "load_serve_config",
]
