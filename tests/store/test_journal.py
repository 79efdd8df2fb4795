"""The journal of questions and feedback: filters, one verdict per answer, buffering, retention,
concurrency and durability."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from askbot.store import (
    DatabaseSessionStore,
    Journal,
)
from askbot.store import journal as journal_module
from askbot.store.sqlite import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import wait_for
from tests.store.conftest import Clock, run_python


def log(
    journal: Journal,
    session_id: str,
    question: str,
    decision: str = "answer",
    answer_id: str | None = "a",
) -> None:
    journal.log_question(
        session_id=session_id, question=question, collection=None, decision=decision,
        confidence=0.5, answer_id=answer_id, latency_ms=2.0,
    )  # fmt: skip


def test_questions_are_logged_with_timestamps_and_filtered(db: Path) -> None:
    clock = Clock(1000.0)
    journal = Journal(db, clock=clock)
    try:
        log(journal, "s1", "how do I renew?", "answer", "passports/renew")
        clock.now = 2000.0
        log(journal, "s1", "what about pets?", "fallback", None)
        clock.now = 3000.0
        log(journal, "s2", "which one?", "clarify", "passports/renew")

        everything = journal.questions()
        assert [q.asked_at for q in everything] == [1000.0, 2000.0, 3000.0]
        first = everything[0]
        assert (first.session_id, first.question, first.decision, first.answer_id) == (
            "s1", "how do I renew?", "answer", "passports/renew",
        )  # fmt: skip
        assert (first.confidence, first.latency_ms, first.collection) == (0.5, 2.0, None)
        assert [q.question for q in journal.questions(since=2000.0)] == [
            "what about pets?", "which one?",
        ]  # fmt: skip
        assert [q.decision for q in journal.questions(decisions={"fallback", "clarify"})] == [
            "fallback", "clarify",
        ]  # fmt: skip
        assert journal.questions(decisions=[]) == []
        assert journal.questions(since=2500.0, decisions=["fallback"]) == []
    finally:
        journal.close()


def test_feedback_is_stored_and_filtered(db: Path) -> None:
    clock = Clock(1000.0)
    journal = Journal(db, clock=clock)
    try:
        first = journal.add_feedback(session_id="s", answer_id="a", helpful=True, comment=None)
        clock.now = 2000.0
        second = journal.add_feedback(session_id="s", answer_id="b", helpful=False, comment="meh")
        assert second > first
        unhelpful = journal.feedback(helpful=False)
        assert [(f.id, f.answer_id, f.helpful, f.comment) for f in unhelpful] == [
            (second, "b", False, "meh"),
        ]  # fmt: skip
        assert [f.helpful for f in journal.feedback()] == [True, False]
        assert [f.id for f in journal.feedback(since=1500.0)] == [second]
    finally:
        journal.close()


def test_one_verdict_per_session_and_answer_a_second_replaces_the_first(db: Path) -> None:
    clock = Clock(1000.0)
    journal = Journal(db, clock=clock)
    try:
        first = journal.add_feedback(session_id="s", answer_id="a", helpful=True, comment="ok")
        clock.now = 2000.0
        again = journal.add_feedback(session_id="s", answer_id="a", helpful=False, comment=None)
        other = journal.add_feedback(session_id="t", answer_id="a", helpful=True, comment=None)
        assert again == first != other
        verdicts = [
            (f.id, f.session_id, f.helpful, f.comment, f.created_at) for f in journal.feedback()
        ]
        assert verdicts == [(first, "s", False, None, 2000.0), (other, "t", True, None, 2000.0)]
    finally:
        journal.close()


def test_a_version_1_file_with_repeated_votes_is_migrated_keeping_the_latest(db: Path) -> None:
    # A file as the askbot before one-verdict-per-answer left it: schema 1, votes repeated.
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    for statement in MIGRATIONS[0].split(";"):
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO feedback (created_at, session_id, answer_id, helpful, comment) "
        "VALUES (?, ?, ?, ?, ?)",
        [(1.0, "s", "a", 1, "first"), (2.0, "s", "a", 0, "second"), (3.0, "s", "b", 1, None)],
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    journal = Journal(db)
    try:
        assert [(f.answer_id, f.comment) for f in journal.feedback()] == [
            ("a", "second"), ("b", None),
        ]  # fmt: skip
        journal.add_feedback(session_id="s", answer_id="b", helpful=False, comment="changed")
        assert [(f.answer_id, f.helpful) for f in journal.feedback()] == [
            ("a", False), ("b", False),
        ]  # fmt: skip
    finally:
        journal.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_feedback_finds_the_latest_question_that_got_that_answer(db: Path) -> None:
    clock = Clock(1000.0)
    journal = Journal(db, clock=clock)
    try:
        log(journal, "s", "first ask", answer_id="x")
        clock.now = 1100.0
        log(journal, "s", "second ask", answer_id="x")
        log(journal, "other", "elsewhere", answer_id="x")
        clock.now = 1200.0
        log(journal, "s", "after the feedback", answer_id="x")
        found = journal.answered_question(session_id="s", answer_id="x", before=1150.0)
        assert found is not None and found.question == "second ask"
        latest = journal.answered_question(session_id="s", answer_id="x")
        assert latest is not None and latest.question == "after the feedback"
        assert journal.answered_question(session_id="s", answer_id="nope") is None
    finally:
        journal.close()


def test_feedback_alone_is_written_with_synchronous_full(db: Path) -> None:
    # A power cut cannot be staged in a test; what can be checked is that the feedback insert,
    # and only it, runs under synchronous=FULL (fsync of the WAL before the call returns).
    journal = Journal(db)
    statements: list[str] = []
    journal._db._connection.set_trace_callback(statements.append)
    log(journal, "s", "q")
    journal.add_feedback(session_id="s", answer_id="a", helpful=True, comment=None)
    journal._db._connection.set_trace_callback(None)
    try:
        feedback_at = next(i for i, s in enumerate(statements) if "INTO feedback" in s)
        question_at = next(i for i, s in enumerate(statements) if "INTO questions" in s)
        assert statements[feedback_at - 1] == "PRAGMA synchronous = FULL"
        assert statements[feedback_at + 1] == "PRAGMA synchronous = NORMAL"
        assert "FULL" not in " ".join(statements[: question_at + 1])
        with journal._db.connect() as conn:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL again
    finally:
        journal.close()


def test_threads_sharing_one_journal_lose_nothing(db: Path) -> None:
    journal = Journal(db)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                log(journal, f"t{worker}", f"q{i}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(journal.questions()) == 400
    finally:
        journal.close()


def count_questions(db: Path) -> int:
    """Rows in the question log, read through a connection of our own."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM questions").fetchone()[0])


