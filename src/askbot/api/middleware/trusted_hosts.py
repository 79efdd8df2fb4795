"""Serves only requests addressed to one of askbot's own host names (a DNS-rebinding guard)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from askbot.api.errors import error_response
from askbot.api.middleware.guard import UNGUARDED
from askbot.config import Settings


def served_hosts(settings: Settings) -> list[str]:
    """``ASKBOT_ALLOWED_HOSTS``, else the bound address, ``localhost`` and ``127.0.0.1``."""
    if settings.allowed_hosts:
        return list(settings.allowed_hosts)
    return [settings.host, "localhost", "127.0.0.1"]


def host_name(host: str) -> str:
    """The name in a ``Host`` header, without its port, lower-cased.

    >>> host_name("FAQ.example.com:8000"), host_name("[::1]:8000"), host_name("::1")
    ('faq.example.com', '[::1]', '[::1]')
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    if host.count(":") > 1:  # a bare IPv6 address, as a setting may give it
        return f"[{host}]"
    return host.split(":", 1)[0]


class TrustedHosts:
    """Answers 400 ``host_not_allowed`` when ``Host`` is not one of ``hosts`` (any port).

    A page on an attacker's domain that re-resolves that domain to askbot's address makes
    the browser send the attacker's name as ``Host``: refusing unknown names keeps such a page
    from reading answers as if it were same-origin. ``*.example.com`` allows every subdomain,
    ``*`` every name. The probes and the scrape (``/healthz``, ``/readyz``, ``/metrics``) are
    exempt: orchestrators address them by IP, and they carry no user data.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        names = {host_name(h) for h in hosts}
        self.any = "*" in names
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))
        self.names = frozenset(n for n in names if not n.startswith("*"))

    def allows(self, host: str) -> bool:
        """Whether a request with this ``Host`` header is served."""
        name = host_name(host)
        return self.any or name in self.names or (bool(name) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED:
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if not self.allows(host):
            refused = error_response(
                400, "host_not_allowed", "this server does not serve that host name"
            )
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)
