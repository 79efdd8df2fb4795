"""The entry table of a build (``entries.jsonl``): one ``FaqEntry`` a line, written and read
with msgspec; and the table of a format 1 manifest, which held the entries itself."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from askbot.corpus import FaqEntry
from askbot.errors import IndexCorruptError

# The entry table's codec: msgspec writes and reads ``FaqEntry`` as it is (tuples and named
# tuples as JSON lists), with no dict in between: decoding dicts and building each dataclass
# from one was most of what reading a 100k-entry build cost.
_encode_entry = msgspec.json.Encoder().encode
_decode_entry = msgspec.json.Decoder(FaqEntry).decode


def entry_line(entry: FaqEntry) -> bytes:
    """One line of the entry table."""
    return _encode_entry(entry) + b"\n"


def read_entries(
    path: Path, known: Mapping[bytes, FaqEntry]
) -> tuple[list[FaqEntry], dict[bytes, FaqEntry]]:
    """The entries of a format 2 build, decoded one line at a time (never the whole table),
    except lines found in ``known`` (line -> entry, of an earlier load); and this table's own
    such map.

    Entries are immutable, so an unchanged line's entry can be shared between two loads.
    """
    shared: dict[str, str] = {}
    decoded: dict[bytes, FaqEntry] = {}
    entries = []
    try:
        with path.open("rb") as lines, _no_cycle_collection():
            for line in lines:
                entry = known.get(line)
                if entry is None:
                    entry = _shared_strings(_decode_entry(line), shared)
                decoded[line] = entry
                entries.append(entry)
    except (OSError, ValueError, msgspec.MsgspecError) as exc:
        raise IndexCorruptError(f"{path} is unreadable: {exc} (run: askbot build)") from None
    return entries, decoded


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: decoding 100k entries makes ~1M containers, none
    in a cycle, which it would otherwise scan again and again (a sixth of the decoding)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def entries_from_json(table: list[dict[str, Any]]) -> list[FaqEntry]:
    """The entries of a format 1 manifest's table, emptying the table as they are made.

    Each dict is dropped once its entry exists, so the dicts and the entries are not both held
    whole for long (at 100k entries each is tens of MB).
    """
    shared: dict[str, str] = {}
    entries = []
    table.reverse()
    try:
        while table:
            entries.append(_shared_strings(msgspec.convert(table.pop(), FaqEntry), shared))
    except msgspec.ValidationError as exc:
        raise IndexCorruptError(f"an entry of the manifest is unreadable: {exc}") from None
    return entries


def _shared_strings(entry: FaqEntry, shared: dict[str, str]) -> FaqEntry:
    """``entry`` holding the strings every entry of a collection repeats (collection id,
    source file) from ``shared`` rather than a copy of its own: ~12 MB at 100k entries."""
    for name in ("collection", "source"):
        value = getattr(entry, name)
        kept = shared.setdefault(value, value)
        if kept is not value:
            object.__setattr__(entry, name, kept)  # a frozen dataclass only this load holds
    return entry