def test_a_buffered_question_log_is_written_by_flush_and_close(db: Path) -> None:
    journal = Journal(db, flush_seconds=3600)  # the flusher thread never fires in this test
    log(journal, "s", "first")
    log(journal, "s", "second")
    assert count_questions(db) == 0  # still in memory, off the request path
    journal.flush()
    assert count_questions(db) == 2
    log(journal, "s", "third")
    assert [q.question for q in journal.questions()] == ["first", "second", "third"]
    log(journal, "s", "fourth")
    journal.close()
    assert count_questions(db) == 4


def test_a_buffered_question_log_is_written_in_the_background(db: Path) -> None:
    journal = Journal(db, flush_seconds=0.05)
    try:
        log(journal, "s", "q")
        deadline = time.monotonic() + 10
        while count_questions(db) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert count_questions(db) == 1
    finally:
        journal.close()


def test_questions_and_feedback_older_than_the_retention_are_deleted_in_batches(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "EXPIRE_BATCH", 2)
    day = 86400.0
    clock = Clock(100 * day)
    journal = Journal(db, clock=clock, retention_days=30)
    try:
        for i in range(5):  # old: more than one batch of each
            log(journal, "s", f"old question {i}")
            journal.add_feedback(session_id="s", answer_id=f"a{i}", helpful=True, comment="old")
        clock.now += 31 * day
        log(journal, "s", "new question")
        journal.add_feedback(session_id="s", answer_id="a", helpful=False, comment="new")
        assert journal.expire() == 10
        assert [q.question for q in journal.questions()] == ["new question"]
        assert [f.comment for f in journal.feedback()] == ["new"]
        assert journal.expire() == 0
    finally:
        journal.close()
    kept = Journal(db, clock=clock)  # no retention set: nothing is ever deleted
    try:
        clock.now += 1000 * day
        assert kept.expire() == 0 and len(kept.questions()) == 1
    finally:
        kept.close()
    with pytest.raises(ValueError, match="retention_days"):
        Journal(db, retention_days=0)


