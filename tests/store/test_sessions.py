"""Session stores (SQLite, Redis): shared by stores and processes, expiry, the SQLite file they
share with the journal, and choosing a store from a URL."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from askbot.errors import ConfigError, StoreError
from askbot.store import (
    REDIS_KEY_PREFIX,
    DatabaseSessionStore,
    Journal,
    RedisSessionStore,
    open_session_store,
    redact_url,
)
from askbot.store import sessions as sessions_module
from askbot.store.sqlite import SCHEMA_VERSION
from tests.conftest import free_port
from tests.store.conftest import Clock, run_python

# --- SQLite sessions -------------------------------------------------------------------------


def test_session_round_trip_and_unknown_id(db: Path) -> None:
    store = DatabaseSessionStore(db, ttl_seconds=60)
    try:
        session_id = store.new_id()
        assert store.get(session_id) is None
        store.put(session_id, {"turns": [{"q": "héllo"}], "collection": None})
        assert store.get(session_id) == {"turns": [{"q": "héllo"}], "collection": None}
        store.put(session_id, {"turns": []})
        assert store.get(session_id) == {"turns": []}
        assert store.get("no-such-session") is None
    finally:
        store.close()


def test_new_ids_are_long_random_and_url_safe(db: Path) -> None:
    with_store = DatabaseSessionStore(db, ttl_seconds=60)
    ids = {with_store.new_id() for _ in range(1000)}
    with_store.close()
    assert len(ids) == 1000
    assert all(len(i) >= 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_session_put_by_one_store_is_read_by_another_on_the_same_file(db: Path) -> None:
    first, second = DatabaseSessionStore(db, 60), DatabaseSessionStore(db, 60)
    try:
        first.put("s1", {"n": 1})
        assert second.get("s1") == {"n": 1}
        second.put("s1", {"n": 2})
        assert first.get("s1") == {"n": 2}
    finally:
        first.close()
        second.close()


def test_session_put_by_another_process_is_visible(db: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from askbot.store import DatabaseSessionStore\n"
        "s = DatabaseSessionStore(Path(sys.argv[1]), 60); s.put('from-child', {'pid': 1}); s.close()"
    )
    child = run_python(code, db)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    store = DatabaseSessionStore(db, 60)
    assert store.get("from-child") == {"pid": 1}
    store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_store_used_after_fork_opens_its_own_connection(db: Path) -> None:
    # A server that forks workers after building the app must not share one SQLite handle.
    store = DatabaseSessionStore(db, 60)
    store.put("parent", {"n": 1})
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code, skip pytest's teardown
        code = 1
        try:
            store.put("child", {"n": 2})
            reopened = bool(store._db._inherited)  # the parent's handle was set aside
            code = 0 if reopened and store.get("parent") == {"n": 1} else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    try:
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.get("child") == {"n": 2}
    finally:
        store.close()


def test_session_expires_after_idle_ttl_and_put_refreshes_it(db: Path) -> None:
    clock = Clock()
    store = DatabaseSessionStore(db, ttl_seconds=10, clock=clock)
    try:
        store.put("idle", {"a": 1})
        store.put("busy", {"b": 1})
        clock.now += 9
        store.put("busy", {"b": 2})  # refreshes busy's timer, not idle's
        clock.now += 2  # idle: 11 s since its put; busy: 2 s
        assert store.get("idle") is None
        assert store.get("busy") == {"b": 2}
        clock.now += 10.5
        assert store.get("busy") is None
    finally:
        store.close()


def test_expired_sessions_are_purged_from_the_file(db: Path) -> None:
    clock = Clock()
    store = DatabaseSessionStore(db, ttl_seconds=10, clock=clock)
    store.put("old", {})
    clock.now += 30
    store.put("new", {})  # more than the purge interval later: deletes "old" on the way
    store.close()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id FROM sessions").fetchall()
    conn.close()
    assert rows == [("new",)]


def test_a_backlog_of_expired_sessions_is_purged_a_batch_per_put(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large backlog never holds the write lock in one long transaction."""
    monkeypatch.setattr(sessions_module, "PURGE_BATCH", 3)
    clock = Clock()
    store = DatabaseSessionStore(db, ttl_seconds=10, clock=clock)
    try:
        for i in range(8):
            store.put(f"old-{i}", {})
        clock.now += 30

        def stored() -> int:
            with sqlite3.connect(db) as conn:
                count = int(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
            conn.close()
            return count

        store.put("new-0", {})  # deletes one batch of 3 of the 8 expired
        assert stored() == 8 - 3 + 1
        store.put("new-1", {})  # the next put, the next batch
        assert stored() == 8 - 6 + 2
        assert store.purge_expired() == 2  # the rest, in batches, until caught up
        assert stored() == 2
        store.put("new-2", {})  # caught up: no purge until the interval has passed again
        assert stored() == 3
    finally:
        store.close()


# --- the SQLite file ---------------------------------------------------------------------------


def test_new_file_gets_wal_mode_and_schema_version(db: Path) -> None:
    Journal(db).close()
    Journal(db).close()  # reopening an up-to-date file changes nothing
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"sessions", "questions", "feedback"} <= tables


