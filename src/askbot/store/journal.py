"""The journal: every question asked and every feedback given, in the machine's SQLite file
or in the PostgreSQL database that several machines share (``askbot.store.database``).

Durability: the SQLite file runs with ``synchronous=NORMAL``, under which a WAL commit survives
the process being killed but not a power cut. ``add_feedback`` alone is written durably (SQLite
fsyncs the WAL, PostgreSQL commits with ``synchronous_commit = on``) before the call returns:
the API acknowledges feedback only after that, and an acknowledged feedback is never lost. The
question log is not, because it sits on every chat request's path, where an fsync each time
would cost more than the last moments of a log are worth.

For the same reason a server's journal may buffer the question log (``flush_seconds > 0``):
``log_question`` then only appends to memory, and a background thread writes what piled up
in one transaction every ``flush_seconds``. Reads, ``flush()`` and ``close()`` (run at server
shutdown) write the buffer first, so nothing is lost but the last ``flush_seconds`` of
questions if the process is killed outright. Feedback is never buffered.

Size: with ``max_questions`` set, the background thread deletes the oldest questions beyond
that many after each flush (``trim``), so the log cannot grow without bound between two
retention passes, whoever writes to it.

Retention: with ``retention_days`` set, the background thread deletes questions and feedback
older than that, at most once an hour, in batches of ``EXPIRE_BATCH`` rows per transaction so
no other writer waits long for the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from askbot.errors import StoreError
from askbot.store.database import Database
from askbot.store.overview import OverviewCounts
from askbot.store.sqlite import SqliteDatabase
from askbot.store.triage import Triage

_QUESTION_COLUMNS = (
    "id, asked_at, session_id, question, collection, decision, confidence, answer_id, "
    "latency_ms, via"
)
_FEEDBACK_COLUMNS = "id, created_at, session_id, answer_id, helpful, comment"
_INSERT_QUESTION = (
    "INSERT INTO questions (asked_at, session_id, question, collection, decision, confidence, "
    "answer_id, latency_ms, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLARIFICATION = "clarification"  # the ``via`` of a reader's pick after "did you mean…?"
# Buffered questions beyond which log_question writes at once: memory stays bounded even if
# the flusher cannot write (a full disk), and the request then sees the StoreError.
MAX_BUFFERED_QUESTIONS = 10_000
EXPIRE_EVERY_SECONDS = 3600.0  # how often the background thread applies the retention
EXPIRE_BATCH = 500  # rows deleted per transaction

log = logging.getLogger("askbot.store")


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """One logged question and what askbot decided."""

    id: int
    asked_at: float  # Unix time (seconds)
    session_id: str
    question: str
    collection: str | None
    decision: str
    confidence: float
    answer_id: str | None
    latency_ms: float
    via: str | None = None  # how the reply came about ("search", "clarification", …)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> QuestionRecord:
        """Build from a row selected as ``_QUESTION_COLUMNS``."""
        id_, asked_at, session_id, question, collection, decision, confidence, answer, ms, via = row
        return cls(
            int(id_), float(asked_at), session_id, question, collection, decision,
            float(confidence), answer, float(ms), via,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One reader's verdict on an answer."""

    id: int
    created_at: float  # Unix time (seconds)
    session_id: str
    answer_id: str
    helpful: bool
    comment: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> FeedbackRecord:
        """Build from a row selected as ``_FEEDBACK_COLUMNS``."""
        return cls(int(row[0]), float(row[1]), row[2], row[3], bool(row[4]), row[5])


@dataclass(frozen=True, slots=True)
class ClarifyPick:
    """A reader's pick after "did you mean…?": the entry their question meant."""

    asked_at: float  # when they picked
    question: str  # what they had asked, which askbot could not place alone
    collection: str | None
    entry_id: str  # the entry they picked


