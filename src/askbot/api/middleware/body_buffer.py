"""Reads each request body whole, within a size limit and a deadline, before the app runs."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from askbot.api.errors import error_response

# The rest of a refused body is never read: the connection cannot carry another request.
CLOSE = {"Connection": "close"}


class BodyBuffer:
    """Buffers the request body (at most ``max_bytes``, within ``timeout`` s), then replays it.

    Everything further in (the load shedder's slot, the route) starts only once the body has
    arrived whole, so a client that sends a body slowly or never finishes it holds nothing but
    its own connection, and only until the deadline: 408. A body over the limit is refused
    with 413, whether declared by ``Content-Length`` or streamed (chunked) past it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, "body_too_large", f"request body over {self.max_bytes} bytes", **CLOSE
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client left: nobody to answer
                    chunk: bytes = message.get("body", b"")
                    received += len(chunk)
                    if received > self.max_bytes:
                        await too_large(scope, receive, send)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            late = error_response(
                408,
                "body_timeout",
                f"the request body did not arrive within {self.timeout:g} s",
                **CLOSE,
            )
            await late(scope, receive, send)
            return
        whole: Message | None = {
            "type": "http.request",
            "body": b"".join(chunks),
            "more_body": False,
        }

        async def replay() -> Message:
            nonlocal whole
            if whole is not None:
                message, whole = whole, None
                return message
            return await receive()  # after the body: waits for the client to disconnect

        await self.app(scope, replay, send)
