"""Serving on several worker processes, each accepting connections on its own socket.

uvicorn's ``workers=N`` binds one socket in the parent and every worker accepts from it: the
worker that wakes first takes every connection then pending. Keep-alive clients (a load
balancer's upstream pool, a bot platform's HTTP client) stay on the worker they landed on, so
one burst of new connections can leave one worker with most of the traffic and the other idle.
Over eight starts with 32 connections opened at once, splits of 3/29, 9/23 and 10/22 came up
here. The busier worker's clients then wait ~twice as long, and with 32/0 half the cores idle.

So on Linux each worker binds its own socket to the same address with ``SO_REUSEPORT``, and the
kernel hashes every new connection to one of the group's sockets, whichever worker is awake
(16 ± 3 of 32, independent of timing). The parent only supervises: it restarts a worker that
dies after it started and stops everything when one cannot start (the same app would fail
again), and on SIGINT/SIGTERM it lets the workers shut down gracefully (they finish requests in
flight and flush the question log). Elsewhere (macOS and the BSDs do not balance a
``SO_REUSEPORT`` group this way), and with one worker, it is uvicorn's own ``run``.

With ``pin``, worker i (and every thread it starts) runs on the i-th CPU the server may use,
so a worker's event loop, request threads and encoder share one core's caches and never chase
each other across cores. On this 2-core machine (benchmarks/bench_http.py --pin-workers) that
raised c=32 throughput by 10-20 % while each request held a pool thread; since the chat route
became a coroutine, pinned and not pinned measure within noise of each other. But a
pinned worker cannot move off a core that other work is using, and in a container limited by
CPU quota rather than its own cpuset the CPUs it may use are the whole host's: so it is off by
default, for machines and cpusets whose cores serve askbot alone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from askbot.errors import ConfigError

logger = logging.getLogger("askbot.serve")

# How long a stopped worker may take to finish its requests and flush before it is killed.
SHUTDOWN_GRACE_SECONDS = 30.0


def serve(
    app: str, *, host: str, port: int, workers: int, pin: bool = False, **options: Any
) -> None:
    """Run the ASGI app factory ``app`` (``"module:function"``) on ``workers`` processes.

    ``options`` go to ``uvicorn.Config`` unchanged (log level, access log, ...). Returns when
    the server is stopped; raises ``ConfigError`` if a worker cannot start. Check the address
    first with ``check_address``.
    """
    config: dict[str, Any] = dict(options, app=app, factory=True, host=host, port=port)
    if workers == 1 or not sys.platform.startswith("linux"):
        uvicorn.run(**config, workers=workers)
        return
    if not Supervisor(config, workers, pin=pin).run():
        raise ConfigError("a worker process could not start; its error is printed above")


def check_address(host: str, port: int) -> int:
    """Fail early and clearly if ``host:port`` is taken; return the port (a free one for 0)."""
    with socket.socket(_family(host)) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port left in TIME_WAIT by a restart is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        bound: int = probe.getsockname()[1]
        return bound


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` in a ``SO_REUSEPORT`` group; the server listens on it."""
    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Supervisor:
    """Keeps ``workers`` worker processes running until SIGINT or SIGTERM."""

    def __init__(self, config: dict[str, Any], workers: int, *, pin: bool = False) -> None:
        self.config = config
        self.workers = workers
        # The CPUs to pin worker slots to, in order; None leaves scheduling to the kernel.
        self.cpus = sorted(os.sched_getaffinity(0)) if pin else None
        self._context = multiprocessing.get_context("spawn")  # no state forked from this parent
        self._stop = threading.Event()

    def run(self) -> bool:
        """Serve until told to stop; False if a worker could not start."""
        previous = {
            stop_signal: signal.signal(stop_signal, lambda *_: self._stop.set())
            for stop_signal in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            return self._supervise()
        finally:
            for stop_signal, handler in previous.items():
                signal.signal(stop_signal, handler)

    def _supervise(self) -> bool:
        processes = [self._start(slot) for slot in range(self.workers)]
        started_fine = True
        while not self._stop.wait(0.5):
            for slot, process in enumerate(processes):
                if process.exitcode is None:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    started_fine = False
                    self._stop.set()
                    break
                logger.warning(
                    "worker %s exited with code %s; starting another", process.pid, process.exitcode
                )
                processes[slot] = self._start(slot)
        for process in processes:
            process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for process in processes:
            process.join(SHUTDOWN_GRACE_SECONDS)
            if process.exitcode is None:
                process.kill()
                process.join()
        return started_fine

    def _start(self, slot: int) -> multiprocessing.process.BaseProcess:
        cpu = None if self.cpus is None else self.cpus[slot % len(self.cpus)]
        process = self._context.Process(target=run_worker, args=(self.config, cpu), daemon=False)
        process.start()
        return process


def run_worker(config: dict[str, Any], cpu: int | None = None) -> None:
    """One worker process: its own socket in the group, then uvicorn until it is stopped."""
    if cpu is not None:
        # Affinity is per thread and inherited by new ones; a thread some native library
        # started at import time already exists, so set every current thread's.
        for thread_id in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(thread_id), {cpu})
    server = uvicorn.Server(uvicorn.Config(**config))
    try:
        server.run(sockets=[reuse_port_socket(config["host"], config["port"])])
    finally:
        if not server.started:
            sys.exit(STARTUP_FAILURE)  # the supervisor stops rather than restart it in a loop


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
