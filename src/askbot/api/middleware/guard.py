"""The gate in front of the API: load shedding, access control and per-client rate limits.

One pure ASGI middleware, so a refused request costs no routing, no body parsing and no
thread: an overloaded worker answers 503 at once instead of queueing until clients time out,
a caller without a key gets 401, and a caller over its rate gets 429 with ``Retry-After`` and
``RateLimit-*`` headers. Rate counts live in memory (per worker) unless the session store is
Redis, in which case every worker shares them.
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
from starlette.types import ASGIApp, Receive, Scope, Send

from askbot.api.security import AccessPolicy, Caller
from askbot.config import Settings

log = logging.getLogger("askbot.api")

# Never shed, limit or lock out the probes and the scrape: an orchestrator must see the truth.
UNGUARDED = frozenset({"/healthz", "/readyz", "/metrics"})


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def open_rate_storage(settings: Settings) -> Storage:
    """Redis when sessions are in Redis (shared by all workers), else this worker's memory."""
    url = settings.session_url
    if url and url.startswith(("redis://", "rediss://")):
        return RedisStorage(url)
    return MemoryStorage()


class Guard:
    """Sheds load, checks access and applies rate limits to ``/v1`` and the pages."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        policy: AccessPolicy,
        on_caller: Callable[[Caller], None] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.max_in_flight = settings.max_in_flight
        self.in_flight = 0
        self.rate: RateLimitItem | None = (
            parse(settings.rate_limit) if settings.rate_limit else None
        )
        self.limiter = MovingWindowRateLimiter(open_rate_storage(settings))
        self.on_caller = on_caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGUARDED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            refused = _error(503, "overloaded", "server busy, retry shortly", {"Retry-After": "1"})
            await refused(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if not path.startswith("/v1/") or scope["method"] == "OPTIONS":
            # Pages and CORS preflights carry no key; the CORS middleware answers preflights.
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        caller = self.policy.identify(headers, scope.get("scheme", "http"))
        if caller is None:
            refused = _error(
                401,
                "unauthorized",
                "an API key is required (Authorization: Bearer <key> or X-API-Key)",
                {"WWW-Authenticate": "Bearer"},
            )
            await refused(scope, receive, send)
            return
        if path.startswith("/v1/admin/") and not caller.admin:
            message = (
                "the admin key is required"
                if self.policy.admin is not None
                else "admin routes are disabled (no ASKBOT_ADMIN_KEY_HASH configured)"
            )
            await _error(403, "forbidden", message, {})(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        if self.on_caller is not None:
            self.on_caller(caller)
        extra: dict[str, str] = {}
        if self.rate is not None and not caller.admin:
            if caller.name in {"browser", "anonymous"}:
                client = scope.get("client")
                who = ("ip", client[0] if client else "unknown")
            else:
                who = ("key", caller.name)
            allowed = self.limiter.hit(self.rate, *who)
            stats = self.limiter.get_window_stats(self.rate, *who)
            reset = max(1, math.ceil(stats.reset_time - time.time()))
            extra = {
                "RateLimit-Limit": str(self.rate.amount),
                "RateLimit-Remaining": str(max(0, stats.remaining)),
                "RateLimit-Reset": str(reset),
            }
            if not allowed:
                refused = _error(
                    429,
                    "rate_limited",
                    f"rate limit {self.rate.amount} per {self.rate.get_expiry()} s exceeded; "
                    f"retry in {reset} s",
                    {**extra, "Retry-After": str(reset)},
                )
                await refused(scope, receive, send)
                return

        async def send_with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start" and extra:
                raw = list(message.get("headers", []))  # type: ignore[call-overload]
                raw += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)  # type: ignore[arg-type]
