"""Serving overhead: Safe-DL's server with and without in-path detectors vs a bare endpoint.

Same model (``small_cnn`` trained on the bundled digits through the pipeline), same requests
(one 8x8 image per request, JSON), loopback only. Servers:

1. ``bare FastAPI + torch`` — one POST handler: ``await request.json()``, ``torch.tensor``,
   forward pass, softmax, JSON answer; no auth, limits, validation or logging;
2. ``safedl serve`` — API key, rate limit, body limit, strict validation, output policy, a
   JSON log line and metrics per request;
3. ``safedl serve + energy, knn_distance, query_similarity`` — the in-path detectors
   (energy and k-NN from the same forward pass; the stateful detector's per-client buffer);
4. ``safedl serve + feature_squeezing`` — two extra forward passes per request.

Each server gets ``--requests`` sequential requests per round, rounds alternate between the
servers (so machine noise hits all alike), all within ``--time-limit`` seconds. Prints p50 /
p99 latency and requests/s beside the bare endpoint's, and the time of one extra forward pass
of the model, for the issue's target (the detectors should add well under one forward pass).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/serve_overhead.py [--requests 300]
        [--rounds 3] [--time-limit 120]
"""

# No ``from __future__ import annotations``: FastAPI reads the bare handler's annotation.
import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import yaml

KEY = "benchmark-key"


def make_run(root: Path) -> Path:
    from safedl.config.profile import Profile
    from safedl.pipeline.run import run_profile
    from safedl.pipeline.stages import BaselineStage

    profile = Profile.model_validate(
        {
            "name": "serve-bench",
            "dataset": {"name": "digits"},
            "model": {"name": "small_cnn"},
            "training": {"epochs": 10, "batch_size": 64, "lr": 0.002},
            "device": "cpu",
        }
    )
    run_profile(profile, out=root / "run", stages=[BaselineStage()])
    return root / "run"


def bare_app(model: Any) -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    async def predict(request: Request) -> Any:
        x = torch.tensor(await request.json(), dtype=torch.float32)
        with torch.inference_mode():
            probs = model.logits(x).softmax(1)
        return JSONResponse({"labels": probs.argmax(1).tolist(), "scores": probs.tolist()})

    app.add_api_route("/v1/predict", predict, methods=["POST"])
    return app


def ours(run: Path, root: Path, name: str, detectors: list[dict[str, Any]]) -> Any:
    from safedl.serve.config import hash_key
    from safedl.serve.runner import build_app

    cfg = root / f"{name}.yaml"
    config = {
        "clients": {"bench": {"key_sha256": hash_key(KEY), "rate": 1e6, "burst": 1_000_000}},
        "output": {"mode": "scores"},
        "detectors": detectors,
        "log": str(root / f"{name}.jsonl"),
    }
    cfg.write_text(yaml.safe_dump(config))
    return build_app(run, config=cfg)


@contextmanager
def live(app: Any) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="safedl-serve-bench-") as tmp:
        root = Path(tmp)
        run = make_run(root)
        from safedl.data import load_dataset
        from safedl.serve.model_source import load_served_model

        model = load_served_model(run).adapter
        images = load_dataset(run_cfg(run), seed=0).test.x
        apps = {
            "bare FastAPI + torch": bare_app(model),
            "safedl serve": ours(run, root, "plain", []),
            "safedl serve + energy, knn, query_similarity": ours(
                run,
                root,
                "detectors",
                [{"name": "energy"}, {"name": "knn_distance"}, {"name": "query_similarity"}],
            ),
            "safedl serve + feature_squeezing": ours(
                run, root, "squeeze", [{"name": "feature_squeezing"}]
            ),
        }
        bodies = [[x.tolist()] for x in images[: args.requests]]
        times: dict[str, list[float]] = {k: [] for k in apps}
        deadline = time.monotonic() + args.time_limit
        with _servers(apps) as urls:
            clients = {k: httpx.Client(headers={"X-API-Key": KEY}) for k in apps}
            for k in apps:  # warm-up
                clients[k].post(f"{urls[k]}/v1/predict", json=bodies[0]).raise_for_status()
            for r in range(args.rounds):
                order = list(apps) if r % 2 == 0 else list(reversed(apps))
                for k in order:
                    for i in range(len(bodies)):
                        if time.monotonic() > deadline:
                            break
                        t0 = time.perf_counter()
                        clients[k].post(f"{urls[k]}/v1/predict", json=bodies[i]).raise_for_status()
                        times[k].append(time.perf_counter() - t0)
            for c in clients.values():
                c.close()
        with torch.inference_mode():
            one = images[:1]
            t = []
            for _ in range(200):
                t0 = time.perf_counter()
                model.logits(one)
                t.append(time.perf_counter() - t0)
        forward_ms = 1000 * statistics.median(t)
        in_process = detector_cost(apps["safedl serve + energy, knn, query_similarity"], images)
    bare = times["bare FastAPI + torch"]
    print(f"{'server':48} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'p50 vs bare':>12}")
    for k, v in times.items():
        if not v:
            continue
        v = sorted(v)
        p50, p99 = 1000 * v[len(v) // 2], 1000 * v[min(len(v) - 1, int(0.99 * len(v)))]
        extra = p50 - 1000 * sorted(bare)[len(bare) // 2]
        print(f"{k:48} {len(v):5d} {p50:8.2f} {p99:8.2f} {len(v) / sum(v):7.0f} {extra:+11.2f}")
    print(f"one forward pass of the model (1 image): {forward_ms:.3f} ms")
    print(
        "in process, per 1-image request (median): forward pass with the feature hook "
        f"{in_process['forward']:.3f} ms, energy + knn + query_similarity "
        f"{in_process['detectors']:.3f} ms"
    )
    print(f"threads: {torch.get_num_threads()}; loopback, one client, sequential requests")


def detector_cost(app: Any, images: torch.Tensor, n: int = 300) -> dict[str, float]:
    """Median in-process time of the server's forward pass and of its detectors."""
    srv = app.state.server
    fwd, det = [], []
    for i in range(n):
        x = images[i % len(images)][None]
        t0 = time.perf_counter()
        logits, feats = srv.forward(x)
        t1 = time.perf_counter()
        labels = logits.argmax(1)
        for d in srv.detectors:
            d.run(x, logits, feats, labels, "timing")
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        det.append(t2 - t1)
    return {"forward": 1000 * statistics.median(fwd), "detectors": 1000 * statistics.median(det)}


def run_cfg(run: Path) -> Any:
    from safedl.profiles import load_profile

    return load_profile(run / "profile.yaml").dataset


@contextmanager
def _servers(apps: dict[str, Any]) -> Iterator[dict[str, str]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {k: stack.enter_context(live(a)) for k, a in apps.items()}


if __name__ == "__main__":
    main()
