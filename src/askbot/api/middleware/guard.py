"""The gate in front of the API: access control, per-client rate limits and in-flight caps.

One pure ASGI middleware that decides from the headers alone, before any body is read: a
caller without a key gets 401, a caller over its rate gets 429 with ``Retry-After`` and
``RateLimit-*`` headers, and a caller with too many requests already in flight gets 429 at
once, so no single client can hold the worker's slots (``LoadShedder``, further in) with
bodies it never finishes. Keyed bots are counted by key name, everyone else by address;
sign-ins on the editors' desk get their own small rate per address (``LOGIN_RATE``). Rate
counts live in memory (per worker) unless the session store is Redis, in which case every
worker shares them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from askbot.api.security import AccessPolicy, Caller
from askbot.config import Settings

log = logging.getLogger("askbot.api")

# Never shed, limit or lock out the probes and the scrape: an orchestrator must see the truth.
UNGUARDED = frozenset({"/healthz", "/readyz", "/metrics"})

Client = tuple[str, str]  # ("key", name), ("ip", address) or ("login", address)
# Sign-in attempts on the editors' desk per address: a key cannot be guessed faster.
LOGIN_PATH = "/admin/login"
LOGIN_RATE = parse("10/minute")


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def open_rate_storage(settings: Settings) -> Storage:
    """Redis when sessions are in Redis (shared by all workers), else this worker's memory."""
    url = settings.session_url
    if url and url.startswith(("redis://", "rediss://")):
        return RedisStorage(url)
    return MemoryStorage()


def _rate(value: str | None) -> RateLimitItem | None:
    return parse(value) if value else None


class Guard:
    """Checks access, applies rate limits and caps each client's requests in flight."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        policy: AccessPolicy,
        on_caller: Callable[[Caller], None] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.rate = _rate(settings.rate_limit)
        # Keyless callers get their own, smaller rate only when keys exist to tell bots apart.
        self.keyless_rate = _rate(policy.keyless_rate)
        self.limiter = MovingWindowRateLimiter(open_rate_storage(settings))
        self.max_per_client = settings.max_in_flight_per_client
        self.in_flight: dict[Client, int] = {}
        self.on_caller = on_caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED:
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        address: Client = ("ip", peer[0] if peer else "unknown")
        who: Client = address
        extra: dict[str, str] = {}
        path: str = scope["path"]
        if path == LOGIN_PATH and scope["method"] == "POST":
            _, limited = self._count(LOGIN_RATE, ("login", address[1]))
            if limited is not None:
                await limited(scope, receive, send)
                return
        # Pages and CORS preflights carry no key; the CORS middleware answers preflights.
        if path.startswith("/v1/") and scope["method"] != "OPTIONS":
            caller = self.policy.identify(dict(scope["headers"]))
            refused = self._refusal(caller, path)
            if refused is not None:
                # A refused key costs its address a hit, so keys cannot be guessed faster
                # than the keyless rate allows.
                _, limited = self._count(self.keyless_rate, address)
                await (limited or refused)(scope, receive, send)
                return
            assert caller is not None  # no refusal means a known caller
            scope.setdefault("state", {})["caller"] = caller
            if self.on_caller is not None:
                self.on_caller(caller)
            if not caller.keyless:
                who = ("key", caller.name)
            rate = None if caller.admin else self.keyless_rate if caller.keyless else self.rate
            extra, limited = self._count(rate, who)
            if limited is not None:
                await limited(scope, receive, send)
                return
        if self.in_flight.get(who, 0) >= self.max_per_client:
            busy = _error(
                429,
                "too_many_in_flight",
                f"at most {self.max_per_client} requests in flight per client; retry shortly",
                {"Retry-After": "1"},
            )
            await busy(scope, receive, send)
            return
        self.in_flight[who] = self.in_flight.get(who, 0) + 1
        try:
            await self.app(scope, receive, self._sending(send, extra))
        finally:
            left = self.in_flight[who] - 1
            if left:
                self.in_flight[who] = left
            else:
                del self.in_flight[who]  # the table holds only clients with requests out

    def _refusal(self, caller: Caller | None, path: str) -> JSONResponse | None:
        """401 without a valid key or origin, 403 on an admin route without the admin key."""
        if caller is None:
            return _error(
                401,
                "unauthorized",
                "an API key is required (Authorization: Bearer <key> or X-API-Key)",
                {"WWW-Authenticate": "Bearer"},
            )
        if path.startswith("/v1/admin/") and not caller.admin:
            message = (
                "the admin key is required"
                if self.policy.admin
                else "admin routes are disabled (no ASKBOT_ADMIN_KEY_HASH or ASKBOT_ADMIN_KEYS)"
            )
            return _error(403, "forbidden", message, {})
        return None

    def _count(
        self, rate: RateLimitItem | None, who: Client
    ) -> tuple[dict[str, str], JSONResponse | None]:
        """Count a hit on ``who``: the ``RateLimit-*`` headers, and a 429 when over the rate."""
        if rate is None:
            return {}, None
        allowed = self.limiter.hit(rate, *who)
        stats = self.limiter.get_window_stats(rate, *who)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(rate.amount),
            "RateLimit-Remaining": str(max(0, stats.remaining)),
            "RateLimit-Reset": str(reset),
        }
        if allowed:
            return headers, None
        refused = _error(
            429,
            "rate_limited",
            f"rate limit {rate.amount} per {rate.get_expiry()} s exceeded; retry in {reset} s",
            {**headers, "Retry-After": str(reset)},
        )
        return headers, refused

    @staticmethod
    def _sending(send: Send, extra: dict[str, str]) -> Send:
        if not extra:
            return send
        raw = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *raw]
            await send(message)

        return send_with_headers
