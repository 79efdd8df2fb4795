"""SQLite calls from an event loop (``without_waiting``): what would wait is passed on, unchanged."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.embed import Embedder
from askbot.store import DatabaseSessionStore, SqliteDatabase, WouldWait, without_waiting
from askbot.store.sqlite import BUSY_TIMEOUT_MS, NO_WAIT_CHECKPOINT_EVERY
from tests.conftest import DATA


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another connection holding the file's write lock, as another worker's commit does."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DatabaseSessionStore]:
    opened = DatabaseSessionStore(tmp_path / "askbot.sqlite3", ttl_seconds=1800)
    yield opened
    opened.close()


def test_a_write_that_would_wait_for_the_lock_is_passed_on_and_changes_nothing(
    store: DatabaseSessionStore, tmp_path: Path
) -> None:
    store.put("s", {"turns": ["first"]})
    with write_lock_held(tmp_path / "askbot.sqlite3"):
        with pytest.raises(WouldWait), without_waiting():
            store.put("s", {"turns": ["second"]})
        with without_waiting():  # WAL readers do not wait for the writer
            assert store.get("s") == {"turns": ["first"]}
    store.put("s", {"turns": ["second"]})  # outside, the same write waits and lands
    assert store.get("s") == {"turns": ["second"]}


def test_a_connection_held_by_another_thread_is_passed_on(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "askbot.sqlite3")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with database.connect():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(WouldWait), without_waiting():
            database.fetchall("SELECT 1")
    finally:
        release.set()
        holder.join()
    with without_waiting():
        assert database.fetchall("SELECT 1") == [(1,)]
    database.close()


def test_without_waiting_the_wal_is_left_to_a_thread_to_checkpoint(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "askbot.sqlite3")
    with without_waiting():
        for n in range(NO_WAIT_CHECKPOINT_EVERY):
            database.execute("INSERT INTO sessions VALUES (?, '{}', 0)", (f"s{n}",))
        # The next is passed on, so that the write that lands in a thread may checkpoint.
        with pytest.raises(WouldWait):
            database.execute("INSERT INTO sessions VALUES ('late', '{}', 0)")
    database.execute("INSERT INTO sessions VALUES ('late', '{}', 0)")
    with without_waiting():
        database.execute("DELETE FROM sessions WHERE id = 'late'")
    # Outside, the connection waits and checkpoints as it was opened to.
    assert database.fetchall("PRAGMA busy_timeout") == [(BUSY_TIMEOUT_MS,)]
    assert database.fetchall("PRAGMA wal_autocheckpoint") == [(1000,)]
    assert len(database.fetchall("SELECT id FROM sessions")) == NO_WAIT_CHECKPOINT_EVERY
    database.close()


def test_a_chat_waiting_for_the_write_lock_does_not_hold_up_the_worker(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(
        corpus_dir=DATA / "corpus_api",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
    )
    service.build(settings, embedder=embedder)
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=embedder)
    ) as client:
        first = client.post("/v1/chat", json={"message": "hello"}).json()
        done: dict[str, int] = {}
        with write_lock_held(settings.db_path):

            def ask() -> None:
                body = {"message": "do I need a visa?", "session_id": first["session_id"]}
                done["chat"] = client.post("/v1/chat", json=body).status_code

            asking = threading.Thread(target=ask)
            asking.start()
            time.sleep(1)  # time for the chat to reach its session write
            # The chat's session write waits in a thread; the worker's loop still answers.
            assert client.get("/healthz").status_code == 200
            assert "chat" not in done
        asking.join(30)
        assert done == {"chat": 200}
        again = client.post("/v1/chat", json={"message": "hi", "session_id": first["session_id"]})
        assert again.status_code == 200
