"""Who may call the API: named API keys (stored hashed), allowlisted browser origins, named
admin keys (the editors').

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
ADMIN = "admin"  # the name of ASKBOT_ADMIN_KEY_HASH's key


def hash_key(key: str) -> str:
    """The stored form of an API key.

    >>> hash_key("k")[:15]
    'sha256:8254c329'
    """
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return secrets.token_urlsafe(32)


def _match(hashes: dict[str, bytes], key: str) -> str | None:
    """The name whose hash is ``key``'s; every hash is compared, whichever matches."""
    digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
    found = None
    for name, stored in hashes.items():
        # No early exit: the time taken does not depend on which key matched.
        if hmac.compare_digest(digest, stored):
            found = name
    return found


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

    @property
    def keyless(self) -> bool:
        """True for callers without a key: they are told apart by address only."""
        return self.name in {"browser", "anonymous"}


def origin_of(url: str) -> str:
    """The ``scheme://host[:port]`` part of a URL, as browsers write an ``Origin``.

    >>> origin_of("https://faq.example.com/page?q=1")
    'https://faq.example.com'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return ""
    return f"{scheme.lower()}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0].lower()}"


class AccessPolicy:
    """Decides, from a request's headers, who is calling and whether that is allowed."""

    def __init__(self, settings: Settings) -> None:
        self.keys = {name: _parse_hash(name, h) for name, h in settings.api_keys.items()}
        admins = dict(settings.admin_keys)
        if settings.admin_key_hash:
            if ADMIN in admins:
                raise ValueError(f"admin key {ADMIN!r} is ASKBOT_ADMIN_KEY_HASH: name it otherwise")
            admins[ADMIN] = settings.admin_key_hash
        shared = sorted(set(admins) & set(self.keys))
        if shared:
            # Rate limits and in-flight caps count keyed callers by name: names must not meet.
            raise ValueError(f"names used for both an API key and an admin key: {shared}")
        self.admins = {name: _parse_hash(name, h) for name, h in admins.items()}
        self.cors_origins = frozenset(o.rstrip("/").lower() for o in settings.cors_origins)
        self.public_origins = frozenset(o.rstrip("/").lower() for o in settings.public_origins)
        # Keyless browsers are accepted from these and nothing else: never the request's Host.
        self.origins = self.cors_origins | self.public_origins
        # The per-address rate keyless callers get (the Guard applies it; said at start-up).
        self.keyless_rate = settings.keyless_rate_limit if self.keys else settings.rate_limit

    @property
    def keys_required(self) -> bool:
        """True when bot clients must present a key (at least one key is configured)."""
        return bool(self.keys)

    def describe(self) -> str:
        """One line for the start-up log saying what is open and what is not."""
        limited = (
            f"rate-limited per address to {self.keyless_rate}"
            if self.keyless_rate
            else "NOT rate-limited"
        )
        if self.keys:
            keyless = (
                f"except keyless browser calls from {', '.join(sorted(self.origins))}, which "
                f"are PUBLIC to anyone who sends that Origin ({limited})"
                if self.origins
                else "with no keyless browser access (no ASKBOT_CORS_ORIGINS or "
                "ASKBOT_PUBLIC_ORIGINS)"
            )
            demo = (
                "the demo page at / can chat from ASKBOT_PUBLIC_ORIGINS"
                if self.public_origins
                else "the demo page at / cannot chat (its origin is not in ASKBOT_PUBLIC_ORIGINS)"
            )
            api = (
                f"/v1 needs an API key ({len(self.keys)} configured: "
                f"{', '.join(sorted(self.keys))}), {keyless}; {demo}"
            )
        else:
            api = (
                f"/v1 is OPEN to any client without a key, {limited} "
                "(set ASKBOT_API_KEYS to require one)"
            )
        admin = (
            f"admin routes and /admin need an admin key ({', '.join(sorted(self.admins))})"
            if self.admin
            else "admin routes and /admin are DISABLED (set ASKBOT_ADMIN_KEY_HASH or "
            "ASKBOT_ADMIN_KEYS to enable them)"
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

    @property
    def admin(self) -> bool:
        """Whether any admin key is configured (else the admin routes and the desk are off)."""
        return bool(self.admins)

    def match_key(self, key: str) -> str | None:
        """The name of the configured API key equal to ``key``, compared in constant time."""
        return _match(self.keys, key)

    def admin_name(self, key: str | None) -> str | None:
        """The name of the admin key equal to ``key``, compared in constant time."""
        return None if key is None else _match(self.admins, key)

    def browser_allowed(self, headers: dict[bytes, bytes]) -> bool:
        """A browser on a configured origin (``ASKBOT_CORS_ORIGINS`` or ``ASKBOT_PUBLIC_ORIGINS``).

        Browsers send ``Origin`` on every cross-origin request and every same-origin POST; a
        same-origin GET (the widget loading a collection on askbot's own page) carries only
        ``Referer``, whose origin is checked against the same list.
        """
        raw = headers.get(b"origin")
        if raw is None:
            raw = headers.get(b"referer", b"")
            origin = origin_of(raw.decode("latin-1"))
        else:
            origin = raw.decode("latin-1").rstrip("/").lower()
        return bool(origin) and origin in self.origins

    def identify(self, headers: dict[bytes, bytes]) -> Caller | None:
        """The caller, or None when keys are required and neither a key nor an origin is valid.

        A wrong key is refused even from an allowed origin: a client that sends one is a bot
        with a misconfiguration, and silently treating it as a browser would hide that.
        """
        key = self.presented_key(headers)
        if key is not None:
            editor = self.admin_name(key)
            if editor is not None:
                return Caller(editor, admin=True)
            name = self.match_key(key)
            if name is not None:
                return Caller(name)
            return None if self.keys_required else Caller("anonymous")
        if self.browser_allowed(headers):
            return Caller("browser")
        return None if self.keys_required else Caller("anonymous")
