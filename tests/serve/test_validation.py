"""Strict input validation over HTTP: every malformed request gets a 4xx, never a 5xx, and
the server keeps answering; messages leak no traceback, path or version."""

from __future__ import annotations

import io
import random

import httpx
import pytest
import torch

from safedl.data import DataSplits

from .conftest import ALICE

H = {"Authorization": f"Bearer {ALICE}"}


def _png(side: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (side, side)).save(buf, "PNG")
    return buf.getvalue()


CASES = [
    ("wrong shape", b"[[[0.5, 0.5]]]", "application/json", 422),
    (
        "NaN",
        b"[[[" + b",".join([b"[" + b",".join([b"NaN"] * 8) + b"]"] * 8) + b"]]]",
        "application/json",
        422,
    ),
    ("Infinity", b'{"inputs": [[[[Infinity]]]]}', "application/json", 422),
    (
        "overflow to inf",
        b"[[[" + b",".join([b"[" + b",".join([b"1e999"] * 8) + b"]"] * 8) + b"]]]",
        "application/json",
        422,
    ),
    ("out of range", None, "application/json", 422),
    ("strings", b'[[["a"]]]', "application/json", 422),
    ("ragged", b"[[[[0.1], [0.1, 0.2]]]]", "application/json", 422),
    ("not json", b"{nope", "application/json", 400),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    ("random bytes as png", bytes(range(256)) * 4, "image/png", 422),
    ("png of the wrong size", _png(28), "image/png", 422),
    ("wrong content type", b"hello", "text/plain", 415),
    ("no content type", b"[]", "", 415),
    ("huge body", b"0" * (2 << 20), "application/json", 413),
    ("empty batch", b"[]", "application/json", 422),
    ("object with other keys", b'{"x": 1}', "application/json", 422),
    (
        "multipart without files",
        b"--b\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        422,
    ),
]


def test_malformed_requests_are_4xx_and_leak_nothing(serve, digits: DataSplits, run_dir) -> None:
    good = digits.test.x[:2].tolist()
    with serve(limits={"max_body_bytes": 1 << 20, "max_batch": 8}) as url:
        for name, body, ctype, status in CASES:
            if body is None:
                body = str((digits.test.x[:1] * 2).tolist()).encode()
            headers = {**H, "Content-Type": ctype} if ctype else dict(H)
            if not ctype:
                headers["Content-Type"] = ""
            r = httpx.post(f"{url}/v1/predict", content=body, headers=headers, timeout=30)
            assert r.status_code == status, (name, r.status_code, r.text)
            text = r.text.lower()
            assert set(r.json()) == {"error"} and len(r.json()["error"]) < 120, (name, r.text)
            for leak in ("traceback", ".py", "site-packages", "python", "safedl", str(run_dir)):
                assert leak.lower() not in text, (name, r.text)
            assert httpx.post(f"{url}/v1/predict", json=good, headers=H).status_code == 200
        too_many = digits.test.x[:9].tolist()
        assert httpx.post(f"{url}/v1/predict", json=too_many, headers=H).status_code == 413
        assert "server" not in {k.lower() for k in r.headers}


@pytest.mark.parametrize("seed", [0])
def test_bounded_fuzz_never_5xx(serve, digits: DataSplits, seed: int) -> None:
    """200 random bodies (bytes, truncated JSON, JSON of odd values) × content types."""
    rng = random.Random(seed)
    base = str(digits.test.x[:1].tolist()).encode()
    types = ["application/json", "image/png", "image/jpeg", "multipart/form-data; boundary=x"]
    types += ["application/octet-stream", "text/html"]
    codes: list[int] = []
    with (
        serve(limits={"max_body_bytes": 65536, "max_batch": 8}) as url,
        httpx.Client(headers=H, timeout=30) as client,
    ):
        for i in range(200):
            kind = i % 4
            if kind == 0:
                body = rng.randbytes(rng.randrange(0, 4096))
            elif kind == 1:
                body = base[: rng.randrange(0, len(base))]
            elif kind == 2:
                cut = bytearray(base)
                for _ in range(rng.randrange(1, 10)):
                    cut[rng.randrange(len(cut))] = rng.choice(b'-e9.[],"NaI0x ')
                body = bytes(cut)
            else:
                body = str(torch.rand(rng.randrange(1, 3), 1, 8, 8).mul(3).sub(1).tolist())
                body = body.encode()
            r = client.post(
                f"{url}/v1/predict", content=body, headers={"Content-Type": rng.choice(types)}
            )
            codes.append(r.status_code)
        assert client.get(f"{url}/healthz").status_code == 200
    assert all(c < 500 for c in codes), sorted(set(codes))
    assert any(400 <= c < 500 for c in codes)


def test_slow_body_gets_408_and_server_stays_up(serve, digits: DataSplits) -> None:
    """A client that declares a body and never sends it is cut off after body_timeout_s."""
    import socket
    from urllib.parse import urlparse

    with serve(limits={"body_timeout_s": 0.5}) as url:
        u = urlparse(url)
        with socket.create_connection((u.hostname, u.port), timeout=10) as s:
            s.sendall(
                b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {ALICE}\r\nContent-Length: 1000\r\n\r\n[".encode()
            )
            reply = s.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 408")
        good = digits.test.x[:1].tolist()
        assert httpx.post(f"{url}/v1/predict", json=good, headers=H).status_code == 200
