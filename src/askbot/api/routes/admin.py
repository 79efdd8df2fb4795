"""``/v1/admin/reload``: rebuild from the corpus in the background (admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from askbot.api.deps import SettingsDep
from askbot.api.errors import ApiError
from askbot.api.schemas import ErrorBody
from askbot.errors import ReloadBusyError
from askbot.reload import ReloadStatus, read_status, start_rebuild
from askbot.service import Service

router = APIRouter(tags=["admin"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})


@router.post(
    "/v1/admin/reload",
    response_model=ReloadStatus,
    status_code=202,
    responses={409: {"model": ErrorBody}},
)
def reload(request: Request, settings: SettingsDep) -> ReloadStatus:
    """Rebuild the index from the corpus in the background; poll the GET."""
    service: Service | None = request.app.state.service
    embedder = service.embedder if service is not None else request.app.state.embedder
    try:
        return start_rebuild(settings, embedder)
    except ReloadBusyError as exc:
        raise ApiError(409, "reload_running", str(exc)) from None


@router.get("/v1/admin/reload", response_model=ReloadStatus)
def reload_status(settings: SettingsDep) -> ReloadStatus:
    """The state of the last rebuild; workers swap a new build in within a second or so."""
    return read_status(settings.index_dir)
