"""Strict parsing of prediction requests into ``[N, C, H, W]`` float32 images in ``[0, 1]``.

Accepted bodies: ``application/json`` (an array of images, or ``{"inputs": array}``; one
image of shape ``[C, H, W]`` is a batch of one), ``image/png`` or ``image/jpeg`` (one image) and
``multipart/form-data`` (one or more PNG/JPEG files). Anything else — wrong content type,
shape, dtype, range, NaN or infinite values, undecodable bytes, too many images — is refused
with :class:`InputRejected`: a status code and a short message that names what is wrong and
nothing about the server (no traceback, path or version).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import numpy as np
import torch
from torch import Tensor

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}


class InputRejected(Exception):
    """A request the server refuses: an HTTP status and a short, safe message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class InputSpec:
    """What the served model takes."""

    shape: tuple[int, int, int]
    max_batch: int
    max_image_pixels: int


def _no_constants(name: str) -> Any:
    raise InputRejected(422, f"input contains {name}; values must be finite numbers in [0, 1]")


def from_json(body: bytes, spec: InputSpec) -> Tensor:
    """Images from a JSON array (or ``{"inputs": array}``)."""
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except InputRejected:
        raise
    except (ValueError, RecursionError):
        raise InputRejected(400, "body is not valid JSON") from None
    if isinstance(data, dict):
        if set(data) != {"inputs"}:
            raise InputRejected(422, 'a JSON object must have exactly one key, "inputs"')
        data = data["inputs"]
    try:
        arr = np.asarray(data)
    except (ValueError, RecursionError):
        raise InputRejected(422, "inputs must be a rectangular array of numbers") from None
    if arr.dtype.kind not in "fiu":
        raise InputRejected(422, "inputs must be a rectangular array of numbers")
    return check(torch.from_numpy(arr.astype(np.float32)), spec)


def from_image(data: bytes, spec: InputSpec, expected: str | None = None) -> Tensor:
    """One ``[1, C, H, W]`` image from PNG or JPEG bytes."""
    from PIL import Image, UnidentifiedImageError

    c, h, w = spec.shape
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("PNG", "JPEG") or (expected and img.format != expected):
            raise InputRejected(415, "uploads must be PNG or JPEG images")
        if img.width * img.height > spec.max_image_pixels:
            raise InputRejected(413, "image too large")
        if (img.height, img.width) != (h, w):
            raise InputRejected(422, f"images must be {w}x{h} pixels, got {img.width}x{img.height}")
        pixels = img.convert("L" if c == 1 else "RGB")
        arr = np.asarray(pixels, dtype=np.float32) / 255.0
    except InputRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InputRejected(422, "the image cannot be decoded") from None
    x = torch.from_numpy(arr.copy())
    x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)
    if x.shape[0] != c:
        raise InputRejected(422, f"images must have {c} channel(s)")
    return x.unsqueeze(0)


def from_multipart(body: bytes, content_type: str, spec: InputSpec) -> Tensor:
    """A batch of images from ``multipart/form-data`` file parts."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    try:
        msg = BytesParser(policy=HTTP).parsebytes(head + body)
        parts = list(msg.iter_parts()) if msg.is_multipart() else []
    except Exception:  # the e-mail parser's errors are many and undocumented
        raise InputRejected(400, "malformed multipart body") from None
    files = [p for p in parts if p.get_filename() or p.get_content_type() in IMAGE_TYPES]
    if not files:
        raise InputRejected(422, "no image files in the multipart body")
    if len(files) > spec.max_batch:
        raise InputRejected(413, f"at most {spec.max_batch} images per request")
    images = []
    for part in files:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise InputRejected(422, "the image cannot be decoded")
        images.append(from_image(payload, spec))
    return check(torch.cat(images), spec)


def check(x: Tensor, spec: InputSpec) -> Tensor:
    """Shape, batch size, finiteness and range of a batch of images."""
    if x.dim() == 3:
        x = x.unsqueeze(0)
    want = list(spec.shape)
    if x.dim() != 4 or list(x.shape[1:]) != want:
        raise InputRejected(422, f"inputs must have shape [N, {', '.join(map(str, want))}]")
    if len(x) == 0:
        raise InputRejected(422, "no images in the request")
    if len(x) > spec.max_batch:
        raise InputRejected(413, f"at most {spec.max_batch} images per request")
    if not bool(torch.isfinite(x).all()):
        raise InputRejected(422, "inputs contain NaN or infinite values")
    if bool((x < 0).any() or (x > 1).any()):
        raise InputRejected(422, "input values must lie in [0, 1]")
    return x.contiguous()


def parse(body: bytes, content_type: str | None, spec: InputSpec) -> Tensor:
    """The images of a request body, by its content type."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/json":
        return from_json(body, spec)
    if kind in IMAGE_TYPES:
        return check(from_image(body, spec, IMAGE_TYPES[kind]), spec)
    if kind == "multipart/form-data":
        return from_multipart(body, content_type or "", spec)
    raise InputRejected(
        415, "content type must be application/json, image/png, image/jpeg or multipart/form-data"
    )


__all__ = ["IMAGE_TYPES", "InputRejected", "InputSpec", "check", "parse"]
