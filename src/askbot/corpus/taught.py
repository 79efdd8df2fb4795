"""What editors taught askbot from readers' questions, kept beside the article files:
``corpus/_taught/<collection id>.json``, one per collection (``/v1/admin/teach``).

The file is that collection's change log: each change (an alternate phrasing of an entry, or a
new entry) with who made it, when, and when it was undone. Loading the collection applies the
changes in force on top of the article's own file, matched by entry id, so an editor's later
edit of the article keeps them; an alternate of an entry that no longer exists is skipped.
Writes take a lock and replace the file atomically, so two editors never lose each other's.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from askbot.corpus.entries import Collection, FaqEntry, derive_entry_id, normalise_question
from askbot.errors import CorpusError

TAUGHT_DIR = "_taught"
Action = Literal["alternate", "entry"]


@dataclass(frozen=True, slots=True)
class Change:
    """One thing an editor taught: ``question`` as an alternate of ``entry_id``, or as a new
    entry with ``answer``."""

    id: str
    collection: str
    action: Action
    question: str
    made_at: float  # Unix time
    by: str  # the caller's name (the admin key's)
    entry_id: str | None = None  # the entry an alternate belongs to, or the new entry's id
    answer: str | None = None  # a new entry's answer
    undone_at: float | None = None
    undone_by: str | None = None

    @property
    def in_force(self) -> bool:
        """Whether it still applies (not undone)."""
        return self.undone_at is None


def taught_path(root: Path, collection: str) -> Path:
    """The change log of ``collection`` in the corpus folder ``root``."""
    return Path(root) / TAUGHT_DIR / f"{collection}.json"


def taught_files(root: Path) -> list[Path]:
    """Every change log of a corpus folder, sorted (part of the corpus's hash)."""
    folder = Path(root) / TAUGHT_DIR
    return sorted(folder.glob("*.json")) if Path(root).is_dir() and folder.is_dir() else []


def read_changes(path: Path) -> list[Change]:
    """The changes a log holds, oldest first ([] when there is none); a damaged log raises
    ``CorpusError`` naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(path, None, f"unreadable change log: {exc}") from exc
    try:
        return [Change(**item) for item in data["changes"]]
    except (KeyError, TypeError) as exc:
        raise CorpusError(path, None, f"not a change log: {exc}") from exc


def apply_changes(collection: Collection, changes: list[Change]) -> Collection:
    """``collection`` with the changes in force: alternates added to their entries (if they
    still exist and do not already say it), new entries appended."""
    entries = list(collection.entries)
    position = {entry.id: n for n, entry in enumerate(entries)}
    for change in changes:
        if not change.in_force:
            continue
        if change.action == "entry" and change.entry_id not in position:
            position[change.entry_id or ""] = len(entries)
            entries.append(
                FaqEntry(
                    id=change.entry_id or "",
                    collection=collection.id,
                    question=change.question,
                    answer=change.answer or "",
                    source=f"{TAUGHT_DIR}/{collection.id}.json",
                )
            )
        elif change.action == "alternate" and change.entry_id in position:
            entry = entries[position[change.entry_id]]
            said = {normalise_question(t) for t in (entry.question, *entry.alternates)}
            if normalise_question(change.question) not in said:
                entries[position[change.entry_id]] = replace(
                    entry, alternates=(*entry.alternates, change.question)
                )
    return replace(collection, entries=tuple(entries))


def record(
    root: Path,
    collection: str,
    action: Action,
    question: str,
    *,
    by: str,
    entry_id: str | None = None,
    answer: str | None = None,
) -> Change:
    """Add a change to ``collection``'s log and return it (a new entry gets its id here)."""
    made_at = time.time()
    if action == "entry":
        entry_id = derive_entry_id(collection, question)
    key = f"{collection}\n{action}\n{question}\n{made_at}".encode()
    change = Change(
        id=hashlib.sha256(key).hexdigest()[:12],
        collection=collection,
        action=action,
        question=question,
        made_at=made_at,
        by=by,
        entry_id=entry_id,
        answer=answer,
    )
    with _locked_log(taught_path(root, collection)) as changes:
        changes.append(change)
    return change


def undo(root: Path, change_id: str, *, by: str) -> Change | None:
    """Mark a change undone and return it; None when no log has it (or it is undone already)."""
    for path in taught_files(root):
        with _locked_log(path) as changes:
            for n, change in enumerate(changes):
                if change.id == change_id and change.in_force:
                    changes[n] = replace(change, undone_at=time.time(), undone_by=by)
                    return changes[n]
    return None


def all_changes(root: Path, collection: str | None = None) -> list[Change]:
    """Every change of the corpus (or of one collection), newest first."""
    paths = [taught_path(root, collection)] if collection else taught_files(root)
    found = [change for path in paths for change in read_changes(path)]
    return sorted(found, key=lambda c: c.made_at, reverse=True)


@contextmanager
def _locked_log(path: Path) -> Iterator[list[Change]]:
    """The log's changes to modify in place, written back atomically under an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            changes = read_changes(path)
            before = list(changes)
            yield changes
            if changes != before:
                _write(path, changes)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, changes: list[Change]) -> None:
    data: dict[str, Any] = {"changes": [asdict(change) for change in changes]}
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
