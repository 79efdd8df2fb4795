"""Load at about twice the measured capacity: overload is shed (503), nothing else fails.

A bounded load generator (threads over stdlib ``http.client``): first a closed loop measures what the server sustains, then
an open loop offers twice that for 30 s. Accepted requests must stay fast (the in-flight cap
keeps queues short), the only 5xx allowed is the deliberate 503, and the workers' memory must
not grow.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.servers import Server, running_server

QUESTIONS = [
    "How do I renew my passport?",
    "why are Seoul and Tokyo getting closer?",
    "how long is a passport valid",
    "what is the weather in Paris tomorrow?",
]
SENDERS = 32  # the generator's bound: at most this many requests outstanding


def rss_kib(pids: list[int]) -> int:
    """Total resident memory of these processes, from /proc."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


class Sender:
    """One keep-alive connection (stdlib http.client: a cheap client, so the server is measured)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def chat(self, n: int) -> int:
        # A number makes every message new, so the server's query cache cannot serve it.
        body = json.dumps({"message": f"{QUESTIONS[n % len(QUESTIONS)]} {n}"})
        try:
            self.conn.request(
                "POST", "/v1/chat", body=body, headers={"Content-Type": "application/json"}
            )
            response = self.conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            raise
        return response.status


def closed_loop(url: str, clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` back-to-back clients get served."""
    done: list[int] = []
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        sender, n = Sender(url), offset
        while time.monotonic() < deadline:
            status = sender.chat(n)
            assert status == 200, status
            done.append(1)
            n += 1

    started = time.monotonic()
    run_threads(client, clients)
    return len(done) / (time.monotonic() - started)


def open_loop(url: str, rate: float, seconds: float) -> tuple[list[float], dict[int, int], int]:
    """Offer ``rate`` requests/s for ``seconds``: accepted latencies, status counts, errors.

    Sender ``i`` owns send slots ``i, i + SENDERS, ...`` of the schedule; a sender whose
    previous request is still out sends late, so at most ``SENDERS`` requests are outstanding.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[int] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.1

    def send(i: int) -> None:
        sender, k = Sender(url), 0
        while (due := (i + k * SENDERS) / rate) < seconds:
            delay = start + due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            began = time.monotonic()
            try:
                status = sender.chat(i + k * SENDERS)
            except (OSError, http.client.HTTPException):
                errors.append(1)
            else:
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(time.monotonic() - began)
            k += 1

    run_threads(send, SENDERS)
    return latencies, statuses, len(errors)


def run_threads(target: Callable[[int], None], count: int) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.mark.slow
def test_twice_capacity_for_30s_sheds_cleanly(tmp_path: Path) -> None:
    # One address sends everything: its own in-flight cap must not be what refuses.
    settings = {"rate_limit": "", "max_in_flight": "8", "max_in_flight_per_client": "64"}
    with running_server(tmp_path, **settings) as server:
        run_load(server)


def run_load(server: Server) -> None:
    workers = server.worker_pids()
    assert len(workers) == 2
    capacity = closed_loop(server.url, clients=8, seconds=8)
    rss_before = rss_kib(workers)
    latencies, statuses, errors = open_loop(server.url, rate=2 * capacity, seconds=30)
    rss_after = rss_kib(workers)
    accepted = statuses.get(200, 0)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(
        f"\ncapacity {capacity:.1f} req/s; offered {2 * capacity:.1f} req/s for 30 s; "
        f"statuses {statuses}; transport errors {errors}; "
        f"accepted p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
        f"worker RSS {rss_before // 1024} MiB -> {rss_after // 1024} MiB"
    )
    assert errors == 0
    assert set(statuses) <= {200, 503}, statuses
    assert accepted > 0  # shedding refuses the excess, never everything
    assert rss_after < rss_before * 1.2 + 20 * 1024
    assert server.process.poll() is None
