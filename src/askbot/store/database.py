"""Where the journal (and, without Redis, the sessions) are kept: one SQLite file on this
machine, or a PostgreSQL database that several machines share.

``ASKBOT_DATABASE_URL`` chooses: unset (or ``sqlite://``) for the SQLite file at
``ASKBOT_DB_PATH``, ``sqlite:///path/to/file.sqlite3`` for another file,
``postgresql://user:password@host:5432/askbot`` for PostgreSQL. Both run their schema
migrations when opened. The stores write their SQL once for both: ``?`` placeholders (no
statement has a literal ``?``) and the syntax the two share.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from askbot.errors import ConfigError
from askbot.store.sqlite import SqliteDatabase

POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})


class Database(Protocol):
    """A SQL database the stores write to, safe to call from many threads and after fork."""

    @property
    def local(self) -> bool:
        """Whether it answers from a local file in a fraction of a millisecond (so a coroutine
        may try it on the event loop under ``without_waiting``, rather than in a thread)."""

    @property
    def name(self) -> str:
        """The file or the URL without its password, for messages."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row, in one transaction."""

    def fetchall_durably(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one write and return its rows once the write is on stable storage."""

    def delete_older(self, table: str, column: str, cutoff: float, limit: int) -> int:
        """Delete up to ``limit`` rows of ``table`` whose ``column`` is below ``cutoff``, in one
        short transaction; return how many went."""

    def schema_version(self) -> int:
        """The schema version the database is at."""

    def check(self) -> None:
        """Raise ``StoreError`` while the database cannot take writes."""

    def close(self) -> None:
        """Close this process's connections (idempotent)."""


def open_database(url: str | None, db_path: Path) -> Database:
    """The database ``url`` names, migrated to this askbot's schema; unset → SQLite at ``db_path``.

    >>> open_database(None, Path("var/askbot.sqlite3"))  # doctest: +SKIP
    <askbot.store.sqlite.SqliteDatabase object at ...>
    """
    if url is None or not url.strip():
        return SqliteDatabase(db_path)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        return SqliteDatabase(Path(path) if path else db_path)
    if scheme in POSTGRES_SCHEMES:
        from askbot.store.postgres import PostgresDatabase  # psycopg loads only when used

        return PostgresDatabase(url)
    raise ConfigError(
        f"unsupported database URL {redact_url(url)}: use sqlite:///path or "
        "postgresql://user:password@host:5432/dbname"
    )


def redact_url(url: str) -> str:
    """The URL with any password (in the user part or a ``password=`` parameter) replaced by
    ``***``, fit for a log line or an error."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "password" for key, _ in query):
        hidden = [(key, "***" if key == "password" else value) for key, value in query]
        parts = parts._replace(query=urlencode(hidden, safe="*"))
    return urlunsplit(parts)