def test_buffering_questions_leaves_feedback_synchronous_and_full(db: Path) -> None:
    journal = Journal(db, flush_seconds=3600)
    statements: list[str] = []
    journal._db._connection.set_trace_callback(statements.append)
    try:
        log(journal, "s", "q")
        row = journal.add_feedback(session_id="s", answer_id="a", helpful=False, comment=None)
        # On disk before add_feedback returned, fsynced; the question is not written yet.
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT id FROM feedback").fetchall() == [(row,)]
        assert count_questions(db) == 0
        feedback_at = next(i for i, s in enumerate(statements) if "INTO feedback" in s)
        assert statements[feedback_at - 1] == "PRAGMA synchronous = FULL"
    finally:
        journal._db._connection.set_trace_callback(None)
        journal.close()
    assert count_questions(db) == 1


def test_threads_sharing_a_buffered_journal_lose_nothing(db: Path) -> None:
    journal = Journal(db, flush_seconds=0.01)
    threads = [
        threading.Thread(target=lambda n=n: [log(journal, f"t{n}", f"q{i}") for i in range(50)])
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()
    assert count_questions(db) == 400


WRITER = """
import sys
from pathlib import Path
from askbot.store import Journal, DatabaseSessionStore

path, writer, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # start line: every writer opens and writes at the same moment
journal, sessions = Journal(path), DatabaseSessionStore(path, 60)
for i in range(count):
    journal.log_question(session_id=writer, question=f"{writer} {i}", collection=None,
                         decision="answer", confidence=0.5, answer_id=f"a{i}", latency_ms=1.0)
    if i % 5 == 0:
        journal.add_feedback(session_id=writer, answer_id=f"a{i}", helpful=True, comment=None)
    sessions.put(f"{writer}-{i % 7}", {"i": i})
journal.close()
sessions.close()
"""


def test_processes_writing_to_one_fresh_file_at_once_lose_nothing(db: Path) -> None:
    # Started together on a file that does not exist yet: they also race to create the schema.
    writers, count = ["w0", "w1", "w2"], 200
    children = [run_python(WRITER, db, name, count) for name in writers]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    journal, sessions = Journal(db), DatabaseSessionStore(db, 60)
    try:
        questions = journal.questions()
        assert len(questions) == len(writers) * count
        assert {q.question for q in questions} == {
            f"{w} {i}" for w in writers for i in range(count)
        }
        assert len(journal.feedback()) == len(writers) * count // 5
        for name in writers:
            assert sessions.get(f"{name}-{(count - 1) % 7}") == {"i": count - 1}
    finally:
        journal.close()
        sessions.close()


FEEDBACK_THEN_KILLED = """
import sys
from pathlib import Path
from askbot.store import Journal

journal = Journal(Path(sys.argv[1]))
for i in range(100_000):
    row = journal.add_feedback(session_id="s", answer_id=f"a{i}", helpful=False, comment="no")
    print("acked", row, flush=True)
"""


def test_acknowledged_feedback_survives_sigkill(db: Path) -> None:
    child = run_python(FEEDBACK_THEN_KILLED, db)
    assert child.stdout is not None
    acked: list[int] = []
    for line in child.stdout:
        acked.append(int(line.split()[1]))
        if len(acked) == 20:
            child.kill()  # SIGKILL: no atexit, no close, no checkpoint
            break
    # Acks printed between our read and the kill still count: collect them from the pipe.
    rest, _ = child.communicate(timeout=30)
    acked += [int(line.split()[1]) for line in rest.splitlines() if line.startswith("acked ")]
    assert child.returncode == -9
    journal = Journal(db)
    try:
        stored = {f.id for f in journal.feedback()}
    finally:
        journal.close()
    assert set(acked) <= stored


def test_the_question_log_keeps_only_the_newest_max_questions(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "EXPIRE_BATCH", 2)  # several batches
    journal = Journal(db, max_questions=3)
    try:
        for i in range(10):
            log(journal, "s", f"question {i}")
        assert journal.trim() == 7
        assert [q.question for q in journal.questions()] == [f"question {i}" for i in (7, 8, 9)]
        assert journal.trim() == 0
    finally:
        journal.close()
    with pytest.raises(ValueError, match="max_questions"):
        Journal(db, max_questions=0)


def test_a_buffered_question_log_is_trimmed_in_the_background(db: Path) -> None:
    journal = Journal(db, flush_seconds=0.02, max_questions=5)
    try:
        for i in range(40):
            log(journal, "s", f"question {i}")
        assert wait_for(lambda: count_questions(db) == 5)
        assert [q.question for q in journal.questions()][-1] == "question 39"
    finally:
        journal.close()
