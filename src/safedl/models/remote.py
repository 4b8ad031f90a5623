"""An Oracle backed by a served endpoint: black-box attacks against a model reached over HTTP.

:class:`RemoteOracles` is an :class:`~safedl.models.OracleFactory` whose Oracles send every
query to ``POST /v1/predict`` of a Safe-DL server (or any endpoint speaking the same JSON:
an array of ``[C, H, W]`` images in, ``{"labels": [...], "scores": [[...]]}`` out). Queries
are counted against the Oracle's budget before they are sent, batches are split to the
server's ``max_batch``, a ``429`` with ``Retry-After`` is waited out (up to ``max_wait``
seconds in all) and retried, and a ``429`` without it (the client's quota) ends the attack with
:class:`~safedl.models.QueryBudgetExceeded`. The API key comes from an environment variable,
never from the command line. What the endpoint returns decides the access: a label-only
server gives label Oracles whatever the attack asks for.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from safedl.errors import ConfigError, ModelError
from safedl.models.oracle import Oracle, OracleOutput, QueryBudgetExceeded


def _httpx() -> Any:
    """httpx, imported on first use (an optional dependency) with how to install it."""
    try:
        return importlib.import_module("httpx")
    except ImportError:
        raise ConfigError(
            "a remote target needs the optional package 'httpx', which is not installed",
            hint="pip install 'safedl[deploy]'",
        ) from None


def api_key_from_env(name: str | None, field: str = "--api-key-env") -> str | None:
    """The API key in environment variable ``name`` (None when no name is given)."""
    if not name:
        return None
    key = os.environ.get(name)
    if not key:
        raise ConfigError(
            f"{field} {name}: the environment variable is not set or empty",
            hint=f"export {name}=<your API key> before running the attack",
        )
    return key


@dataclass
class Endpoint:
    """The HTTP connection to one server, shared by every Oracle of a factory."""

    url: str
    api_key: str | None = None
    timeout: float = 30.0
    max_wait: float = 120.0
    sent: int = 0
    requests: int = 0
    waited: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    #: How the user named the endpoint and the key (a CLI option or a profile field).
    names: tuple[str, str] = ("--target", "--api-key-env")
    _client: Any = None

    def __post_init__(self) -> None:
        httpx = _httpx()
        self.url = self.url.rstrip("/")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.Client(headers=headers, timeout=self.timeout)
        self._httpx = httpx
        self.info = self._get("/v1/model")

    def _fail(self, what: str, response: Any) -> ModelError:
        try:
            detail = str(response.json().get("error", ""))[:200]
        except ValueError:
            detail = response.text[:200]
        return ModelError(
            f"{self.url}: {what} answered HTTP {response.status_code}: {detail}",
            hint=f"check {self.names[0]}, the API key ({self.names[1]}) and the server's limits",
        )

    def _get(self, path: str) -> dict[str, Any]:
        try:
            r = self._client.get(self.url + path)
        except self._httpx.HTTPError as exc:
            raise ModelError(
                f"{self.url}: cannot reach the endpoint ({type(exc).__name__})"
            ) from None
        if r.status_code != 200:
            raise self._fail(path, r)
        data: dict[str, Any] = r.json()
        return data

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = self.info["input_shape"]
        return int(c), int(h), int(w)

    @property
    def num_classes(self) -> int:
        return len(self.info["classes"])

    @property
    def max_batch(self) -> int:
        return int(self.info.get("max_batch", 64))

    @property
    def model_id(self) -> str:
        """Content id of the served model as seen from here: the URL and the model's hash."""
        seen = f"{self.url}|{self.info.get('model_id')}"
        return "remote-" + hashlib.sha256(seen.encode()).hexdigest()[:20]

    @property
    def gives_scores(self) -> bool:
        return self.info.get("output", {}).get("mode", "label") != "label"

    def predict(self, x: Tensor) -> dict[str, Any]:
        """One request (``len(x) <= max_batch``), retried after 429 + ``Retry-After``."""
        body = x.detach().cpu().float().tolist()
        while True:
            try:
                r = self._client.post(self.url + "/v1/predict", json=body)
            except self._httpx.HTTPError as exc:
                raise ModelError(f"{self.url}: request failed ({type(exc).__name__})") from None
            self.requests += 1
            if r.status_code == 200:
                self.sent += len(x)
                data: dict[str, Any] = r.json()
                return data
            retry = r.headers.get("Retry-After")
            if r.status_code == 429 and retry is None:
                raise QueryBudgetExceeded(self.sent + len(x) - 1, self.sent, len(x))
            if r.status_code != 429 or not retry.isdigit():
                raise self._fail("the prediction", r)
            delay = float(retry)
            if self.waited + delay > self.max_wait:
                raise self._fail(f"after waiting {self.waited:.0f} s, the prediction", r)
            time.sleep(delay)
            self.waited += delay

    def close(self) -> None:
        self._client.close()


class RemoteOracle(Oracle):
    """An Oracle whose answers come from an :class:`Endpoint` (counted, budgeted)."""

    def __init__(
        self, endpoint: Endpoint, *, output: OracleOutput, k: int = 1, budget: int | None = None
    ) -> None:
        # No Oracle.__init__: there is no local model; the properties come from the endpoint.
        self._endpoint = endpoint
        self._output: OracleOutput = output if endpoint.gives_scores else "label"
        self._k = k
        self._budget = budget
        self._batch_size = endpoint.max_batch
        self._queries = 0

    @property
    def num_classes(self) -> int:
        return self._endpoint.num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self._endpoint.input_shape

    def __call__(self, x: Tensor) -> Tensor:
        n = len(x)
        if self._budget is not None and self._queries + n > self._budget:
            raise QueryBudgetExceeded(self._budget, self._queries, n)
        self._queries += n
        labels, scores = [], []
        for i in range(0, n, self._batch_size):
            answer = self._endpoint.predict(x[i : i + self._batch_size])
            labels += answer["labels"]
            if self._output != "label":
                scores += answer["scores"]
        if self._output == "label":
            return torch.tensor(labels, dtype=torch.int64).view(n)
        probs = torch.tensor(scores, dtype=torch.float32).view(n, self.num_classes)
        if self._output == "topk" and self._k < probs.shape[1]:
            top = probs.topk(self._k, dim=1).indices
            keep = torch.zeros_like(probs, dtype=torch.bool).scatter_(1, top, True)
            probs = probs.masked_fill(~keep, 0.0)
        return probs

    def __repr__(self) -> str:
        url, out = self._endpoint.url, self._output
        return f"RemoteOracle({url!r}, output={out!r}, queries={self._queries})"


class RemoteOracles:
    """Oracle factory of an endpoint: every Oracle shares one connection and its counters."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        return RemoteOracle(self.endpoint, output=output, k=k, budget=budget)


def remote_oracles(
    url: str,
    *,
    api_key_env: str | None = None,
    timeout: float = 30.0,
    max_wait: float = 120.0,
    names: tuple[str, str] = ("--target", "--api-key-env"),
) -> RemoteOracles:
    """The Oracle factory of the server at ``url`` (the key read from ``$api_key_env``).

    ``names`` are how the user gave the URL and the key's variable (options or profile
    fields), for the error messages.
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{names[0]} {url!r}: expected an http:// or https:// URL")
    key = api_key_from_env(api_key_env, names[1])
    return RemoteOracles(Endpoint(url, key, timeout=timeout, max_wait=max_wait, names=names))


__all__ = ["Endpoint", "RemoteOracle", "RemoteOracles", "api_key_from_env", "remote_oracles"]