def test_file_from_a_newer_askbot_is_refused(db: Path) -> None:
    Journal(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Journal(db)


def test_corrupt_file_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "askbot.sqlite3"
    path.write_bytes(b"this is not a database\n" * 500)
    with pytest.raises(StoreError, match=r"askbot\.sqlite3.*not a database"):
        Journal(path)
    with pytest.raises(StoreError, match="not a database"):
        DatabaseSessionStore(path, 60)


def test_unwritable_location_is_a_clear_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StoreError, match=r"cannot open database .*var.* is a file"):
        Journal(blocker / "askbot.sqlite3")


def test_use_after_close_is_a_store_error_and_close_is_idempotent(db: Path) -> None:
    journal = Journal(db)
    journal.close()
    journal.close()
    with pytest.raises(StoreError, match="closed"):
        journal.feedback()


# --- choosing a store --------------------------------------------------------------------------


def test_open_session_store_picks_sqlite_by_default(db: Path, tmp_path: Path) -> None:
    for url in (None, "", "sqlite://"):
        store = open_session_store(url, db, 60)
        assert isinstance(store, DatabaseSessionStore)
        store.close()
    other = tmp_path / "other.sqlite3"
    store = open_session_store(f"sqlite://{other}", db, 60)
    store.put("s", {})
    store.close()
    assert other.exists()


def test_open_session_store_refuses_unknown_schemes_and_bad_ttl(db: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported session URL"):
        open_session_store("mongodb://localhost", db, 60)
    with pytest.raises(ConfigError, match="TTL"):
        open_session_store(None, db, 0)


def test_redact_url_hides_the_password() -> None:
    assert redact_url("redis://user:s3cret@host:6380/1") == "redis://user:***@host:6380/1"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


# --- Redis ---------------------------------------------------------------------------------------


def test_redis_session_put_on_one_instance_is_read_by_another(redis_url: str) -> None:
    import redis

    one, two = RedisSessionStore(redis_url, 60), RedisSessionStore(redis_url, 60)
    raw = redis.Redis.from_url(redis_url)
    try:
        session_id = one.new_id()
        one.put(session_id, {"turns": [{"q": "and China?"}]})
        assert two.get(session_id) == {"turns": [{"q": "and China?"}]}
        two.put(session_id, {"turns": []})
        assert one.get(session_id) == {"turns": []}
        assert two.get("no-such-session") is None
        ttl_ms = raw.pttl(REDIS_KEY_PREFIX + session_id)
        assert isinstance(ttl_ms, int) and 0 < ttl_ms <= 60_000
    finally:
        one.close()
        two.close()
        raw.close()


def test_redis_session_expires_after_idle_ttl_and_put_refreshes_it(redis_url: str) -> None:
    import redis

    store, raw = RedisSessionStore(redis_url, ttl_seconds=1), redis.Redis.from_url(redis_url)
    try:
        store.put("idle", {"a": 1})
        store.put("busy", {"b": 1})
        time.sleep(0.6)
        store.put("busy", {"b": 2})
        # Refreshed: close to the full second again, where without it at most 0.4 s would remain.
        assert raw.pttl(REDIS_KEY_PREFIX + "busy") > 500
        time.sleep(0.6)  # idle: at least 1.2 s since its put, past the TTL
        assert store.get("idle") is None
        assert raw.exists(REDIS_KEY_PREFIX + "idle") == 0
    finally:
        store.close()
        raw.close()


def test_open_session_store_picks_redis_for_a_redis_url(redis_url: str, db: Path) -> None:
    store = open_session_store(redis_url, db, 60)
    try:
        assert isinstance(store, RedisSessionStore)
        assert not db.exists()  # the SQLite file is not touched for sessions
    finally:
        store.close()


def test_unreachable_redis_fails_at_start_without_leaking_the_password() -> None:
    url = f"redis://user:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreError, match=r"cannot reach Redis at redis://user:\*\*\*@") as info:
        RedisSessionStore(url, 60)
    assert "s3cret" not in str(info.value)
