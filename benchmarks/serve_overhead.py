"""Serving overhead: Safe-DL's server with and without in-path detectors vs a bare endpoint.

Same model (``--model``, default ``small_cnn``, trained briefly on ``--dataset`` through the
pipeline: Fashion-MNIST when installed, else the bundled digits), same requests (one image per
request, JSON), loopback only. Servers:

1. ``bare FastAPI + torch`` — one POST handler: ``await request.json()``, ``torch.tensor``,
   forward pass, softmax, JSON answer; no auth, limits, validation or logging;
2. ``safedl serve`` — API key, rate limit, body limit, strict validation, output policy, a
   JSON log line and metrics per request;
3. ``safedl serve + energy, knn_distance, query_similarity`` — the in-path detectors
   (energy and k-NN from the same forward pass; the stateful detector's per-client buffer);
4. ``safedl serve + feature_squeezing`` — two extra forward passes per request.

Each server gets ``--requests`` sequential requests per round, rounds alternate between the
servers (so machine noise hits all alike), all within ``--time-limit`` seconds. Each round is a
new client (its own key), so the stateful detector sees a benign stream of distinct images,
not the same images again (which it rightly flags). Prints p50 / p99 latency and requests/s
beside the bare endpoint's, the time of one forward pass of the model, and — in process, per
one-image request — what each in-path detector costs beside it (the target: the detectors add
well under one forward pass).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/serve_overhead.py [--model resnet18]
        [--dataset fashion_mnist] [--requests 300] [--rounds 3] [--time-limit 120]
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
ROUNDS_MAX = 20
DETECTORS = [{"name": "energy"}, {"name": "knn_distance"}, {"name": "query_similarity"}]


def default_dataset() -> str:
    from safedl.config.profile import DatasetConfig
    from safedl.data import load_dataset
    from safedl.errors import DataError

    try:
        load_dataset(DatasetConfig(name="fashion_mnist", test_limit=10), seed=0)
    except DataError:
        return "digits"
    return "fashion_mnist"


def make_run(root: Path, model: str, dataset: str, train_limit: int, epochs: int) -> Path:
    from safedl.config.profile import Profile
    from safedl.pipeline.run import run_profile
    from safedl.pipeline.stages import BaselineStage

    profile = Profile.model_validate(
        {
            "name": "serve-bench",
            "dataset": {"name": dataset, "train_limit": train_limit},
            "model": {"name": model},
            "training": {"epochs": epochs, "batch_size": 64, "lr": 0.002},
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
    clients = {
        f"bench{r}": {"key_sha256": hash_key(f"{KEY}-{r}"), "rate": 1e6, "burst": 1_000_000}
        for r in range(ROUNDS_MAX + 1)
    }
    config = {
        "clients": clients,
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
    parser.add_argument("--model", default="small_cnn", help="built-in architecture")
    parser.add_argument("--dataset", default=None, help="default: fashion_mnist, else digits")
    parser.add_argument("--train-limit", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    rounds = min(args.rounds, ROUNDS_MAX)
    dataset = args.dataset or default_dataset()
    with tempfile.TemporaryDirectory(prefix="safedl-serve-bench-") as tmp:
        root = Path(tmp)
        run = make_run(root, args.model, dataset, args.train_limit, args.epochs)
        from safedl.data import load_dataset
        from safedl.serve.model_source import load_served_model

        model = load_served_model(run).adapter
        images = load_dataset(run_cfg(run), seed=0).test.x
        apps = {
            "bare FastAPI + torch": bare_app(model),
            "safedl serve": ours(run, root, "plain", []),
            "safedl serve + energy, knn, query_similarity": ours(run, root, "det", DETECTORS),
            "safedl serve + feature_squeezing": ours(
                run, root, "squeeze", [{"name": "feature_squeezing"}]
            ),
        }
        bodies = [[x.tolist()] for x in images[: args.requests]]
        times: dict[str, list[float]] = {k: [] for k in apps}
        deadline = time.monotonic() + args.time_limit
        with _servers(apps) as urls:
            warm = httpx.Client(headers={"X-API-Key": f"{KEY}-{ROUNDS_MAX}"})
            for k in apps:
                warm.post(f"{urls[k]}/v1/predict", json=bodies[0]).raise_for_status()
            warm.close()
            for r in range(rounds):
                client = httpx.Client(headers={"X-API-Key": f"{KEY}-{r}"})
                order = list(apps) if r % 2 == 0 else list(reversed(apps))
                for k in order:
                    for body in bodies:
                        if time.monotonic() > deadline:
                            break
                        t0 = time.perf_counter()
                        client.post(f"{urls[k]}/v1/predict", json=body).raise_for_status()
                        times[k].append(time.perf_counter() - t0)
                client.close()
        forward_ms = _median_ms(lambda: model.logits(images[:1]))
        costs = detector_cost(apps["safedl serve + energy, knn, query_similarity"], images)
    bare = sorted(times["bare FastAPI + torch"])
    print(f"model {args.model} on {dataset} {tuple(images.shape[1:])}, {_params(model):,} params")
    print(f"{'server':48} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'p50 vs bare':>12}")
    for k, v in times.items():
        if not v:
            continue
        v = sorted(v)
        p50, p99 = 1000 * v[len(v) // 2], 1000 * v[min(len(v) - 1, int(0.99 * len(v)))]
        extra = p50 - 1000 * bare[len(bare) // 2]
        print(f"{k:48} {len(v):5d} {p50:8.2f} {p99:8.2f} {len(v) / sum(v):7.0f} {extra:+11.2f}")
    print(f"one forward pass of the model (1 image): {forward_ms:.3f} ms")
    print("in process, per 1-image request (median ms, and as a share of one forward pass):")
    for name, ms in costs.items():
        print(f"  {name:34} {ms:8.3f} ms  {ms / forward_ms:6.2f}x")
    print(f"threads: {torch.get_num_threads()}; loopback, one client per round, sequential")


def _params(model: Any) -> int:
    return sum(p.numel() for p in model.module.parameters())


def _median_ms(fn: Any, n: int = 200) -> float:
    t = []
    with torch.inference_mode():
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
    return 1000 * statistics.median(t)


def detector_cost(app: Any, images: torch.Tensor, n: int = 300) -> dict[str, float]:
    """Median in-process time of the server's forward pass (with its feature hook) and of
    each detector, over ``n`` distinct one-image requests of a fresh client."""
    srv = app.state.server
    fwd: list[float] = []
    det: dict[str, list[float]] = {d.name: [] for d in srv.detectors}
    for i in range(n):
        x = images[i % len(images)][None]
        t0 = time.perf_counter()
        logits, feats = srv.forward(x)
        fwd.append(time.perf_counter() - t0)
        labels = logits.argmax(1)
        for d in srv.detectors:
            t1 = time.perf_counter()
            d.run(x, logits, feats, labels, "timing")
            det[d.name].append(time.perf_counter() - t1)
    out = {"forward pass with the feature hook": 1000 * statistics.median(fwd)}
    out.update({name: 1000 * statistics.median(v) for name, v in det.items()})
    out["all three detectors"] = sum(v for k, v in out.items() if k in det)
    return out


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
