"""Load on the server: concurrent clients, fixed request count and time limit, loopback only.

Starts ``safedl serve`` as a separate process (one or two workers; plain, or with the in-path
detectors energy, k-NN and query similarity) on a model trained briefly through the pipeline,
and sends ``--requests`` one-image predictions from ``--concurrency`` concurrent asyncio
clients (each its own key, so the stateful detector sees each client's own stream), stopping
at ``--time-limit`` seconds per server. Prints throughput, p50 / p99 latency and how many
answers were not 200 (must be 0: the clients' limits are set above the load).

    .venv/bin/python benchmarks/serve_load.py [--model small_cnn] [--dataset fashion_mnist]
        [--requests 600] [--concurrency 8] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from serve_overhead import DETECTORS, default_dataset, make_run

KEY = "load-key"


def write_config(root: Path, name: str, detectors: list[dict[str, Any]], clients: int) -> Path:
    from safedl.serve.config import hash_key

    config = {
        "clients": {
            f"c{i}": {"key_sha256": hash_key(f"{KEY}-{i}"), "rate": 1e6, "burst": 1_000_000}
            for i in range(clients)
        },
        "output": {"mode": "scores"},
        "detectors": detectors,
        "log": str(root / f"{name}.jsonl"),
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(run: Path, config: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _port()
    cmd = [sys.executable, "-m", "safedl", "serve", str(run), "--port", str(port)]
    cmd += ["--config", str(config), "--workers", str(workers)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                time.sleep(2.0 if workers > 1 else 0.0)  # the other workers come up too
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def load(
    url: str, bodies: list[Any], concurrency: int, requests: int, time_limit: float
) -> dict[str, Any]:
    """Send ``requests`` bodies from ``concurrency`` clients; latencies and status counts."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + time_limit
    counter = iter(range(requests))

    async def client(i: int) -> None:
        headers = {"X-API-Key": f"{KEY}-{i}"}
        async with httpx.AsyncClient(headers=headers, timeout=30) as c:
            for n in counter:
                if time.monotonic() > deadline:
                    return
                t0 = time.perf_counter()
                r = await c.post(f"{url}/v1/predict", json=bodies[n % len(bodies)])
                latencies.append(time.perf_counter() - t0)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    start_t = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    wall = time.perf_counter() - start_t
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": wall,
        "throughput": n / wall if wall else 0.0,
        "p50_ms": 1000 * latencies[n // 2] if n else float("nan"),
        "p99_ms": 1000 * latencies[min(n - 1, int(0.99 * n))] if n else float("nan"),
        "not_200": sum(v for k, v in statuses.items() if k != 200),
        "median_ms": 1000 * statistics.median(latencies) if n else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="small_cnn")
    parser.add_argument("--dataset", default=None, help="default: fashion_mnist, else digits")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    dataset = args.dataset or default_dataset()
    with tempfile.TemporaryDirectory(prefix="safedl-serve-load-") as tmp:
        root = Path(tmp)
        run = make_run(root, args.model, dataset, 5000, 2)
        from safedl.data import load_dataset
        from safedl.profiles import load_profile

        images = load_dataset(load_profile(run / "profile.yaml").dataset, seed=0).test.x
        bodies = [[x.tolist()] for x in images[: args.requests]]
        rows = []
        for name, detectors in (("plain", []), ("detectors", DETECTORS)):
            for workers in (1, 2):
                cfg = write_config(root, f"{name}-{workers}", detectors, args.concurrency)
                proc, url = start(run, cfg, workers)
                try:
                    r = asyncio.run(
                        load(url, bodies, args.concurrency, args.requests, args.time_limit)
                    )
                finally:
                    proc.send_signal(signal.SIGINT)
                    proc.wait(timeout=60)
                rows.append((name, workers, r))
    print(f"model {args.model} on {dataset}; {args.concurrency} concurrent clients, loopback")
    head = ("workers", "n", "req/s", "p50 ms", "p99 ms", "non-200")
    print(f"{'server':28} " + " ".join(f"{h:>8}" for h in head))
    for name, workers, r in rows:
        print(
            f"{'safedl serve ' + name:28} {workers:8d} {r['requests']:8d} {r['throughput']:8.0f} "
            f"{r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['not_200']:8d}"
        )
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
