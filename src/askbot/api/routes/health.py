"""Probes and the scrape: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from askbot.api.deps import MetricsDep
from askbot.api.schemas import Health
from askbot.errors import StoreError
from askbot.service import Service, Stores

log = logging.getLogger("askbot.api")
router = APIRouter(tags=["health"])
STORE_FAILING = "the session or question store is failing to write (details in the log)"


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> Response:
    """The index is loaded and the stores take writes: questions can be answered.

    A plain reason when not; the details (paths, raw errors) are in the log.
    """
    service: Service | None = request.app.state.service
    stores: Stores | None = request.app.state.stores
    reason = request.app.state.not_ready if service is None else request.app.state.stores_problem
    if stores is not None and reason is None:
        try:
            stores.sessions.check()
            stores.journal.check()
        except StoreError as exc:
            log.warning("not ready: %s", exc)
            reason = STORE_FAILING
    if service is None or stores is None or reason is not None:
        body = Health(status="not ready", reason=reason or "starting")
        return JSONResponse(body.model_dump(), status_code=503)
    body = Health(
        status="ready", index=service.index.manifest.build_id, reason=request.app.state.reload_error
    )
    return JSONResponse(body.model_dump())


@router.get("/metrics", response_class=Response)
def prometheus(metrics: MetricsDep) -> Response:
    """Prometheus exposition."""
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")
