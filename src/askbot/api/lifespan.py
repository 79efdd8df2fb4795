"""A worker's life: load the service and open the stores at start, swap in every newly
published build, close.

The worker stays up when the index cannot load or a store cannot open, and says so on
``/readyz`` (a plain reason; the details go to the log), rather than crash-looping under a
supervisor. A store that cannot open (a corrupt SQLite file, Redis down) is retried in its own
thread with an exponential back-off, one log line per attempt, independently of index swaps.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from askbot.config import Settings
from askbot.embed import Embedder
from askbot.errors import (
    AskbotError,
    CorpusError,
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
    StoreError,
)
from askbot.index import FaqIndex
from askbot.reload import IndexWatcher
from askbot.service import (
    Service,
    Stores,
    open_service,
    open_stores,
    service_over,
    serving_embedder,
)

log = logging.getLogger("askbot.api")


# Seconds before the first retry to open the stores, doubling after each failure up to the cap.
STORE_RETRY_FIRST_SECONDS = 1.0
STORE_RETRY_MAX_SECONDS = 60.0
STORES_UNAVAILABLE = "the session and question stores cannot be opened (details in the log)"


def public_reason(exc: AskbotError) -> str:
    """What ``/readyz`` and a 503 may say about ``exc``: its kind, never its paths or raw text."""
    if isinstance(exc, IndexMissingError):
        return "no index has been built (run: askbot build)"
    if isinstance(exc, IndexStaleError | CorpusError):
        return "the index is out of date: rebuild it (details in the log)"
    if isinstance(exc, IndexModelError):
        return "the index was built with another embedding model (details in the log)"
    if isinstance(exc, IndexCorruptError):
        return "the index is damaged (details in the log)"
    if isinstance(exc, StoreError):
        return STORES_UNAVAILABLE
    return "askbot could not load its index (details in the log)"


def worker_lifespan(
    settings: Settings, embedder: Embedder | None, describe_access: str
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of one app: ``embedder`` replaces the served encoder (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = None
        app.state.stores = None
        app.state.not_ready = "starting"
        app.state.stores_problem = None
        app.state.reload_error = None
        log.warning("%s", describe_access)
        try:
            app.state.service = open_service(settings, embedder=embedder, serving=True)
            app.state.not_ready = None
        except AskbotError as exc:
            app.state.not_ready = public_reason(exc)
            log.error("askbot is not ready: %s", exc)

        def publish(stores: Stores | None) -> None:
            app.state.stores = stores
            app.state.stores_problem = None if stores is not None else STORES_UNAVAILABLE

        opener = StoreOpener(
            lambda: open_stores(settings),
            publish,
            first_delay=STORE_RETRY_FIRST_SECONDS,
            max_delay=STORE_RETRY_MAX_SECONDS,
        )
        opener.open_or_retry()
        if app.state.service is not None:
            freeze_heap()
        watcher = _watch_index(app, settings, embedder)
        watcher.start()
        lag_probe = asyncio.create_task(app.state.metrics.probe_loop_lag())
        yield
        lag_probe.cancel()
        watcher.stop()
        opener.stop()
        if app.state.stores is not None:
            app.state.stores.close()

    return lifespan


class StoreOpener:
    """Opens the stores now, or keeps retrying in a thread with a capped exponential back-off.

    ``publish`` receives the stores once open, or ``None`` after each failed attempt.
    """

    def __init__(
        self,
        open_stores: Callable[[], Stores],
        publish: Callable[[Stores | None], None],
        *,
        first_delay: float = STORE_RETRY_FIRST_SECONDS,
        max_delay: float = STORE_RETRY_MAX_SECONDS,
    ) -> None:
        self._open, self._publish = open_stores, publish
        self.first_delay, self.max_delay = first_delay, max_delay
        self.attempts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open_or_retry(self) -> None:
        """Try once now; on failure, retry in the background until open or stopped."""
        if not self._attempt(self.first_delay):
            self._thread = threading.Thread(
                target=self._retry, name="askbot-store-open", daemon=True
            )
            self._thread.start()

    def _attempt(self, next_delay: float) -> bool:
        self.attempts += 1
        try:
            stores = self._open()
        except AskbotError as exc:
            # One line, no traceback: the same error repeats on every attempt.
            log.error("stores not opened (attempt %d), retrying in %g s: %s",
                      self.attempts, next_delay, exc)  # fmt: skip
            self._publish(None)
            return False
        self._publish(stores)
        if self.attempts > 1:
            log.warning("stores opened after %d attempts", self.attempts)
        return True

    def _retry(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay):
            delay = min(delay * 2, self.max_delay)
            if self._attempt(delay):
                return

    def stop(self) -> None:
        """Stop retrying and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _watch_index(app: FastAPI, settings: Settings, given: Embedder | None) -> IndexWatcher:
    """A watcher that swaps each newly published build into ``app.state.service``."""
    lock = threading.Lock()
    loaded: list[Embedder] = [given] if given is not None else []

    def embedder_now() -> Embedder:
        service: Service | None = app.state.service
        if service is not None:
            return service.embedder
        with lock:
            if not loaded:
                loaded.append(serving_embedder(settings))
            return loaded[0]

    def current() -> FaqIndex | None:
        service: Service | None = app.state.service
        return service.index if service is not None else None

    def swap(index: FaqIndex) -> None:
        # One reference assignment: a request keeps the Service it started with.
        replaced: Service | None = app.state.service
        app.state.service = service_over(
            index, embedder_now(), settings, serving=True, previous=replaced
        )
        app.state.not_ready = None
        app.state.reload_error = None
        freeze_heap()

    def failed(build_id: str, exc: AskbotError) -> None:
        app.state.reload_error = (
            f"build {build_id[:100]} was not loaded, still serving the previous one: "
            f"{public_reason(exc)}"
        )

    return IndexWatcher(settings, current, swap, failed, model_id=lambda: embedder_now().model_id)


def freeze_heap() -> None:
    """Keep the loaded index out of the cyclic garbage collector's full passes.

    A loaded index is ~10^5 tracked objects that a full collection would walk with the GIL held,
    stalling every request in flight; frozen, a pass walks only what requests created since.
    Called again after each swap; unfreezing first lets a collection see the old index's cycles.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