class Journal(OverviewCounts):
    """The log of questions and feedback, shared by every worker process that opens the same
    database (a path opens that SQLite file).

    >>> journal = Journal(Path("var/askbot.sqlite3"))  # doctest: +SKIP
    >>> journal.add_feedback(session_id="s", answer_id="a", helpful=False, comment=None)
    1
    """

    def __init__(
        self,
        database: Database | Path,
        *,
        clock: Callable[[], float] = time.time,
        flush_seconds: float = 0.0,
        retention_days: float | None = None,
        max_questions: int | None = None,
    ) -> None:
        if max_questions is not None and max_questions < 1:
            raise ValueError("max_questions must be >= 1")
        self._max_questions = max_questions
        if flush_seconds < 0:
            raise ValueError("flush_seconds must be >= 0")
        if retention_days is not None and retention_days <= 0:
            raise ValueError("retention_days must be > 0")
        self._clock = clock
        self._retention_seconds = None if retention_days is None else retention_days * 86400.0
        self._last_expiry = -float("inf")
        self._db = SqliteDatabase(database) if isinstance(database, Path) else database
        self.triage = Triage(self._db, clock=clock)
        self._buffer: list[tuple[Any, ...]] = []
        self._buffer_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        if flush_seconds > 0:
            self._flush_seconds = flush_seconds
            self._flusher = threading.Thread(
                target=self._flush_periodically, name="askbot-journal", daemon=True
            )
            self._flusher.start()

    def log_question(
        self,
        *,
        session_id: str,
        question: str,
        collection: str | None,
        decision: str,
        confidence: float,
        answer_id: str | None,
        latency_ms: float,
        via: str | None = None,
    ) -> None:
        """Record a question, its decision and how long answering took, stamped with now.

        With ``flush_seconds > 0`` the row is buffered and written within that many seconds.
        """
        row = (
            self._clock(), session_id, question, collection, decision, float(confidence),
            answer_id, float(latency_ms), via,
        )  # fmt: skip
        if self._flusher is None:
            self._db.execute(_INSERT_QUESTION, row)
            return
        with self._buffer_lock:
            self._buffer.append(row)
            full = len(self._buffer) >= MAX_BUFFERED_QUESTIONS
        if full:
            self.flush()

    def flush(self) -> None:
        """Write the buffered questions now, in one transaction (nothing to do if unbuffered)."""
        with self._buffer_lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return
        try:
            self._db.executemany(_INSERT_QUESTION, rows)
        except BaseException:
            with self._buffer_lock:  # keep them, in order, for the next attempt
                self._buffer[:0] = rows
            raise

    def _flush_periodically(self) -> None:
        failing = False
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
                self.trim()
                if time.monotonic() - self._last_expiry >= EXPIRE_EVERY_SECONDS:
                    self.expire()
                    self._last_expiry = time.monotonic()
            except StoreError as exc:
                # One line when the writes start failing, not one per attempt.
                if not failing:
                    log.warning("question log not written yet, will retry: %s", exc)
                failing = True
            else:
                if failing:
                    log.warning("question log written again")
                failing = False

    def trim(self) -> int:
        """Delete the oldest questions beyond ``max_questions``; return how many went.

        Ids only grow, so the newest ``max_questions`` rows are those with an id above
        ``MAX(id) - max_questions``: one primary-key lookup, and deletes by primary key in
        batches of ``EXPIRE_BATCH``, never a count of the table.
        """
        if self._max_questions is None:
            return 0
        ((newest,),) = self._db.fetchall("SELECT MAX(id) FROM questions")
        if newest is None or newest <= self._max_questions:
            return 0
        deleted = 0
        while True:
            batch = self._db.delete_older(
                "questions", "id", newest - self._max_questions + 1, EXPIRE_BATCH
            )
            deleted += batch
            if batch < EXPIRE_BATCH:
                return deleted

    def expire(self) -> int:
        """Delete questions, feedback and editors' handlings of them older than the retention;
        return how many rows went."""
        if self._retention_seconds is None:
            return 0
        cutoff = self._clock() - self._retention_seconds
        deleted = 0
        tables = (("questions", "asked_at"), ("feedback", "created_at"), ("handled", "handled_at"))
        for table, stamp in tables:
            while True:
                batch = self._db.delete_older(table, stamp, cutoff, EXPIRE_BATCH)
                deleted += batch
                if batch < EXPIRE_BATCH:
                    break
        return deleted

    def add_feedback(
        self, *, session_id: str, answer_id: str, helpful: bool, comment: str | None
    ) -> int:
        """Record feedback on an answer, fsynced to disk before returning; return its row id.

        One verdict per (session, answer): a second call replaces the first (same row id).
        """
        rows = self._db.fetchall_durably(
            "INSERT INTO feedback (created_at, session_id, answer_id, helpful, comment) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, answer_id) DO UPDATE SET "
            "created_at = excluded.created_at, helpful = excluded.helpful, "
            "comment = excluded.comment RETURNING id",
            (self._clock(), session_id, answer_id, int(helpful), comment),
        )
        if not rows:  # cannot happen: an upsert inserts or updates one row
            raise StoreError(f"database {self._db.name}: feedback row id missing")
        return int(rows[0][0])

    def questions(
        self, *, since: float | None = None, decisions: Collection[str] | None = None
    ) -> list[QuestionRecord]:
        """Questions asked at or after ``since`` (Unix time), optionally of some decisions only."""
        self.flush()
        where, params = ["TRUE"], list[Any]()
        if since is not None:
            where.append("asked_at >= ?")
            params.append(since)
        if decisions is not None:
            if not decisions:
                return []
            where.append(f"decision IN ({', '.join('?' * len(decisions))})")
            params.extend(decisions)
        sql = f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE {' AND '.join(where)} ORDER BY id"
        rows = self._db.fetchall(sql, params)
        return [QuestionRecord.from_row(row) for row in rows]

    def feedback(
        self, *, since: float | None = None, helpful: bool | None = None
    ) -> list[FeedbackRecord]:
        """Feedback given at or after ``since`` (Unix time), optionally only helpful or not."""
        where, params = ["TRUE"], list[Any]()
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        if helpful is not None:
            where.append("helpful = ?")
            params.append(int(helpful))
        sql = f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE {' AND '.join(where)} ORDER BY id"
        rows = self._db.fetchall(sql, params)
        return [FeedbackRecord.from_row(row) for row in rows]

    def answered_question(
        self, *, session_id: str, answer_id: str, before: float | None = None
    ) -> QuestionRecord | None:
        """The latest question in a session that got this answer (at or before ``before``).

        Feedback names a session and an answer, not a question: this finds the question it
        judged. If none was logged before ``before``, the latest at any time is returned.
        """
        self.flush()
        rows = self._db.fetchall(
            f"SELECT {_QUESTION_COLUMNS} FROM questions "
            "WHERE session_id = ? AND answer_id = ? "
            "ORDER BY (asked_at <= ?) DESC, asked_at DESC, id DESC LIMIT 1",
            (session_id, answer_id, float("inf") if before is None else before),
        )
        return QuestionRecord.from_row(rows[0]) if rows else None

    def clarify_picks(self, *, since: float | None = None) -> list[ClarifyPick]:
        """Readers' picks after "did you mean…?" at or after ``since``, each with the question
        the session was last asked to clarify before it."""
        self.flush()
        rows = self._db.fetchall(
            "SELECT p.asked_at, p.collection, p.answer_id, ("
            "  SELECT c.question FROM questions c WHERE c.session_id = p.session_id"
            "  AND c.decision = 'clarify'"
            "  AND (c.asked_at < p.asked_at OR (c.asked_at = p.asked_at AND c.id < p.id))"
            "  ORDER BY c.asked_at DESC, c.id DESC LIMIT 1"
            ") FROM questions p WHERE p.via = ? AND p.answer_id IS NOT NULL AND p.asked_at >= ?"
            " ORDER BY p.asked_at, p.id",
            (CLARIFICATION, -1.0 if since is None else since),
        )
        return [
            ClarifyPick(float(at), question, collection, entry_id)
            for at, collection, entry_id, question in rows
            if question is not None  # the clarify was purged or forgotten
        ]

    def forget(self, question: str) -> int:
        """Delete every logged question worded exactly ``question`` (a reader's personal data,
        on an editor's request), and blank it where editors' handlings show it; return how
        many logged questions went."""
        self.flush()
        self.triage.forget(question)
        return self._db.execute("DELETE FROM questions WHERE question = ?", (question,))

    def check(self) -> None:
        """Raise ``StoreError`` while the journal cannot write (see ``Database.check``)."""
        self._db.check()

    def close(self) -> None:
        """Write any buffered questions, stop the flusher and close this process's connection."""
        if self._flusher is not None:
            self._stop.set()
            self._flusher.join()
        try:
            self.flush()
        finally:
            self._db.close()
