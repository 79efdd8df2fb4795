"""Clients that send slowly, too much or nothing, against the real `askbot serve` process.

Raw sockets, because an HTTP client library always finishes what it starts. Every loop is
bounded in count, and every socket read by a timeout.
"""

from __future__ import annotations

import json
import select
import socket
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

CHAT = json.dumps({"message": "why are Seoul and Tokyo getting closer?"}).encode()


def connect(server: Server, source: str = "127.0.0.1") -> socket.socket:
    """A connection to the server from the loopback address ``source``."""
    return socket.create_connection(
        ("127.0.0.1", server.port), timeout=30, source_address=(source, 0)
    )


def head(server: Server, method: str, path: str, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def start_chat(server: Server, source: str) -> socket.socket:
    """A chat request whose body stops after its first bytes."""
    sock = connect(server, source)
    sock.sendall(
        head(
            server,
            "POST",
            "/v1/chat",
            Content_Type="application/json",
            Content_Length=str(len(CHAT)),
        )
        + CHAT[:10]
    )
    return sock


def chat(server: Server, source: str) -> tuple[int, bytes]:
    """A whole chat request from ``source``: status and body."""
    with connect(server, source) as sock:
        request = head(
            server,
            "POST",
            "/v1/chat",
            Content_Type="application/json",
            Content_Length=str(len(CHAT)),
            Connection="close",
        )
        sock.sendall(request + CHAT)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and everything after the status line, until the server closes."""
    received = b""
    for _ in range(10_000):  # bounded: a response here is a few KiB
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return (int(status_line.split()[1]) if status_line else 0), rest


def closed_by_server(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (reading and dropping any data)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            try:
                if not sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True
    return False


def test_a_reader_is_served_while_64_bodies_hang(tmp_path: Path) -> None:
    # 64 unfinished bodies from 8 addresses, 8 each (the per-client cap), with the default
    # 64 slots per worker: a slot is taken only once a body has arrived, so none is held.
    with (
        running_server(tmp_path, workers=1, body_timeout_seconds="20") as server,
        ExitStack() as held,
    ):
        senders = [f"127.0.0.{n}" for n in range(10, 18)]
        hanging = [
            held.enter_context(start_chat(server, source)) for source in senders for _ in range(8)
        ]
        # A ninth from each address is over its cap, and refused at once: this also shows
        # that the server has taken in all 64 before the reader asks.
        for source in senders:
            status, body = chat(server, source)
            assert status == 429 and b"too_many_in_flight" in body, (status, body)
        status, body = chat(server, "127.0.0.2")
        assert status == 200, body
        assert json.loads(body.partition(b"\r\n\r\n")[2])["decision"] == "answer"
        # Past the body deadline each hanging request gets 408 and its connection is closed.
        status, body = read_response(hanging[0])
        assert status == 408 and b"body_timeout" in body, (status, body)


def test_heads_are_bounded_in_size_and_time_and_idle_connections_closed(tmp_path: Path) -> None:
    with (
        running_server(
            tmp_path, workers=1, header_timeout_seconds="2", idle_timeout_seconds="2"
        ) as server,
        ExitStack() as held,
    ):
        # A head under the limit (16 KiB) is served.
        with connect(server) as sock:
            sock.sendall(head(server, "GET", "/healthz", X_Pad="p" * 8000, Connection="close"))
            assert read_response(sock)[0] == 200
        # A head over it is refused with 431, arriving whole or not, and the connection closed.
        with connect(server) as sock:
            sock.sendall(head(server, "GET", "/healthz", X_Pad="p" * 20_000))
            status, body = read_response(sock)
            assert status == 431 and b"header_too_large" in body, (status, body)
        with connect(server) as sock:
            status = 0  # or the server closed the connection while the 8 MB were being sent
            try:
                sock.sendall(head(server, "GET", "/healthz", X_Big="b" * 8_000_000))
            except (BrokenPipeError, ConnectionResetError):
                pass
            else:
                status = read_response(sock)[0]
            assert status in {0, 431}, status
        # A connection that sends nothing is closed.
        silent = held.enter_context(connect(server))
        assert closed_by_server(silent, 30)
        # So is one whose head trickles in a byte at a time.
        trickle = held.enter_context(connect(server))
        request = head(server, "GET", "/healthz", X_Slow="s" * 200)
        closed = False
        for byte in request[:150]:  # 150 × 0.2 s: far past the 2 s deadline
            try:
                trickle.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(trickle, 0.2):
                closed = True
                break
        assert closed
        # And one that trickles a body the server has already refused (unknown host).
        refused = held.enter_context(connect(server))
        refused.sendall(
            head(server, "POST", "/v1/chat", Content_Length="1000").replace(
                f"Host: 127.0.0.1:{server.port}".encode(), b"Host: evil.example"
            )
        )
        assert refused.recv(65536).startswith(b"HTTP/1.1 400")
        closed = False
        for _ in range(150):
            try:
                refused.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(refused, 0.2):
                closed = True
                break
        assert closed
        # A kept-alive connection idle after its response is closed.
        idle = held.enter_context(connect(server))
        idle.sendall(head(server, "GET", "/healthz"))
        assert idle.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_by_server(idle, 30)
        # The worker still serves.
        with connect(server) as sock:
            sock.sendall(head(server, "GET", "/readyz", Connection="close"))
            assert read_response(sock)[0] == 200
