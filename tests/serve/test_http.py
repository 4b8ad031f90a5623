"""Auth, rate limit, quota, output policy, metrics and the request log, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import torch

from safedl.data import DataSplits

from .conftest import ADMIN, ALICE, BOB


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_auth_model_info_and_health(serve) -> None:
    with serve() as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.post(f"{url}/v1/predict", json=[[[[0.0] * 8] * 8]]).status_code == 401
        r = httpx.post(f"{url}/v1/predict", json=[[[[0.0] * 8] * 8]], headers=_auth("nope"))
        assert r.status_code == 403 and r.json() == {"error": "invalid API key"}
        info = httpx.get(f"{url}/v1/model", headers={"X-API-Key": ALICE}).json()
        assert info["input_shape"] == [1, 8, 8] and len(info["classes"]) == 10
        assert info["model_id"] and info["name"] == "baseline"
        assert httpx.get(f"{url}/docs").status_code == 404  # docs off by default
        assert httpx.get(f"{url}/openapi.json").status_code == 404
        assert httpx.get(f"{url}/metrics", headers=_auth(ALICE)).status_code == 403
        assert httpx.get(f"{url}/metrics").status_code == 401
        metrics = httpx.get(f"{url}/metrics", headers=_auth(ADMIN))
        assert metrics.status_code == 200 and "safedl_requests" in metrics.text


def test_predictions_match_the_model_and_log_lines(serve, digits: DataSplits, run_dir, tmp_path):
    from safedl.serve.model_source import load_served_model

    model = load_served_model(run_dir).adapter
    x = digits.test.x[:16]
    with serve() as url:
        r = httpx.post(f"{url}/v1/predict", json=x.tolist(), headers=_auth(ALICE))
    assert r.status_code == 200
    body = r.json()
    assert body["labels"] == model.predict(x).tolist()
    assert torch.allclose(torch.tensor(body["scores"]), model.predict_proba(x), atol=1e-5)
    lines = [json.loads(s) for s in (tmp_path / "requests.jsonl").read_text().splitlines()]
    assert lines[-1]["client"] == "alice" and lines[-1]["n"] == 16
    assert lines[-1]["prediction"] == body["labels"] and len(lines[-1]["inputs"]) == 16
    assert lines[-1]["decision"] == "answered"


@pytest.mark.parametrize(
    ("output", "keys"),
    [({"mode": "label"}, {"labels"}), ({"mode": "topk", "k": 2}, {"labels", "scores"})],
)
def test_output_policy(serve, digits: DataSplits, output, keys) -> None:
    x = digits.test.x[:4].tolist()
    with serve(output=output) as url:
        body = httpx.post(f"{url}/v1/predict", json=x, headers=_auth(ALICE)).json()
        info = httpx.get(f"{url}/v1/model", headers=_auth(ALICE)).json()
    assert set(body) == keys and info["output"]["mode"] == output["mode"]
    if "scores" in body:
        assert all(sum(v > 0 for v in row) <= 2 for row in body["scores"])


def test_rate_limit_holds_under_concurrency(serve, digits: DataSplits) -> None:
    """bob: a bucket of 3 at 0.5/s; 20 concurrent requests get 3 answers at most."""
    x = digits.test.x[:1].tolist()

    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(headers=_auth(BOB), timeout=30) as client:
            return await asyncio.gather(
                *(client.post(f"{url}/v1/predict", json=x) for _ in range(20))
            )

    with serve() as url:
        codes = [r.status_code for r in asyncio.run(burst(url))]
        limited = [r for r in asyncio.run(burst(url)) if r.status_code == 429]
    assert codes.count(200) <= 4 and codes.count(429) >= 16 and set(codes) <= {200, 429}
    assert limited and int(limited[0].headers["Retry-After"]) >= 1


def test_quota(serve, digits: DataSplits) -> None:
    with serve(clients={"alice": {"key_sha256": _hash(ALICE), "quota": 5}}) as url:
        x = digits.test.x[:4].tolist()
        assert httpx.post(f"{url}/v1/predict", json=x, headers=_auth(ALICE)).status_code == 200
        r = httpx.post(f"{url}/v1/predict", json=x, headers=_auth(ALICE))
    assert r.status_code == 429 and "Retry-After" not in r.headers


def _hash(key: str) -> str:
    from safedl.serve.config import hash_key

    return hash_key(key)


def test_png_upload_single_and_multipart(serve, digits: DataSplits, tmp_path: Path) -> None:
    import io

    from PIL import Image

    def png(x: torch.Tensor) -> bytes:
        buf = io.BytesIO()
        Image.fromarray((x[0] * 255).round().byte().numpy(), mode="L").save(buf, "PNG")
        return buf.getvalue()

    x = digits.test.x[:3]
    with serve() as url:
        one = httpx.post(
            f"{url}/v1/predict",
            content=png(x[0]),
            headers={**_auth(ALICE), "Content-Type": "image/png"},
        )
        many = httpx.post(
            f"{url}/v1/predict",
            files=[("file", (f"{i}.png", png(x[i]), "image/png")) for i in range(3)],
            headers=_auth(ALICE),
        )
        exact = httpx.post(
            f"{url}/v1/predict",
            json=((x * 255).round() / 255).tolist(),
            headers=_auth(ALICE),
        )
    assert one.status_code == 200 and many.status_code == 200
    assert many.json()["labels"] == exact.json()["labels"]
    assert one.json()["labels"] == exact.json()["labels"][:1]
