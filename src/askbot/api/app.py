"""The FastAPI app: chat, collections, feedback, health, metrics, and the widget's files.

``create_app(settings)`` is the only way to make one; ``askbot serve`` runs it under uvicorn
through ``app_from_env`` (one app per worker process).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from askbot.api.errors import install_error_handlers
from askbot.api.lifespan import worker_lifespan
from askbot.api.metrics import Metrics
from askbot.api.middleware import (
    PAGE_HEADERS,
    BodyBuffer,
    Guard,
    LoadShedder,
    RequestMetrics,
    SecurityHeaders,
    TrustedHosts,
    served_hosts,
)
from askbot.api.routes import ROUTERS
from askbot.api.schemas import ErrorBody
from askbot.api.security import AccessPolicy
from askbot.config import Settings
from askbot.embed import Embedder


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the index loads in the lifespan, so use ``with TestClient(app)``.

    ``embedder`` replaces the served encoder (tests use a fake or the torch model).

    >>> app = create_app(Settings())  # doctest: +SKIP
    """
    metrics = Metrics()
    policy = AccessPolicy(settings)
    app = FastAPI(
        title="askbot",
        version="1",
        summary="Answers free-form questions from curated FAQs, with a calibrated confidence.",
        lifespan=worker_lifespan(settings, embedder, policy.describe()),
        responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.metrics = metrics
    app.state.embedder = embedder
    app.state.service = None
    app.state.stores = None
    app.state.not_ready = "starting"
    app.state.reload_error = None
    # Middlewares wrap in reverse order of adding, so from the route outwards: the shedder
    # takes a worker slot only once the body has arrived whole; the guard decides from the
    # headers alone (key, rate, the client's own in-flight cap) before any body is read.
    app.add_middleware(LoadShedder, max_in_flight=settings.max_in_flight)
    app.add_middleware(
        BodyBuffer, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
    )
    app.add_middleware(
        Guard,
        settings=settings,
        policy=policy,
        on_caller=lambda caller: metrics.clients.labels(caller.name).inc(),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key"],
            expose_headers=[
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    app.add_middleware(TrustedHosts, hosts=served_hosts(settings))
    app.add_middleware(SecurityHeaders)
    # Starlette answers an unhandled exception outside every middleware: the 500 handler
    # adds the page headers itself.
    install_error_handlers(app, server_error_headers=PAGE_HEADERS)
    app.add_middleware(RequestMetrics, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes: settings from ``ASKBOT_*`` variables."""
    return create_app(Settings())
