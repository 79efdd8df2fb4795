"""Sheds load: past the in-flight cap a worker answers 503 at once instead of queueing."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from askbot.api.errors import error_response
from askbot.api.middleware.guard import UNGUARDED


class LoadShedder:
    """Answers 503 with ``Retry-After: 1`` while ``max_in_flight`` requests are being handled.

    It sits behind ``BodyBuffer``: a request takes a slot only once its whole body has
    arrived, so clients that send a body slowly, or never finish it, hold no slot.
    """

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app, self.max_in_flight = app, max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            refused = error_response(
                503, "overloaded", "server busy, retry shortly", **{"Retry-After": "1"}
            )
            await refused(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
