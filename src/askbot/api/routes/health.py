"""Probes and the scrape: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from askbot.api.deps import MetricsDep
from askbot.api.schemas import Health
from askbot.service import Service

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> Response:
    """The index is loaded and questions can be answered."""
    service: Service | None = request.app.state.service
    if service is None or request.app.state.stores is None:
        body = Health(status="not ready", reason=request.app.state.not_ready)
        return JSONResponse(body.model_dump(), status_code=503)
    body = Health(
        status="ready", index=service.index.manifest.build_id, reason=request.app.state.reload_error
    )
    return JSONResponse(body.model_dump())


@router.get("/metrics", response_class=Response)
def prometheus(metrics: MetricsDep) -> Response:
    """Prometheus exposition."""
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")
