"""What a route depends on, read from the app's state: settings, metrics, service and stores.

The dependencies are coroutines although they never await: FastAPI runs a plain ``def``
dependency in its threadpool, a hand-off to a pool thread and back for one attribute read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from askbot.api.errors import ApiError
from askbot.api.metrics import Metrics
from askbot.config import Settings
from askbot.service import Service, Stores


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_service(request: Request) -> Service:
    """The loaded service, or 503 while the index is not loaded (the reason is in the log)."""
    found: Service | None = request.app.state.service
    if found is None:
        raise not_ready(request.app.state.not_ready)
    return found


async def get_stores(request: Request) -> Stores:
    """The session store and the journal, or 503 while they are not open."""
    found: Stores | None = request.app.state.stores
    if found is None:
        raise not_ready(request.app.state.stores_problem)
    return found


async def get_editor(request: Request) -> str:
    """The name of the admin key an admin route was called with (the Guard checked it)."""
    caller = getattr(request.state, "caller", None)
    if caller is None or not caller.admin:  # a route outside /v1/admin/ asked for an editor
        raise ApiError(403, "forbidden", "an admin key is required")
    name: str = caller.name
    return name


def not_ready(reason: str | None) -> ApiError:
    """The 503 of a worker that cannot answer yet: a plain reason, never a path or raw error."""
    return ApiError(503, "not_ready", f"askbot is not ready: {reason or 'starting'}")


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ServiceDep = Annotated[Service, Depends(get_service)]
StoresDep = Annotated[Stores, Depends(get_stores)]
EditorDep = Annotated[str, Depends(get_editor)]
