"""The HTTP/1.1 connection handling askbot serves with: h11, with bounded request heads.

uvicorn's h11 protocol closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``) and bounds what it buffers of an *incomplete* head
(``h11_max_incomplete_event_size``), but a larger head that arrives in one read is accepted,
and nothing bounds the time a head takes: a client that opens a connection and sends nothing,
or trickles a header a byte at a time, holds the connection and its buffer for ever.
``BoundedH11Protocol`` adds both bounds; ``http_options`` turns the settings into uvicorn's
options.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from askbot.config import Settings


def http_options(settings: Settings) -> dict[str, Any]:
    """The ``uvicorn.Config`` options for serving under ``settings`` (protocol, limits, proxy)."""
    proxies = list(settings.forwarded_allow_ips)
    return {
        # A partial of a module-level class: it pickles, so spawned workers get it too.
        "http": functools.partial(
            BoundedH11Protocol,
            header_timeout=settings.header_timeout_seconds,
            max_head_bytes=settings.max_header_bytes,
        ),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.idle_timeout_seconds,
        # X-Forwarded-For / -Proto are believed only from these proxies; none by default,
        # so the client is the TCP peer (uvicorn's own default trusts 127.0.0.1).
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }


# The blank line that ends a request head (h11 accepts bare LF line ends too).
HEAD_END = re.compile(rb"\n\r?\n")


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a size limit and a deadline on every request head.

    A head over ``max_head_bytes`` gets 431 and the connection is closed. A connection on
    which the client owes bytes for ``header_timeout`` seconds is closed: it owes them while a
    head is due (from the connection's opening, or from the first byte of a next request) and
    while the rest of a body is due that was answered without being read (a 401 to a body
    trickled a byte at a time). Between requests uvicorn's ``timeout_keep_alive`` applies; a
    body the app reads has its own deadline (``BodyBuffer``).
    """

    def __init__(
        self, *args: Any, header_timeout: float, max_head_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout, self.max_head_bytes = header_timeout, max_head_bytes
        self.deadline: asyncio.TimerHandle | None = None
        # Bytes received towards the next head, None while none is due. An upper bound: the
        # body may come in the same read.
        self.head_bytes: int | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.head_bytes is not None:
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head_bytes and self._head_too_large(data):
                self._refuse_head()
                return
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def _head_too_large(self, data: bytes) -> bool:
        # Only past the bound (a large head, or a body in the same read): measure exactly.
        pending = self.conn.trailing_data[0] + data
        end = HEAD_END.search(pending, 0, self.max_head_bytes + 1)
        return end is None or end.end() > self.max_head_bytes

    def _refuse_head(self) -> None:
        body = (
            b'{"error":{"code":"header_too_large","message":"request head over '
            + str(self.max_head_bytes).encode()
            + b' bytes"}}'
        )
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\nconnection: close\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        self._disarm()
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.write(head + body)
        self.transport.close()

    def _owes_bytes(self) -> bool:
        if self.conn.their_state is h11.IDLE:
            # Part of a head has come, or nothing has and no keep-alive timer runs (a new
            # connection, or one whose unread body ended after its response).
            return bool(self.head_bytes) or self.timeout_keep_alive_task is None
        return self.conn.their_state is h11.SEND_BODY and self.conn.our_state is h11.DONE

    def _watch(self) -> None:
        if self.conn.their_state is not h11.IDLE:
            self.head_bytes = None
        elif self.head_bytes is None:
            self.head_bytes = len(self.conn.trailing_data[0])  # a pipelined head's start
        if not self._owes_bytes():
            self._disarm()
        elif self.deadline is None:
            self.deadline = self.loop.call_later(self.header_timeout, self._too_late)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_late(self) -> None:
        self.deadline = None
        if self._owes_bytes() and not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()
