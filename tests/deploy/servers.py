"""Two tiny model servers that follow the deploy-probe contract, for the probe tests.

``passing_app`` does everything right (auth, rate limit with Retry-After, label + rounded
top-1 score, strict input validation with 4xx, generic errors, no docs, private metrics, its
model hash, explicit CORS origins). ``failing_app`` gets each of those wrong. Both run on
127.0.0.1 on a free port, in a thread, through :class:`ServerThread`; a counter in front of
the app counts every HTTP request that reaches it.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass
class ServerState:
    """What a test server saw and how it behaves."""

    api_key: str = "test-key"
    sha256: str = "0" * 64
    input_shape: tuple[int, int, int] = (1, 8, 8)
    num_classes: int = 10
    rate_limit: int = 12  # predictions per window and key
    window: float = 300.0
    return_score: bool = False  # label only, or label and a rounded top-1 score
    retry_after: bool = True  # send Retry-After with 429
    delay: float = 0.0  # seconds the failing server spends on each prediction
    requests: int = 0
    predictions: dict[str, list[float]] = field(default_factory=dict)

    def reset(self, **settings: Any) -> None:
        """Clear the counters and restore the defaults (or apply ``settings``)."""
        defaults = ServerState(api_key=self.api_key, sha256=self.sha256)
        for name in ("rate_limit", "window", "return_score", "retry_after", "delay"):
            setattr(self, name, settings.get(name, getattr(defaults, name)))
        self.requests = 0
        self.predictions.clear()


class Counter:
    """ASGI wrapper counting HTTP requests."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.state.requests += 1
        await self.app(scope, receive, send)


def _shape(x: Any) -> list[int]:
    dims = []
    while isinstance(x, list):
        dims.append(len(x))
        x = x[0] if x else None
    return dims


def _flat(x: Any) -> list[Any]:
    if isinstance(x, list):
        return [v for item in x for v in _flat(item)]
    return [x]


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name}")


def passing_app(state: ServerState) -> ASGIApp:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example"],
        allow_credentials=True,
        allow_methods=["POST", "GET"],
        allow_headers=["authorization", "content-type", "x-api-key"],
    )

    def key_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ").strip() or request.headers.get("x-api-key")

    def refuse(request: Request) -> JSONResponse | None:
        key = key_of(request)
        if not key:
            return JSONResponse({"error": "authentication required"}, status_code=401)
        if key != state.api_key:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        return None

    @app.exception_handler(Exception)
    async def generic(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal error"}, status_code=500)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/model")
    async def model(request: Request) -> Any:
        return refuse(request) or {
            "sha256": state.sha256,
            "input_shape": list(state.input_shape),
            "num_classes": state.num_classes,
        }

    @app.get("/metrics")
    async def metrics(request: Request) -> Any:
        return refuse(request) or Response("predictions_total 1\n", media_type="text/plain")

    @app.post("/v1/predict")
    async def predict(request: Request) -> Any:
        denied = refuse(request)
        if denied:
            return denied
        key = key_of(request) or ""
        now = time.monotonic()
        recent = [t for t in state.predictions.get(key, []) if now - t < state.window]
        if len(recent) >= state.rate_limit:
            retry = math.ceil(state.window - (now - recent[0]))
            headers = {"Retry-After": str(retry)} if state.retry_after else {}
            return JSONResponse({"error": "rate limit"}, status_code=429, headers=headers)
        state.predictions[key] = [*recent, now]
        raw = await request.body()
        if len(raw) > 1_000_000:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            body = json.loads(raw, parse_constant=_reject_constant)
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            return JSONResponse({"error": "inputs: a non-empty batch is required"}, status_code=422)
        if _shape(inputs)[1:] != list(state.input_shape) or len(inputs) > 64:
            return JSONResponse({"error": "inputs: wrong shape"}, status_code=422)
        values = _flat(inputs)
        if len(values) != len(inputs) * math.prod(state.input_shape) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            return JSONResponse({"error": "inputs: numbers expected"}, status_code=422)
        if not all(0.0 <= v <= 1.0 for v in values):
            return JSONResponse({"error": "inputs: values must lie in [0, 1]"}, status_code=422)
        label = int(sum(values) * 7) % state.num_classes
        extra = {"score": 0.87} if state.return_score else {}
        return {"predictions": [{"label": label, **extra} for _ in inputs]}

    return Counter(app, state)


def failing_app(state: ServerState) -> ASGIApp:
    app = FastAPI()  # /docs, /redoc, /openapi.json on
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"]
    )

    @app.middleware("http")
    async def powered_by(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["X-Powered-By"] = "FastAPI/0.115 Python/3.11"
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/debug")
    async def debug() -> dict[str, Any]:
        return {"env": "production", "model_path": "/srv/models/model.pt"}

    @app.get("/v1/model")
    async def model() -> dict[str, Any]:
        return {"sha256": "f" * 64, "input_shape": list(state.input_shape)}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response("predictions_total 1\n", media_type="text/plain")

    @app.post("/v1/predict")
    async def predict(request: Request) -> Response:
        await asyncio.sleep(state.delay)
        try:
            body = json.loads(await request.body())
            out = []
            for image in body["inputs"]:
                total = sum(_flat(image))  # strings raise TypeError
                logits = [total * (i - 4.5) / 10 for i in range(state.num_classes)]
                top = max(logits)
                exp = [math.exp(v - top) for v in logits]
                probs = [v / sum(exp) for v in exp]
                out.append({"label": logits.index(top), "logits": logits, "probabilities": probs})
        except Exception:  # the mistake under test: the traceback goes to the client
            return Response(traceback.format_exc(), status_code=500, media_type="text/plain")
        return Response(json.dumps({"predictions": out}), media_type="application/json")

    return Counter(app, state)


class ServerThread:
    """Serve an ASGI app on 127.0.0.1 (a free port) in a thread; stop it cleanly."""

    def __init__(self, app: ASGIApp) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
