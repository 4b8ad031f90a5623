"""Prometheus metrics of the server (a registry per app; multiprocess mode when asked).

With several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (``safedl serve
--workers N`` does): each worker writes its samples there and ``/metrics`` aggregates them.
"""

from __future__ import annotations

import os
from typing import Any

from safedl.serve.deps import require


class Metrics:
    """Requests, images, flags and latency, by client."""

    def __init__(self) -> None:
        prom = require("prometheus_client")
        self._prom = prom
        self.registry = prom.CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        reg = None if self.multiprocess else self.registry
        self.requests = prom.Counter(
            "safedl_requests", "Prediction requests", ["client", "status"], registry=reg
        )
        self.images = prom.Counter("safedl_images", "Images answered", ["client"], registry=reg)
        self.flags = prom.Counter(
            "safedl_flags", "Requests flagged", ["detector", "client"], registry=reg
        )
        self.latency = prom.Histogram(
            "safedl_request_seconds",
            "Prediction latency",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=reg,
        )

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        prom = self._prom
        registry: Any = self.registry
        if self.multiprocess:
            registry = prom.CollectorRegistry()
            require("prometheus_client.multiprocess").MultiProcessCollector(registry)
        return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST


__all__ = ["Metrics"]
