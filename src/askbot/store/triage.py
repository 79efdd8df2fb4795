"""What editors did with the questions askbot failed: taught them, or dismissed them.

A handling names a group of readers' wordings (stored as SHA-256 digests of the normalised
text, so the table keeps no reader's words but the one shown to editors) and hides, from the
editors' list of what to fix, every failure of those wordings up to the moment it was handled
(a taught one's, until its change has had time to go live). The same wording failing again
afterwards comes back: the teaching did not work, or the
question returned. Undoing a handling (or the taught change it belongs to) brings the hidden
failures back; it is recorded, never deleted.

>>> triage = Triage(database)  # doctest: +SKIP
>>> triage.handle(["Is it raining?"], representative="Is it raining?", collection=None,
...               editor="alice", how="dismissed")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from askbot.errors import StoreError
from askbot.store.database import Database

How = Literal["dismissed", "taught"]
_COLUMNS = (
    "id, handled_at, editor, how, collection, representative, wordings, change_id, "
    "undone_at, undone_by"
)
DELETED = "(deleted from the log)"  # what a forgotten representative reads as
# A taught change is live once its rebuild is published, seconds later: failures in that
# window are not news, so a taught group's are hidden this much longer.
PUBLISHING_SECONDS = 120.0


def normalise(question: str) -> str:
    """A wording as grouped: whitespace collapsed, case folded.

    >>> normalise("  Is it   RAINING? ")
    'is it raining?'
    """
    return " ".join(question.split()).casefold()


def wording_key(question: str) -> str:
    """The stored form of a wording: the SHA-256 of its normalised text."""
    return hashlib.sha256(normalise(question).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Handling:
    """One editor's decision on a group of failed questions."""

    id: int
    handled_at: float
    editor: str
    how: How
    collection: str | None
    representative: str  # the group's wording shown to editors
    wordings: frozenset[str]  # wording_key of every wording it covers
    change_id: str | None  # the taught change, when ``how`` is "taught"
    undone_at: float | None
    undone_by: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Handling:
        """Build from a row selected as ``_COLUMNS``."""
        id_, at, editor, how, collection, representative, wordings, change, undone, by = row
        return cls(
            int(id_), float(at), editor, how, collection, representative,
            frozenset(json.loads(wordings)), change, None if undone is None else float(undone), by,
        )  # fmt: skip


class Triage:
    """The handled groups, in the journal's database."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    def handle(
        self,
        questions: Iterable[str],
        *,
        representative: str,
        collection: str | None,
        editor: str,
        how: How,
        change_id: str | None = None,
    ) -> Handling:
        """Record that ``editor`` handled these wordings (hiding their failures until now)."""
        keys = sorted({wording_key(q) for q in [representative, *questions]})
        rows = self._db.fetchall(
            "INSERT INTO handled (handled_at, editor, how, collection, representative, "
            f"wordings, change_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
            (self._clock(), editor, how, collection, representative, json.dumps(keys), change_id),
        )
        if not rows:  # cannot happen: an insert returns its row
            raise StoreError(f"database {self._db.name}: handled row missing")
        return Handling.from_row(rows[0])

    def handlings(self, *, how: How | None = None, limit: int = 200) -> list[Handling]:
        """The latest handlings (undone ones included), newest first."""
        where, params = ("WHERE how = ?", [how]) if how else ("", [])
        rows = self._db.fetchall(
            f"SELECT {_COLUMNS} FROM handled {where} ORDER BY handled_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [Handling.from_row(row) for row in rows]

    def hidden_until(self) -> dict[str, float]:
        """Each handled wording's key and the latest moment up to which its failures are hidden."""
        until: dict[str, float] = {}
        for at, how, wordings in self._db.fetchall(
            "SELECT handled_at, how, wordings FROM handled WHERE undone_at IS NULL"
        ):
            moment = float(at) + (PUBLISHING_SECONDS if how == "taught" else 0.0)
            for key in json.loads(wordings):
                until[key] = max(until.get(key, 0.0), moment)
        return until

    def undo_dismissal(self, handling_id: int, *, editor: str) -> Handling | None:
        """Undo a dismissal still in force; None when there is none with that id (a taught
        handling goes with its change: ``undo_change``)."""
        rows = self._db.fetchall(
            "UPDATE handled SET undone_at = ?, undone_by = ? "
            f"WHERE id = ? AND how = 'dismissed' AND undone_at IS NULL RETURNING {_COLUMNS}",
            (self._clock(), editor, handling_id),
        )
        return Handling.from_row(rows[0]) if rows else None

    def undo_change(self, change_id: str, *, editor: str) -> int:
        """Undo the handlings of a taught change that was undone; return how many."""
        return self._db.execute(
            "UPDATE handled SET undone_at = ?, undone_by = ? "
            "WHERE change_id = ? AND undone_at IS NULL",
            (self._clock(), editor, change_id),
        )

    def forget(self, question: str) -> int:
        """Blank ``question`` where it is shown as a handling's wording (a reader's words)."""
        return self._db.execute(
            "UPDATE handled SET representative = ? WHERE representative = ?", (DELETED, question)
        )
