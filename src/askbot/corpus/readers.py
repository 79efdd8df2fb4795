"""One reader per corpus file format; each returns a ``RawCollection`` with line numbers.

Formats (chosen by file suffix):

- ``.txt``: the news-explainer format. Blocks are separated by a line holding a single ``-``;
  in each block the first line is the question and the following lines the answer. A first
  block of a single paragraph (no answer lines) is the article's summary, not an entry.
- ``.md``: an optional ``# Title``; text before the first question heading is the summary;
  every ``##`` (or deeper) heading is a question and the text under it its answer.
- ``.json``: a list of entries, or ``{"title", "summary", "entries": [...]}``.
- ``.jsonl``: one entry object per line.
- ``.csv`` / ``.tsv``: a header row with ``question`` and ``answer`` (optional ``id``,
  ``alternates``, ``tags``, ``follow_ups``; list cells separated by ``|``).
- ``.html`` / ``.htm``: a saved web page's schema.org ``FAQPage`` (JSON-LD, else microdata);
  see ``askbot.corpus.faqpage``.

Entry objects carry ``question``, ``answer`` and optionally ``id``, ``alternates``, ``tags``,
``follow_ups``. Validation common to every format happens in ``askbot.corpus.load``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from askbot.errors import CorpusError

LIST_SEPARATOR = "|"


@dataclass(slots=True)
class RawEntry:
    """An entry as read from a file, before ids and validation."""

    line: int
    question: str
    answer: str
    id: str | None = None
    alternates: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RawCollection:
    """A collection as read from a file."""

    entries: list[RawEntry]
    title: str | None = None
    summary: str = ""
    id: str | None = None


def read_text(path: Path) -> str:
    """Decode a corpus file as UTF-8, naming the line of the first bad byte if it is not."""
    data = path.read_bytes()
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise CorpusError(path, line, "binary content (NUL byte); corpus files must be UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(path, line, f"bad encoding: not valid UTF-8 ({exc.reason})") from None


def read_plain(path: Path) -> RawCollection:
    """Read the news-explainer format (``-`` separator lines)."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, text in enumerate(read_text(path).splitlines(), start=1):
        if text.strip() == "-":
            blocks.append([])
        elif text.strip():
            blocks[-1].append((number, text.strip()))
    summary = ""
    entries: list[RawEntry] = []
    for index, block in enumerate(blocks):
        if not block:
            continue
        if index == 0 and len(block) == 1:
            summary = block[0][1]
            continue
        (line, question), *answer_lines = block
        answer = "\n".join(text for _, text in answer_lines)
        entries.append(RawEntry(line=line, question=question, answer=answer))
    return RawCollection(entries=entries, summary=summary)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def read_markdown(path: Path) -> RawCollection:
    """Read Markdown: ``##`` headings are questions, the text below them answers."""
    title: str | None = None
    summary_lines: list[str] = []
    entries: list[RawEntry] = []
    answer_lines: list[str] = []

    def close_entry() -> None:
        if entries:
            entries[-1].answer = "\n".join(answer_lines).strip()
        answer_lines.clear()

    in_fence = False
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading and len(heading.group(1)) == 1 and title is None and not entries:
            title = heading.group(2)
        elif heading and len(heading.group(1)) >= 2:
            close_entry()
            entries.append(RawEntry(line=number, question=heading.group(2), answer=""))
        elif entries:
            answer_lines.append(line)
        else:
            summary_lines.append(line)
    close_entry()
    summary = " ".join(" ".join(summary_lines).split())
    return RawCollection(entries=entries, title=title, summary=summary)


def as_list(value: Any, path: Path, line: int | None, key: str) -> list[str]:
    """A list field: a JSON list of strings, or one string joined by ``LIST_SEPARATOR``."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise CorpusError(path, line, f"{key!r} must be a list of strings")


def _entry_from_object(obj: Any, path: Path, line: int | None) -> RawEntry:
    if not isinstance(obj, dict):
        raise CorpusError(
            path, line, f"expected an object with question and answer, got {obj!r:.60}"
        )
    for key in ("question", "answer"):
        if key not in obj:
            raise CorpusError(path, line, f"missing field {key!r}")
        if not isinstance(obj[key], str):
            raise CorpusError(path, line, f"field {key!r} must be a string")
    entry_id = obj.get("id")
    if entry_id == "":
        entry_id = None
    if entry_id is not None and (isinstance(entry_id, bool) or not isinstance(entry_id, str | int)):
        raise CorpusError(path, line, "field 'id' must be a string")
    return RawEntry(
        line=line or 0,
        question=obj["question"],
        answer=obj["answer"],
        id=None if entry_id is None else str(entry_id),
        alternates=as_list(obj.get("alternates"), path, line, "alternates"),
        tags=as_list(obj.get("tags"), path, line, "tags"),
        follow_ups=as_list(obj.get("follow_ups"), path, line, "follow_ups"),
    )


def read_jsonl(path: Path) -> RawCollection:
    """Read one entry object per line."""
    entries = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(path, number, f"invalid JSON: {exc.msg}") from None
        entries.append(_entry_from_object(obj, path, number))
    return RawCollection(entries=entries)


def read_json(path: Path) -> RawCollection:
    """Read a JSON list of entries, or an object with ``entries`` and optional metadata."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    meta: dict[str, Any] = {}
    if isinstance(data, dict):
        meta, data = data, data.get("entries")
    if not isinstance(data, list):
        raise CorpusError(path, 1, "expected a list of entries or an object with 'entries'")
    # JSON parsers drop positions; the n-th "question" key is the n-th entry's line.
    question_lines = [
        text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"question"\s*:', text)
    ]
    entries = [
        _entry_from_object(obj, path, question_lines[i] if i < len(question_lines) else None)
        for i, obj in enumerate(data)
    ]
    for key in ("title", "summary", "id"):
        if key in meta and not isinstance(meta[key], str):
            raise CorpusError(path, 1, f"field {key!r} must be a string")
    return RawCollection(
        entries=entries, title=meta.get("title"), summary=meta.get("summary", ""), id=meta.get("id")
    )


def read_table(path: Path) -> RawCollection:
    """Read CSV (comma) or TSV (tab) with a header row."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("question", "answer") if name not in columns]
    if missing:
        raise CorpusError(path, 1, f"missing column {', '.join(map(repr, missing))} in header")
    reader.fieldnames = columns
    entries = []
    previous_end = reader.line_num
    for row in reader:
        line = previous_end + 1  # first physical line of this record
        previous_end = reader.line_num
        if None in row:
            raise CorpusError(path, line, "more cells than header columns")
        if all(not (value or "").strip() for value in row.values()):
            continue
        entries.append(_entry_from_object({k: v or "" for k, v in row.items()}, path, line))
    return RawCollection(entries=entries)


def read_html(path: Path) -> RawCollection:
    """Read a web page's schema.org FAQPage (JSON-LD, else microdata)."""
    from askbot.corpus.faqpage import read_faqpage  # it builds on this module's types

    return read_faqpage(path)


READERS: dict[str, Callable[[Path], RawCollection]] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".csv": read_table,
    ".tsv": read_table,
    ".html": read_html,
    ".htm": read_html,
}
