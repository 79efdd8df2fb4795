"""State that outlives a request: conversation sessions and the journal of questions and feedback.

By default both live in one SQLite file (WAL mode) shared by every worker process on the
machine; sessions can move to Redis when several machines serve one conversation::

    sessions = open_session_store(None, Path("var/askbot.sqlite3"), ttl_seconds=1800)
    journal = Journal(Path("var/askbot.sqlite3"))
"""

from askbot.store.database import SCHEMA_VERSION, Database
from askbot.store.journal import FeedbackRecord, Journal, QuestionRecord
from askbot.store.sessions import (
    REDIS_KEY_PREFIX,
    RedisSessionStore,
    SessionState,
    SessionStore,
    SqliteSessionStore,
    new_session_id,
    open_session_store,
)

__all__ = [
    "REDIS_KEY_PREFIX",
    "SCHEMA_VERSION",
    "Database",
    "FeedbackRecord",
    "Journal",
    "QuestionRecord",
    "RedisSessionStore",
    "SessionState",
    "SessionStore",
    "SqliteSessionStore",
    "new_session_id",
    "open_session_store",
]
