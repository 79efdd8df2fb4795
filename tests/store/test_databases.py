"""The journal and the session store behave the same on SQLite and on a real PostgreSQL server,
and PostgreSQL's own cases: migrations at start, a server that goes away and comes back."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from askbot.errors import ConfigError, StoreError
from askbot.store import (
    DatabaseSessionStore,
    Journal,
    open_database,
    open_session_store,
    wording_key,
)
from askbot.store.postgres import SCHEMA_VERSION, PostgresDatabase
from askbot.store.triage import DELETED, PUBLISHING_SECONDS
from tests.conftest import free_port, wait_for
from tests.postgres import PostgresServer
from tests.servers import askbot_env
from tests.store.conftest import Clock


def question(journal: Journal, text: str, decision: str = "fallback", **fields: object) -> None:
    row: dict[str, object] = dict(
        session_id="s1", question=text, collection="c", decision=decision, confidence=0.2,
        answer_id=None, latency_ms=3.5,
    )  # fmt: skip
    journal.log_question(**(row | fields))


def test_the_journal_logs_questions_and_keeps_one_verdict_per_answer(
    database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    journal = Journal(open_database(database_url, tmp_path / "x"), clock=clock, flush_seconds=60)
    try:
        question(journal, "what is the weather?")
        clock.now += 10
        question(journal, "why closer?", "answer", answer_id="why-closer", confidence=0.91)
        clock.now += 10
        question(journal, "why closer now?", "answer", answer_id="why-closer")
        asked = journal.questions()  # reads write the buffer first
        assert [q.question for q in asked] == ["what is the weather?", "why closer?",
                                               "why closer now?"]  # fmt: skip
        assert asked[1].confidence == pytest.approx(0.91) and asked[1].asked_at == 1_000_010.0
        assert [q.question for q in journal.questions(decisions=["fallback"])] == [
            "what is the weather?"
        ]
        assert len(journal.questions(since=1_000_005.0)) == 2
        assert journal.questions(decisions=[]) == []

        first = journal.add_feedback(
            session_id="s1", answer_id="why-closer", helpful=True, comment=None
        )
        again = journal.add_feedback(
            session_id="s1", answer_id="why-closer", helpful=False, comment="too vague"
        )
        assert again == first  # the second verdict replaced the first
        (verdict,) = journal.feedback()
        assert (verdict.helpful, verdict.comment) == (False, "too vague")
        assert journal.feedback(helpful=True) == []
        judged = journal.answered_question(session_id="s1", answer_id="why-closer", before=1e6 + 15)
        assert judged is not None and judged.question == "why closer?"
    finally:
        journal.close()


def test_the_journal_trims_to_its_cap_and_expires_old_rows(
    database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    db = open_database(database_url, tmp_path / "x")
    journal = Journal(db, clock=clock, max_questions=3, retention_days=1)
    try:
        for n in range(5):
            question(journal, f"q{n}")
        assert journal.trim() == 2
        assert [q.question for q in journal.questions()] == ["q2", "q3", "q4"]
        journal.add_feedback(session_id="s1", answer_id="a", helpful=True, comment=None)
        clock.now += 2 * 86400
        question(journal, "fresh")
        assert journal.expire() == 4  # three questions and the feedback
        assert [q.question for q in journal.questions()] == ["fresh"]
        assert journal.feedback() == []
    finally:
        journal.close()


def test_clarify_picks_name_the_question_the_reader_was_unsure_about(
    database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    journal = Journal(open_database(database_url, tmp_path / "x"), clock=clock, flush_seconds=60)
    try:
        question(journal, "renew or replace?", "clarify", session_id="r1")
        question(journal, "renew or lose it?", "clarify", session_id="r2")
        clock.now += 1
        # Picks: "2" in r1 (same second as nothing else), a typed option in r2.
        question(journal, "2", "answer", session_id="r1", answer_id="renew", via="clarification")
        question(journal, "the lost one", "answer", session_id="r2", answer_id="lost",
                 via="clarification")  # fmt: skip
        question(journal, "how long valid?", "answer", session_id="r1", answer_id="valid",
                 via="search")  # fmt: skip
        picks = journal.clarify_picks()
        assert [(p.question, p.entry_id, p.collection) for p in picks] == [
            ("renew or replace?", "renew", "c"),
            ("renew or lose it?", "lost", "c"),
        ]
        assert journal.clarify_picks(since=clock.now + 1) == []
        assert journal.questions()[2].via == "clarification"
    finally:
        journal.close()


def test_triage_hides_handled_wordings_until_undone_and_keeps_no_readers_words(
    database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    db = open_database(database_url, tmp_path / "x")
    journal = Journal(db, clock=clock, retention_days=1)
    triage = journal.triage
    try:
        dismissed = triage.handle(
            ["Is it  RAINING?", "rain today"], representative="is it raining?",
            collection="c", editor="alice", how="dismissed",
        )  # fmt: skip
        assert (dismissed.editor, dismissed.how, len(dismissed.wordings)) == (
            "alice",
            "dismissed",
            2,
        )
        clock.now += 10
        taught = triage.handle(
            [], representative="dog ate it", collection="c", editor="bob", how="taught",
            change_id="ch1",
        )  # fmt: skip
        hidden = triage.hidden_until()
        assert hidden[wording_key("is it raining?")] == 1_000_000.0
        assert hidden[wording_key("Dog ate   it")] == 1_000_010.0 + PUBLISHING_SECONDS
        stored = db.fetchall("SELECT wordings FROM handled")
        assert "rain" not in str(stored)  # digests, not the readers' words

        assert [h.id for h in triage.handlings()] == [taught.id, dismissed.id]  # newest first
        assert [h.id for h in triage.handlings(how="dismissed")] == [dismissed.id]
        assert triage.undo_dismissal(taught.id, editor="carol") is None  # goes with its change
        undone = triage.undo_dismissal(dismissed.id, editor="carol")
        assert undone is not None and (undone.undone_by, undone.undone_at) == ("carol", 1e6 + 10)
        assert triage.undo_dismissal(dismissed.id, editor="carol") is None
        assert triage.undo_change("ch1", editor="carol") == 1
        assert triage.hidden_until() == {}

        question(journal, "dog ate it")
        assert journal.forget("dog ate it") == 1
        assert triage.handlings()[0].representative == DELETED
        clock.now += 2 * 86400
        journal.expire()
        assert triage.handlings() == []  # the retention covers editors' handlings too
    finally:
        journal.close()


def test_sessions_live_until_idle_for_the_ttl(database_url: str, tmp_path: Path) -> None:
    clock = Clock()
    store = DatabaseSessionStore(open_database(database_url, tmp_path / "x"), 10, clock=clock)
    try:
        store.put("a", {"turns": ["왜 가까워지나?"]})
        store.put("b", {})
        clock.now += 5
        store.put("b", {"n": 2})  # restarts b's idle timer
        assert store.get("a") == {"turns": ["왜 가까워지나?"]}
        clock.now += 6
        assert store.get("a") is None and store.get("b") == {"n": 2}
        assert store.purge_expired() == 1
        assert store.local is database_url.startswith("sqlite")
    finally:
        store.close()


def test_two_processes_share_one_database(database_url: str, tmp_path: Path) -> None:
    """What one machine writes, another reads: the point of a shared journal."""
    script = (
        "import sys; from pathlib import Path; from askbot.store import Journal, open_database\n"
        "j = Journal(open_database(sys.argv[1], Path('unused')))\n"
        "j.log_question(session_id='m2', question='asked on machine two', collection=None,"
        " decision='fallback', confidence=0.1, answer_id=None, latency_ms=1.0)\n"
        "j.close()"
    )
    journal = Journal(open_database(database_url, tmp_path / "x"))
    try:
        question(journal, "asked on machine one")
        subprocess.run([sys.executable, "-c", script, database_url], check=True, timeout=60)
        assert {q.question for q in journal.questions()} == {
            "asked on machine one", "asked on machine two"
        }  # fmt: skip
    finally:
        journal.close()


def test_postgres_migrates_once_when_processes_start_together(postgres_url: str) -> None:
    script = "import sys; from askbot.store import open_database; open_database(sys.argv[1], None)"
    starts = [
        subprocess.Popen([sys.executable, "-c", script, postgres_url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    assert [p.wait(timeout=60) for p in starts] == [0] * 4, [p.stderr.read() for p in starts]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT version FROM askbot_schema").fetchall() == [(SCHEMA_VERSION,)]
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    assert tables == {"askbot_schema", "sessions", "questions", "feedback", "handled"}


def test_askbot_migrate_reports_the_schema_and_a_newer_one_is_refused(
    postgres_url: str, tmp_path: Path
) -> None:
    env = askbot_env(tmp_path, database_url=postgres_url)
    done = subprocess.run(
        [sys.executable, "-m", "askbot.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"schema version {SCHEMA_VERSION}" in done.stdout
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE askbot_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this askbot understands"):
        PostgresDatabase(postgres_url)


def test_an_unreachable_server_fails_fast_without_showing_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = f"postgresql://askbot:s3cret@127.0.0.1:{free_port()}/askbot"
    started = time.monotonic()
    with pytest.raises(StoreError) as raised:
        open_database(url, Path("unused"))
    assert time.monotonic() - started < 15
    assert "s3cret" not in str(raised.value) and "askbot:***@127.0.0.1" in str(raised.value)
    with pytest.raises(ConfigError, match="unsupported database URL mysql://u:\\*\\*\\*@h"):
        open_database("mysql://u:pw@h/db", Path("unused"))
    with pytest.raises(ConfigError, match="unsupported session URL"):
        open_session_store("mongodb://localhost", Path("unused"), 60)


def test_postgres_comes_back_after_a_server_restart(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    journal = Journal(open_database(postgres_url, Path("unused")))
    try:
        question(journal, "before the restart")
        postgres_server.stop()
        with pytest.raises(StoreError):
            question(journal, "while it is down")
        with pytest.raises(StoreError):
            journal.check()  # /readyz says so
        postgres_server.start()
        assert wait_for(lambda: healthy(journal), 30)  # a probe write: no restart of askbot
        question(journal, "after the restart")
        assert [q.question for q in journal.questions()] == [
            "before the restart", "after the restart"
        ]  # fmt: skip
    finally:
        journal.close()


def healthy(journal: Journal) -> bool:
    try:
        journal.check()
    except StoreError:
        return False
    return True
