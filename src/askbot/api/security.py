"""Who may call the API: named API keys (stored hashed), allowlisted browser origins, an admin key.

Keys are configured as ``{"name": "sha256:<hex>"}``; a request's key is hashed and compared
with every configured hash in constant time, so neither the keys nor their lengths leak
through timing. ``askbot hash-key`` prints the hash of a key to paste into the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from askbot.config import Settings

HASH_PREFIX = "sha256:"


def hash_key(key: str) -> str:
    """The stored form of an API key.

    >>> hash_key("k")[:15]
    'sha256:8254c329'
    """
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return secrets.token_urlsafe(32)


def _parse_hash(name: str, stored: str) -> bytes:
    if not stored.startswith(HASH_PREFIX):
        raise ValueError(f"API key {name!r}: expected 'sha256:<hex>', got {stored[:12]!r}…")
    digest = bytes.fromhex(stored.removeprefix(HASH_PREFIX))
    if len(digest) != 32:
        raise ValueError(f"API key {name!r}: a sha256 digest is 64 hex digits")
    return digest


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: a key name, ``browser`` (allowed origin) or ``anonymous``."""

    name: str
    admin: bool = False


class AccessPolicy:
    """Decides, from a request's headers, who is calling and whether that is allowed."""

    def __init__(self, settings: Settings) -> None:
        self.keys = {name: _parse_hash(name, h) for name, h in settings.api_keys.items()}
        self.admin = (
            _parse_hash("admin", settings.admin_key_hash) if settings.admin_key_hash else None
        )
        self.origins = frozenset(o.rstrip("/") for o in settings.cors_origins)

    @property
    def keys_required(self) -> bool:
        """True when bot clients must present a key (at least one key is configured)."""
        return bool(self.keys)

    def describe(self) -> str:
        """One line for the start-up log saying what is open and what is not."""
        origins = ", ".join(sorted(self.origins)) or "same origin only"
        if self.keys:
            api = (
                f"/v1 needs an API key ({len(self.keys)} configured: "
                f"{', '.join(sorted(self.keys))}) or a browser from: {origins}"
            )
        else:
            api = "/v1 is OPEN to any client without a key (set ASKBOT_API_KEYS to require one)"
        admin = (
            "admin routes need the admin key"
            if self.admin
            else "admin routes are DISABLED (set ASKBOT_ADMIN_KEY_HASH to enable them)"
        )
        return f"access: {api}; {admin}; /, /widget.js, /healthz, /readyz, /metrics are public"

    def presented_key(self, headers: dict[bytes, bytes]) -> str | None:
        """The key in ``Authorization: Bearer`` or ``X-API-Key``, if any."""
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
        return key or None

    def match_key(self, key: str) -> str | None:
        """The name of the configured key equal to ``key``, compared in constant time."""
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        found = None
        for name, stored in self.keys.items():
            # No early exit: the time taken does not depend on which key matched.
            if hmac.compare_digest(digest, stored):
                found = name
        return found

    def is_admin_key(self, key: str | None) -> bool:
        """True when ``key`` is the admin key."""
        if self.admin is None or key is None:
            return False
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        return hmac.compare_digest(digest, self.admin)

    def browser_allowed(self, headers: dict[bytes, bytes], scheme: str) -> bool:
        """A browser on an allowlisted origin, or on this server's own pages (the demo)."""
        if headers.get(b"sec-fetch-site") == b"same-origin":
            return True
        origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/")
        if not origin:
            return False
        host = headers.get(b"host", b"").decode("latin-1")
        return origin in self.origins or (bool(host) and origin == f"{scheme}://{host}")

    def identify(self, headers: dict[bytes, bytes], scheme: str) -> Caller | None:
        """The caller, or None when keys are required and neither a key nor an origin is valid.

        A wrong key is refused even from an allowed origin: a client that sends one is a bot
        with a misconfiguration, and silently treating it as a browser would hide that.
        """
        key = self.presented_key(headers)
        if key is not None:
            if self.is_admin_key(key):
                return Caller("admin", admin=True)
            name = self.match_key(key)
            if name is not None:
                return Caller(name)
            return None if self.keys_required else Caller("anonymous")
        if self.browser_allowed(headers, scheme):
            return Caller("browser")
        return None if self.keys_required else Caller("anonymous")
