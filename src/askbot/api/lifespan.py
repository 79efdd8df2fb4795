"""A worker's life: load the service at start, swap in every newly published build, close.

The worker stays up when the index cannot load and says why on ``/readyz``, rather than
crash-looping under a supervisor.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from askbot.config import Settings
from askbot.embed import Embedder
from askbot.errors import AskbotError
from askbot.index import FaqIndex
from askbot.reload import IndexWatcher
from askbot.service import Service, open_service, open_stores, service_over, serving_embedder

log = logging.getLogger("askbot.api")


def worker_lifespan(
    settings: Settings, embedder: Embedder | None, describe_access: str
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan of one app: ``embedder`` replaces the served encoder (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = None
        app.state.stores = None
        app.state.not_ready = "starting"
        app.state.reload_error = None
        log.warning("%s", describe_access)
        try:
            app.state.service = open_service(settings, embedder=embedder, serving=True)
            app.state.stores = open_stores(settings)
            app.state.not_ready = None
            freeze_heap()
        except AskbotError as exc:
            app.state.not_ready = str(exc)
            log.error("askbot is not ready: %s", exc)
        watcher = _watch_index(app, settings, embedder)
        watcher.start()
        yield
        watcher.stop()
        if app.state.stores is not None:
            app.state.stores.close()

    return lifespan


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

    def current() -> str | None:
        service: Service | None = app.state.service
        return service.index.manifest.build_id if service is not None else None

    def swap(index: FaqIndex) -> None:
        # One reference assignment: a request keeps the Service it started with.
        app.state.service = service_over(index, embedder_now(), settings)
        if app.state.stores is None:
            app.state.stores = open_stores(settings)
        app.state.not_ready = None
        app.state.reload_error = None
        freeze_heap()

    def failed(reason: str) -> None:
        app.state.reload_error = reason

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
