"""The FastAPI app: ``POST /v1/predict``, ``GET /healthz``, ``GET /v1/model``, ``GET /metrics``.

Every prediction goes through the same steps, each answered with a 4xx and a short message
(never a traceback, path or version) when it fails: the API key (401 missing, 403 unknown), the
client's token bucket (429 with ``Retry-After``), the body size (413), strict parsing and
validation of the images (:mod:`safedl.serve.inputs`), the client's quota (429, no
``Retry-After``); then one forward pass, the detectors, the decision (answer, flag in a header,
or refuse with 403) and the output policy. Each request writes one JSON log line and updates
the Prometheus metrics. The OpenAPI docs are off unless the config turns them on.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at
# definition time, and ``Request`` is imported lazily inside :func:`create_app`.
import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from safedl.defenses.data.features import class_layer
from safedl.defenses.output.policy import OutputPolicy
from safedl.serve.auth import Authenticator
from safedl.serve.config import ServeConfig
from safedl.serve.deps import require
from safedl.serve.detectors import Outcome, Runtime
from safedl.serve.inputs import InputRejected, InputSpec, parse
from safedl.serve.limits import ClientLimits, SharedLimits
from safedl.serve.metrics import Metrics
from safedl.serve.model_source import ServedModel
from safedl.serve.request_log import RequestLog, image_hashes

log = logging.getLogger(__name__)

HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
FLAG_HEADER = "X-SafeDL-Flags"
REFUSED = "request refused by the monitoring policy"


@dataclass
class Server:
    """Everything a request handler needs."""

    served: ServedModel
    config: ServeConfig
    policy: OutputPolicy
    detectors: list[Runtime]
    auth: Authenticator
    limits: ClientLimits | SharedLimits = field(default_factory=ClientLimits)
    metrics: Metrics = field(default_factory=Metrics)
    log: RequestLog | None = None

    @property
    def spec(self) -> InputSpec:
        lim = self.config.limits
        return InputSpec(self.served.input_shape, lim.max_batch, lim.max_image_pixels)

    def __post_init__(self) -> None:
        # The server owns its model: eval mode and no parameter gradients once, for good
        # (cheaper per request than entering attack_mode), and one persistent hook on the
        # class layer when a detector reads the penultimate features.
        module = self.served.adapter.module
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
        self._features: list[Tensor] = []
        self._capture = False  # only the server's own pass, not a detector's extra ones
        if any(d.needs_features for d in self.detectors):
            class_layer(module).register_forward_hook(
                lambda _m, args, _out: self._features.append(args[0]) if self._capture else None
            )

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """Logits (and penultimate features when a detector needs them), one pass."""
        model = self.served.adapter
        self._features.clear()
        self._capture = True
        try:
            with torch.inference_mode():
                logits = model.logits(x.to(model.device)).float().cpu()
        finally:
            self._capture = False
        feats = self._features[-1].flatten(1).float().cpu() if self._features else None
        self._features.clear()
        return logits, feats

    def answer(self, probs: Tensor) -> dict[str, Any]:
        """The response body under the output policy."""
        labels = probs.argmax(1).tolist()
        if self.policy.mode == "label":
            return {"labels": labels}
        return {"labels": labels, "scores": self.policy.apply(probs).tolist()}

    def model_info(self, admin: bool) -> dict[str, Any]:
        s = self.served
        info: dict[str, Any] = {
            "name": s.name,
            "model_id": s.model_id,
            "input_shape": list(s.input_shape),
            "classes": s.classes,
            "output": self.policy.to_dict(),
            "max_batch": self.config.limits.max_batch,
            "detectors": [{"name": d.name, "action": d.action} for d in self.detectors],
        }
        if admin:  # thresholds help an adaptive attacker: admins only
            info["detectors"] = [d.describe() for d in self.detectors]
        return info


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": message}, status, headers={**HEADERS, **(headers or {})})


async def _body(request: Any, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InputRejected(400, "invalid Content-Length")
        if int(declared) > limit:
            raise InputRejected(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputRejected(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    served: ServedModel,
    config: ServeConfig,
    detectors: list[Runtime] | None = None,
    limits: ClientLimits | SharedLimits | None = None,
) -> Any:
    """The app serving ``served`` under ``config`` with calibrated ``detectors``; ``limits``
    are the rate limits and quotas (shared by the workers of one server; default: this
    process's own)."""
    require("fastapi")
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException

    policy = config.output.policy() if config.output else served.profile_policy()
    srv = Server(
        served,
        config,
        policy or OutputPolicy(mode="label"),
        detectors or [],
        Authenticator(config.clients),
        limits=limits or ClientLimits(),
        log=RequestLog(config.log, config.flagged_dir),
    )
    docs = config.docs
    app = FastAPI(
        title="Safe-DL model server",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.server = srv

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> Any:
        text = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "bad request")
        return _error(exc.status_code, text)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, _exc: RequestValidationError) -> Any:
        return _error(422, "invalid request")

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> Any:
        log.exception("internal error while answering a request")
        return _error(500, "internal error")

    def client_of(request: Request) -> tuple[str | None, Any]:
        key = Authenticator.presented(
            request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        if key is None:
            return None, _error(401, "API key required", {"WWW-Authenticate": "Bearer"})
        client = srv.auth.client(key)
        if client is None:
            return None, _error(403, "invalid API key")
        return client, None

    @app.get("/healthz")
    async def healthz() -> Any:
        return JSONResponse({"status": "ok"}, headers=HEADERS)

    @app.get("/v1/model")
    async def model(request: Request) -> Any:
        client, denied = client_of(request)
        if client is None:
            return denied
        admin = config.clients[client].admin
        return JSONResponse(srv.model_info(admin), headers=HEADERS)

    @app.get("/metrics")
    async def metrics(request: Request) -> Any:
        client, denied = client_of(request)
        if client is None:
            return denied
        if not config.clients[client].admin:
            return _error(403, "admin key required")
        body, ctype = srv.metrics.exposition()
        return Response(body, media_type=ctype, headers=HEADERS)

    @app.post("/v1/predict")
    async def predict(request: Request) -> Any:
        start = time.perf_counter()
        client, denied = client_of(request)
        if client is None:
            srv.metrics.requests.labels("-", str(denied.status_code)).inc()
            return denied
        cc = config.clients[client]
        wait = srv.limits.admit(client, cc.rate, cc.burst)
        if wait:
            srv.metrics.requests.labels(client, "429").inc()
            return _error(429, "rate limit exceeded", {"Retry-After": str(wait)})
        try:
            lim = config.limits
            try:
                body = await asyncio.wait_for(
                    _body(request, lim.max_body_bytes), lim.body_timeout_s
                )
            except asyncio.TimeoutError:
                raise InputRejected(408, "request body not received in time") from None
            x = parse(body, request.headers.get("content-type"), srv.spec)
        except InputRejected as exc:
            srv.metrics.requests.labels(client, str(exc.status)).inc()
            assert srv.log is not None
            srv.log.write(client=client, status=exc.status, decision="rejected", reason=exc.message)
            return _error(exc.status, exc.message)
        if not srv.limits.charge(client, len(x), cc.quota):
            srv.metrics.requests.labels(client, "429").inc()
            return _error(429, "query quota exhausted")
        return respond(client, x, start)

    def respond(client: str, x: Tensor, start: float) -> Any:
        logits, feats = srv.forward(x)
        probs = logits.softmax(1)
        labels = probs.argmax(1)
        outcomes: list[Outcome] = []
        for d in srv.detectors:  # in config order: 'flagged' ones see the earlier flags
            if d.due(any(o.flagged for o in outcomes)):
                outcomes.append(d.run(x, logits, feats, labels, client))
        fired = [o for o in outcomes if o.flagged]
        refused = any(o.action == "refuse" for o in fired)
        headers = dict(HEADERS)
        shown = [o.name for o in fired if o.action == "header"]
        if shown:
            headers[FLAG_HEADER] = ",".join(shown)
        hashes = image_hashes(x)
        for o in fired:
            srv.metrics.flags.labels(o.name, client).inc()
        status = 403 if refused else 200
        decision = "refused" if refused else ("flagged" if fired else "answered")
        assert srv.log is not None
        srv.log.write(
            client=client,
            status=status,
            n=len(x),
            inputs=hashes,
            prediction=labels.tolist(),
            detectors={o.name: o.to_dict() for o in outcomes},
            decision=decision,
            ms=round(1000 * (time.perf_counter() - start), 3),
        )
        if fired:
            srv.log.keep(x, hashes)
        srv.metrics.requests.labels(client, str(status)).inc()
        srv.metrics.latency.observe(time.perf_counter() - start)
        if refused:
            return _error(403, REFUSED)
        srv.metrics.images.labels(client).inc(len(x))
        return JSONResponse(srv.answer(probs), headers=headers)

    return app


__all__ = ["FLAG_HEADER", "Server", "create_app"]
