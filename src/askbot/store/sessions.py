"""Session stores: where a conversation's state waits between requests, until it goes idle.

``DatabaseSessionStore`` keeps them in the journal's database: the SQLite file shared by the
worker processes of one machine, or PostgreSQL shared by several; ``RedisSessionStore`` in
Redis, shared by several machines. Each keeps a session for ``ttl_seconds`` after its last
``put``; an idle session reads as unknown (``None``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from askbot.errors import ConfigError, StoreError
from askbot.store.database import POSTGRES_SCHEMES, Database, open_database, redact_url
from askbot.store.sqlite import SqliteDatabase

if TYPE_CHECKING:
    import redis

SessionState = dict[str, Any]

REDIS_KEY_PREFIX = "askbot:session:"
# Expired rows are deleted by a put at most this often per process; get() ignores them anyway.
PURGE_INTERVAL_SECONDS = 60.0
# Rows deleted per transaction. One DELETE of a large backlog (365,000 expired sessions left in
# a benchmark's file) held the write lock for 6 s; under load, session writes of the other
# worker queued behind it until they failed with "database is locked". A batch of 500 holds
# the lock for ~10 ms.
PURGE_BATCH = 500
# Seconds to wait for Redis before a request fails with StoreError, unless the URL says otherwise.
REDIS_TIMEOUT_SECONDS = 5.0


class SessionStore(Protocol):
    """Keeps each session's JSON-able state between requests; forgets it after an idle TTL."""

    @property
    def local(self) -> bool:
        """Whether it answers from a local file in a fraction of a millisecond (so a coroutine
        may try it on the event loop under ``without_waiting``, rather than in a thread)."""
        ...

    def new_id(self) -> str:
        """A fresh, unguessable session id."""
        ...

    def get(self, session_id: str) -> SessionState | None:
        """The session's state, or ``None`` if it is unknown or has expired."""
        ...

    def put(self, session_id: str, state: SessionState) -> None:
        """Save the session's state and restart its idle timer."""
        ...

    def check(self) -> None:
        """Raise ``StoreError`` while the store fails; cheap while it works."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def new_session_id() -> str:
    """128 random bits, URL-safe: a session id is a bearer token, so it must not be guessable."""
    return secrets.token_urlsafe(16)


def _check_ttl(ttl_seconds: float) -> float:
    if not ttl_seconds > 0:
        raise ConfigError(f"session TTL must be positive, got {ttl_seconds}")
    return float(ttl_seconds)


def _dump(state: SessionState) -> str:
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


class DatabaseSessionStore:
    """Sessions in the journal's database (a path opens that SQLite file).

    >>> store = DatabaseSessionStore(Path("var/askbot.sqlite3"), ttl_seconds=1800)  # doctest: +SKIP
    """

    def __init__(
        self,
        database: Database | Path,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_seconds = _check_ttl(ttl_seconds)
        # Wall-clock time, not monotonic: the timestamps are compared across processes.
        self._clock = clock
        self._db = SqliteDatabase(database) if isinstance(database, Path) else database
        self._last_purge = -float("inf")

    def new_id(self) -> str:
        """A fresh, unguessable session id."""
        return new_session_id()

    def get(self, session_id: str) -> SessionState | None:
        """The session's state, or ``None`` if it is unknown or idle for longer than the TTL."""
        rows = self._db.fetchall(
            "SELECT state FROM sessions WHERE id = ? AND updated_at >= ?",
            (session_id, self._clock() - self.ttl_seconds),
        )
        if not rows:
            return None
        state: SessionState = json.loads(rows[0][0])
        return state

    def put(self, session_id: str, state: SessionState) -> None:
        """Save the state and restart the idle timer; now and then, delete expired sessions."""
        payload = _dump(state)
        now = self._clock()
        self._db.execute(
            "INSERT INTO sessions (id, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
            "updated_at = excluded.updated_at",
            (session_id, payload, now),
        )
        if now - self._last_purge >= min(PURGE_INTERVAL_SECONDS, self.ttl_seconds):
            # One batch per request: a backlog is worked off by the next puts, a batch each.
            self._purge_batch()

    def purge_expired(self) -> int:
        """Delete sessions idle for longer than the TTL; return how many went."""
        deleted = 0
        while True:
            batch = self._purge_batch()
            deleted += batch
            if batch < PURGE_BATCH:
                return deleted

    def _purge_batch(self) -> int:
        """Delete up to ``PURGE_BATCH`` expired sessions in one short transaction."""
        now = self._clock()
        deleted = self._db.delete_older(
            "sessions", "updated_at", now - self.ttl_seconds, PURGE_BATCH
        )
        if deleted < PURGE_BATCH:
            self._last_purge = now  # caught up: the next purge waits for the interval
        return deleted

    @property
    def local(self) -> bool:
        """Whether the database is the local SQLite file."""
        return self._db.local

    def check(self) -> None:
        """Raise ``StoreError`` while the database cannot take writes (``Database.check``)."""
        self._db.check()

    def close(self) -> None:
        """Close this process's connections."""
        self._db.close()


