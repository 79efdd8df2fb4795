"""The demo article page and the widget's files."""

from __future__ import annotations

import html
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from askbot.api.deps import SettingsDep
from askbot.api.errors import ApiError
from askbot.api.middleware.security_headers import PAGE_HEADERS
from askbot.service import Service

router = APIRouter(include_in_schema=False)


@router.get("/widget.js")
def widget() -> Response:
    """The widget a page embeds with one script tag."""
    return Response(
        _web_file("widget.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/demo.css")
def demo_css() -> Response:
    """The demo page's stylesheet."""
    return Response(_web_file("demo.css"), media_type="text/css; charset=utf-8")


@router.get("/", response_class=HTMLResponse)
def demo(request: Request, settings: SettingsDep, collection: str | None = None) -> HTMLResponse:
    """The demo article page; ``?collection=ID`` previews another collection's widget."""
    service: Service | None = request.app.state.service
    chosen = None
    if service is not None and service.index.collections:
        if collection is not None and collection not in service.index.collection_ids():
            raise ApiError(404, "unknown_collection", "unknown collection")
        wanted = collection or settings.demo_collection
        chosen = next(
            (c for c in service.index.collections if c.id == wanted),
            service.index.collections[0],
        )
    page = _web_file("demo.html").decode()
    values = {
        "title": chosen.title if chosen else "askbot",
        "summary": chosen.summary if chosen else "askbot is not ready yet.",
        "collection": chosen.id if chosen else "",
    }
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return HTMLResponse(page, headers=PAGE_HEADERS)


def _web_file(name: str) -> bytes:
    return resources.files("askbot").joinpath("web", name).read_bytes()
