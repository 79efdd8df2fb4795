"""The SQLite file behind sessions and the journal, on one machine: pragmas, schema, one
connection per process.

Several uvicorn worker processes on one machine share the file. WAL mode lets readers run
while one writer commits, and ``busy_timeout`` makes a writer wait for the lock instead of
failing. WAL needs shared memory between the processes, so the file must sit on a local disk,
not a network share.

Each ``SqliteDatabase`` holds one connection, opened with ``check_same_thread=False`` and
guarded by a lock, because FastAPI calls the store from a threadpool: a connection per thread
would leave connections behind in pool threads that ``close()`` cannot reach, while a lock
costs little since SQLite lets only one writer in at a time anyway.

An event loop calls it under ``without_waiting``: an operation that would wait for the lock,
the file's write lock or a WAL checkpoint raises ``WouldWait`` at once, and the loop hands it
to a thread, where it waits as long as it must (``askbot.api.routes.chat``).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from askbot.errors import StoreError

# Milliseconds a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000
# Within ``without_waiting``: milliseconds a statement may wait for the write lock before it
# raises ``WouldWait``, and every how many operations one is passed on (``WouldWait``) so that
# a thread, not the caller, checkpoints the WAL.
NO_WAIT_BUSY_MS = 2
NO_WAIT_CHECKPOINT_EVERY = 200
WAL_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default
_NO_WAITING: ContextVar[bool] = ContextVar("askbot_sqlite_no_waiting", default=False)

# MIGRATIONS[n] upgrades a file at schema version n to n + 1; PRAGMA user_version holds n.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions (updated_at);

    CREATE TABLE IF NOT EXISTS questions (
        id INTEGER PRIMARY KEY,
        asked_at REAL NOT NULL,
        session_id TEXT NOT NULL,
        question TEXT NOT NULL,
        collection TEXT,
        decision TEXT NOT NULL,
        confidence REAL NOT NULL,
        answer_id TEXT,
        latency_ms REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
    CREATE INDEX IF NOT EXISTS questions_session_answer
        ON questions (session_id, answer_id, asked_at);

    CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        session_id TEXT NOT NULL,
        answer_id TEXT NOT NULL,
        helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        comment TEXT
    );
    CREATE INDEX IF NOT EXISTS feedback_created_at ON feedback (created_at);
    """,
    # 2: one verdict per (session, answer), a second vote replacing the first; of the verdicts
    # an older askbot stored more than once, the latest stays.
    """
    DELETE FROM feedback WHERE id NOT IN (
        SELECT MAX(id) FROM feedback GROUP BY session_id, answer_id
    );
    CREATE UNIQUE INDEX IF NOT EXISTS feedback_session_answer ON feedback (session_id, answer_id);
    """,
    # 3: how each reply came about (a pick after "did you mean…?" is "clarification"), and what
    # editors did with the questions askbot failed (askbot.store.triage).
    """
    ALTER TABLE questions ADD COLUMN via TEXT;
    CREATE TABLE IF NOT EXISTS handled (
        id INTEGER PRIMARY KEY,
        handled_at REAL NOT NULL,
        editor TEXT NOT NULL,
        how TEXT NOT NULL,
        collection TEXT,
        representative TEXT NOT NULL,
        wordings TEXT NOT NULL,
        change_id TEXT,
        undone_at REAL,
        undone_by TEXT
    );
    CREATE INDEX IF NOT EXISTS handled_at ON handled (handled_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

Synchronous = Literal["NORMAL", "FULL"]


class WouldWait(Exception):
    """An operation under ``without_waiting`` would have waited; nothing was changed by it."""


@contextmanager
def without_waiting() -> Iterator[None]:
    """Within: an operation that would wait (for this process's connection, held by another
    thread; for the file's write lock, held by another connection; or to checkpoint the WAL)
    raises ``WouldWait`` instead, so an event loop can pass it to a thread.

    >>> with without_waiting():  # doctest: +SKIP
    ...     database.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, sid))
    """
    token = _NO_WAITING.set(True)
    try:
        yield
    finally:
        _NO_WAITING.reset(token)


class SqliteDatabase:
    """One connection per process to the shared SQLite file, safe to call from many threads."""

    local = True  # a local file answers in a fraction of a millisecond

    def __init__(self, path: Path, *, synchronous: Synchronous = "NORMAL") -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self._lock = threading.Lock()
        self._closed = False
        self._since_checkpoint_chance = 0  # operations without waiting since one in a thread
        self._waits = True  # whether the connection's pragmas are set to wait (as opened)
        # Connections inherited across fork(): never used or closed in the child (SQLite forbids).
        self._inherited: list[sqlite3.Connection] = []
        self._connection = self._open()
        self._pid = os.getpid()
        # The last SQLite error of an operation, until a probe write succeeds (``check``).
        self._failure: str | None = None

    def _open(self) -> sqlite3.Connection:
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise StoreError(f"cannot open database {self.path}: {self.path.parent} is a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit; the few multi-statement writes say BEGIN
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        try:
            while True:
                try:
                    self._configure(connection)
                    break
                except sqlite3.OperationalError as exc:
                    # Processes opening a new file together race to switch it to WAL, which
                    # needs an exclusive lock that SQLite does not wait for with busy_timeout:
                    # wait here instead. Configuring is idempotent, so a retry is safe.
                    if not _is_busy(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01 + random.random() * 0.04)
        except sqlite3.Error as exc:
            connection.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except StoreError:
            connection.close()
            raise
        return connection

    def _configure(self, connection: sqlite3.Connection) -> None:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # The first statement that reads the file: a corrupt or foreign file fails here.
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot open database {self.path}: WAL mode refused ({mode})")
        connection.execute(f"PRAGMA synchronous = {self.synchronous}")
        self._migrate(connection)

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        # IMMEDIATE takes the write lock up front, so workers starting together migrate once.
        with _transaction(connection, "BEGIN IMMEDIATE"):
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"database {self.path} has schema version {version}, newer than this "
                    f"askbot understands ({SCHEMA_VERSION}): upgrade askbot"
                )
            for step in range(version, SCHEMA_VERSION):
                # Statement by statement: executescript() would COMMIT our BEGIN first.
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def name(self) -> str:
        """The file, for messages."""
        return str(self.path)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        with self.connect() as conn:
            return int(conn.execute(sql, params).rowcount)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows."""
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row, in one transaction."""
        with self.connect() as conn, _transaction(conn):
            conn.executemany(sql, rows)

    def fetchall_durably(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one write and return its rows once the WAL is fsynced: ``synchronous=FULL`` for
        this statement alone."""
        with self.connect() as conn:
            conn.execute("PRAGMA synchronous = FULL")
            try:
                # fetchall: a statement with RETURNING commits only once its rows have been read.
                return conn.execute(sql, params).fetchall()
            finally:
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")

    def schema_version(self) -> int:
        """The schema version the file is at."""
        with self.connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def delete_older(self, table: str, column: str, cutoff: float, limit: int) -> int:
        """Delete up to ``limit`` rows of ``table`` whose ``column`` is below ``cutoff``, in one
        short transaction (a large backlog deleted at once holds the write lock for seconds);
        return how many went. ``table`` and ``column`` are the caller's names, never input."""
        with self.connect() as conn:
            return int(
                conn.execute(
                    f"DELETE FROM {table} WHERE id IN "  # every table here is keyed by id
                    f"(SELECT id FROM {table} WHERE {column} < ? LIMIT ?)",
                    (cutoff, limit),
                ).rowcount
            )

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """Hold this process's connection for one operation; SQLite errors become StoreError."""
        if self._pid != os.getpid():
            # Forked after opening: the parent's connection (and its lock state) must stay
            # untouched, so this process opens its own.
            self._lock = threading.Lock()
            self._inherited.append(self._connection)
            self._connection = self._open()
            self._waits = True
            self._pid = os.getpid()
        if _NO_WAITING.get():
            with self._connection_without_waiting() as connection:
                yield connection
            return
        with self._lock:
            if self._closed:
                raise StoreError(f"database {self.path} is closed")
            self._since_checkpoint_chance = 0
            try:
                self._set_waiting(True)
                yield self._connection
            except sqlite3.Error as exc:
                self._failure = str(exc)
                raise StoreError(f"database {self.path}: {exc}") from exc

    @contextmanager
    def _connection_without_waiting(self) -> Iterator[sqlite3.Connection]:
        """``connect`` under ``without_waiting``: a short busy timeout, no checkpoint."""
        if self._since_checkpoint_chance >= NO_WAIT_CHECKPOINT_EVERY:
            raise WouldWait("the WAL is due a checkpoint chance")
        if not self._lock.acquire(blocking=False):
            raise WouldWait("the connection is in use")
        try:
            if self._closed:
                raise StoreError(f"database {self.path} is closed")
            self._since_checkpoint_chance += 1
            try:
                self._set_waiting(False)
                yield self._connection
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    self._failure = str(exc)
                    raise StoreError(f"database {self.path}: {exc}") from exc
                raise WouldWait(str(exc)) from None
            except sqlite3.Error as exc:
                self._failure = str(exc)
                raise StoreError(f"database {self.path}: {exc}") from exc
        finally:
            self._lock.release()

    def _set_waiting(self, waits: bool) -> None:
        """Set the connection to wait for the write lock and checkpoint as opened, or not to;
        only on a change, so a run of calls in one mode costs no pragma (caller holds the lock)."""
        if waits is self._waits:
            return
        busy_ms, checkpoint_pages = (
            (BUSY_TIMEOUT_MS, WAL_AUTOCHECKPOINT_PAGES) if waits else (NO_WAIT_BUSY_MS, 0)
        )
        self._connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
        self._connection.execute(f"PRAGMA wal_autocheckpoint = {checkpoint_pages}")
        self._waits = waits

    def check(self) -> None:
        """Raise ``StoreError`` while the file fails: after an operation failed (a full disk,
        a lock never released), until a probe write succeeds. A healthy file costs nothing."""
        if self._failure is None:
            return
        with self.connect() as conn, _transaction(conn, "BEGIN IMMEDIATE"):
            # Rewriting the schema version with its own value: a real write, changing nothing.
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._failure = None

    def close(self) -> None:
        """Close this process's connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._pid == os.getpid():
                    self._connection.close()


@contextmanager
def _transaction(connection: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[None]:
    """One transaction on an autocommit connection: committed, or rolled back on any error."""
    connection.execute(begin)
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite said "busy" or "locked" (extended codes share the low byte)."""
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
