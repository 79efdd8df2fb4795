"""Prometheus metrics: request counts and latency by route, chat decisions and their latency.

With several uvicorn workers, ``PROMETHEUS_MULTIPROC_DIR`` makes every worker write its
samples to files that ``/metrics`` aggregates, whichever worker serves the scrape.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class Metrics:
    """The metrics of one app instance (own registry, so tests can make many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "askbot_http_requests_total",
            "HTTP requests.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "askbot_http_request_seconds",
            "HTTP request latency.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "askbot_chat_decisions_total",
            "Chat replies by decision.",
            ["decision"],
            registry=self.registry,
        )
        self.clients = Counter(
            "askbot_client_requests_total",
            "Requests to /v1 by client (API key name, browser, anonymous or admin).",
            ["client"],
            registry=self.registry,
        )
        self.chat_latency = Histogram(
            "askbot_chat_seconds",
            "Chat latency by decision.",
            ["decision"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text, aggregated over workers when running multi-process."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))
