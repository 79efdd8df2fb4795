"""The corpus's data types: ``FaqEntry``, ``Collection`` and ``Corpus``, with stable ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

_NON_WORD = re.compile(r"[^\w]+")


def normalise_question(text: str) -> str:
    """Case-, accent-width- and punctuation-insensitive form of a question, used for ids."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def derive_entry_id(collection: str, question: str) -> str:
    """A stable id from collection + normalised question (a content hash, never ``hash()``).

    >>> derive_entry_id("demo", "What is askbot?") == derive_entry_id("demo", "what is  ASKBOT")
    True
    """
    digest = hashlib.sha256(f"{collection}\n{normalise_question(question)}".encode()).hexdigest()
    return f"{collection}/{digest[:10]}"


def slugify(name: str) -> str:
    """Lowercase ASCII slug of a file stem, used as a collection id."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower())) or "collection"


class Translation(NamedTuple):
    """An entry's question and answer in another language (from a translation file)."""

    language: str  # ISO 639-1
    question: str
    answer: str
    alternates: tuple[str, ...] = ()


class TitleTranslation(NamedTuple):
    """A collection's title and summary in another language."""

    language: str
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer, with optional alternate phrasings."""

    id: str
    collection: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    source: str = ""
    line: int = 0
    translations: tuple[Translation, ...] = ()

    def translation(self, language: str | None) -> Translation | None:
        """The entry in ``language``, if a translation file gives it."""
        return next((t for t in self.translations if t.language == language), None)


@dataclass(frozen=True, slots=True)
class Collection:
    """The FAQ of one article or topic, read from one corpus file."""

    id: str
    title: str
    summary: str
    entries: tuple[FaqEntry, ...]
    source: str = ""
    language: str = "en"  # the language its file is written in (ISO 639-1)
    translations: tuple[TitleTranslation, ...] = ()
    # SHA-256 of the files it was read from (its own, its translations, what editors taught
    # it): a corpus load finds the same collection in the last build by it (``load_corpus``).
    files_hash: str = field(default="", compare=False)

    def languages(self) -> list[str]:
        """Every language a reader can be answered in from this collection, its own first."""
        return [self.language, *(t.language for t in self.translations)]

    def title_in(self, language: str | None) -> TitleTranslation:
        """Title and summary in ``language`` when translated, else in the collection's own."""
        found = next((t for t in self.translations if t.language == language), None)
        return found or TitleTranslation(self.language, self.title, self.summary)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every collection of a corpus folder, plus a hash of its content."""

    collections: tuple[Collection, ...]
    content_hash: str
    root: str = ""
    _by_id: dict[str, FaqEntry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries():
            self._by_id[entry.id] = entry

    def entries(self) -> Iterator[FaqEntry]:
        """Every entry of every collection, in file order."""
        for collection in self.collections:
            yield from collection.entries

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with that id, or None."""
        return self._by_id.get(entry_id)

    def collection(self, collection_id: str) -> Collection | None:
        """The collection with that id, or None."""
        return next((c for c in self.collections if c.id == collection_id), None)

    def __len__(self) -> int:
        return len(self._by_id)


def hash_files(files: list[Path], root: Path) -> str:
    """SHA-256 over the relative names and bytes of the corpus files, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