class RedisSessionStore:
    """Sessions in Redis, so several machines can serve one conversation.

    Each session is one string key ``askbot:session:<id>`` holding the JSON state, written
    with an expiry of ``ttl_seconds``: Redis itself forgets idle sessions.

    >>> store = RedisSessionStore("redis://localhost:6379/0", ttl_seconds=1800)  # doctest: +SKIP
    """

    local = False  # a network round trip: coroutines call it from a thread

    def __init__(self, url: str, ttl_seconds: float) -> None:
        self.ttl_seconds = _check_ttl(ttl_seconds)
        # Milliseconds, so a fractional TTL is honoured; SET ... PX sets value and expiry at once.
        self._ttl_ms = max(1, round(self.ttl_seconds * 1000))
        self._where = redact_url(url)
        self._failing = False  # a call failed, until a PING answers (``check``)
        try:
            import redis
        except ImportError as exc:
            raise StoreError(
                f"session URL {self._where} needs the redis package: pip install redis"
            ) from exc
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        try:
            self._client: redis.Redis = redis.Redis.from_url(
                url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        except ValueError as exc:
            raise StoreError(f"invalid session URL {self._where}: {exc}") from exc
        try:
            # Connect now: a wrong URL should stop start-up, not the first reader's question.
            self._client.ping()
        except redis.RedisError as exc:
            self._client.close()
            raise StoreError(f"cannot reach Redis at {self._where}: {exc}") from exc

    def new_id(self) -> str:
        """A fresh, unguessable session id."""
        return new_session_id()

    def get(self, session_id: str) -> SessionState | None:
        """The session's state, or ``None`` if it is unknown or Redis has expired it."""
        try:
            raw = self._client.get(REDIS_KEY_PREFIX + session_id)
        except self._errors as exc:
            self._failing = True
            raise StoreError(f"Redis at {self._where}: {exc}") from exc
        if raw is None:
            return None
        if not isinstance(raw, bytes | str):
            raise StoreError(f"Redis at {self._where}: unexpected reply {type(raw).__name__}")
        state: SessionState = json.loads(raw)
        return state

    def put(self, session_id: str, state: SessionState) -> None:
        """Save the state with a fresh expiry of ``ttl_seconds``."""
        payload = _dump(state)
        try:
            self._client.set(REDIS_KEY_PREFIX + session_id, payload, px=self._ttl_ms)
        except self._errors as exc:
            self._failing = True
            raise StoreError(f"Redis at {self._where}: {exc}") from exc

    def check(self) -> None:
        """Raise ``StoreError`` while Redis does not answer (one PING after a failed call)."""
        if not self._failing:
            return
        try:
            self._client.ping()
        except self._errors as exc:
            raise StoreError(f"Redis at {self._where}: {exc}") from exc
        self._failing = False

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def open_session_store(
    url: str | None, db_path: Path, ttl_seconds: float, *, database_url: str | None = None
) -> SessionStore:
    """The store a session URL names; unset → the journal's database (``database_url``, or
    the SQLite file at ``db_path``).

    ``redis://``, ``rediss://`` and ``unix://`` URLs pick Redis; ``sqlite:///path`` and
    ``postgresql://…`` a database of their own.

    >>> open_session_store(None, Path("var/askbot.sqlite3"), 1800)  # doctest: +SKIP
    <askbot.store.sessions.DatabaseSessionStore object at ...>
    """
    _check_ttl(ttl_seconds)  # before a connection is opened
    if url is None or not url.strip():
        return DatabaseSessionStore(open_database(database_url, db_path), ttl_seconds)
    scheme = urlsplit(url).scheme.lower()
    if scheme in {"redis", "rediss", "unix"}:
        return RedisSessionStore(url, ttl_seconds)
    if scheme in {"sqlite", *POSTGRES_SCHEMES}:
        return DatabaseSessionStore(open_database(url, db_path), ttl_seconds)
    raise ConfigError(
        f"unsupported session URL {redact_url(url)}: use redis://host:port/db, sqlite:///path "
        "or postgresql://user:password@host:5432/dbname"
    )
