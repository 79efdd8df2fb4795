"""Prometheus metrics: request counts and latency by route, chat decisions and their latency,
how late the event loop runs (a worker's requests all wait while it is held up) and how long
the store held it.

With several uvicorn workers, ``PROMETHEUS_MULTIPROC_DIR`` makes every worker write its
samples to files that ``/metrics`` aggregates, whichever worker serves the scrape.
"""

from __future__ import annotations

import asyncio
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
# Store calls on the loop take well under a millisecond, so the first bounds are finer.
STORE_BUCKETS = (0.0005, 0.001, *LATENCY_BUCKETS)
LOOP_LAG_INTERVAL = 0.1  # seconds between the loop-lag probe's wake-ups


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

        self.loop_lag = Histogram(
            "askbot_event_loop_lag_seconds",
            f"How much later than asked the event loop woke a {LOOP_LAG_INTERVAL:g} s sleep: "
            "time every request of the worker waited on blocking work.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.store_on_loop = Histogram(
            "askbot_store_on_loop_seconds",
            "How long one store call held the event loop (a session read or write tried on "
            "the loop, a question logged).",
            buckets=STORE_BUCKETS,
            registry=self.registry,
        )

    async def probe_loop_lag(self) -> None:
        """Observe the event loop's lag every ``LOOP_LAG_INTERVAL`` until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + LOOP_LAG_INTERVAL
            await asyncio.sleep(LOOP_LAG_INTERVAL)
            self.loop_lag.observe(max(0.0, loop.time() - asked))

    def render(self) -> bytes:
        """The exposition text, aggregated over workers when running multi-process."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))
