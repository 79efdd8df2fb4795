"""State that outlives a request: conversation sessions and the journal of questions and feedback.

By default both live in one SQLite file (WAL mode) shared by every worker process on the
machine; with a PostgreSQL URL, in one database shared by several machines, and sessions can
move to Redis::

    database = open_database(None, Path("var/askbot.sqlite3"))
    sessions = open_session_store(None, Path("var/askbot.sqlite3"), ttl_seconds=1800)
    journal = Journal(database)
"""

from askbot.store.database import Database, open_database, redact_url
from askbot.store.journal import ClarifyPick, FeedbackRecord, Journal, QuestionRecord
from askbot.store.sessions import (
    REDIS_KEY_PREFIX,
    DatabaseSessionStore,
    RedisSessionStore,
    SessionState,
    SessionStore,
    new_session_id,
    open_session_store,
)
from askbot.store.sqlite import SqliteDatabase, WouldWait, without_waiting
from askbot.store.triage import Handling, Triage, normalise, wording_key

__all__ = [
    "REDIS_KEY_PREFIX",
    "ClarifyPick",
    "Database",
    "DatabaseSessionStore",
    "FeedbackRecord",
    "Handling",
    "Journal",
    "QuestionRecord",
    "RedisSessionStore",
    "SessionState",
    "SessionStore",
    "SqliteDatabase",
    "Triage",
    "WouldWait",
    "new_session_id",
    "normalise",
    "open_database",
    "open_session_store",
    "redact_url",
    "without_waiting",
    "wording_key",
]
