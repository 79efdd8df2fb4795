"""Reading FAQ collections from a corpus folder: one file per article or topic.

A file named with a language code before its suffix (``faq.ko.txt``) is written in that
language; a file without one is English. Beside a file of the same name without the code
(``faq.txt``) it is that collection's translation: its entries match the original's by ``id``
where they carry one, else by position, and a reader asking in that language is answered from
it. Alone, it is a collection of its own in that language.

>>> corpus = load_corpus(Path("corpus"))  # doctest: +SKIP
>>> [c.id for c in corpus.collections]  # doctest: +SKIP
['south-korea-japan-relations']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from askbot.corpus.entries import (
    Collection,
    Corpus,
    FaqEntry,
    TitleTranslation,
    Translation,
    derive_entry_id,
    hash_files,
    normalise_question,
    slugify,
)
from askbot.corpus.readers import READERS, RawCollection
from askbot.corpus.taught import apply_changes, read_changes, taught_files, taught_path
from askbot.errors import CorpusError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Collection",
    "Corpus",
    "FaqEntry",
    "TitleTranslation",
    "Translation",
    "corpus_files",
    "corpus_from_entries",
    "derive_entry_id",
    "hash_corpus",
    "load_collection",
    "load_corpus",
    "normalise_question",
    "slugify",
]

SUPPORTED_SUFFIXES = tuple(READERS)
_COLLECTION_ID_MAX = 64
DEFAULT_LANGUAGE = "en"
_LANGUAGE_CODE = re.compile(r"^(?P<stem>.+)\.(?P<language>[a-z]{2})$")


def file_language(path: Path) -> tuple[str, str | None]:
    """A corpus file's stem without its language code, and the code (None: not given).

    >>> file_language(Path("faq.ko.txt"))
    ('faq', 'ko')
    """
    match = _LANGUAGE_CODE.match(path.stem)
    return (match["stem"], match["language"]) if match else (path.stem, None)


def corpus_files(root: Path) -> list[Path]:
    """The collection files of a corpus folder (or the one file given), sorted.

    Hidden files, files starting with ``_`` and ``README*`` are skipped so a corpus folder
    can carry its own notes.
    """
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CorpusError(root, None, "corpus folder does not exist")
    return sorted(
        path
        for path in root.iterdir()
        if path.is_file()
        and path.suffix.lower() in READERS
        and not path.name.startswith((".", "_"))
        and not path.name.lower().startswith("readme")
    )


def load_collection(path: Path) -> Collection:
    """Read and validate one collection file."""
    raw = READERS[path.suffix.lower()](path)
    stem, language = file_language(path)
    collection_id = raw.id or slugify(stem)
    if len(collection_id) > _COLLECTION_ID_MAX:
        raise CorpusError(path, None, f"collection id longer than {_COLLECTION_ID_MAX} characters")
    return replace(_validate(path, collection_id, raw), language=language or DEFAULT_LANGUAGE)


def translate(original: Collection, path: Path) -> Collection:
    """``original`` with the translation file ``path`` merged into its entries.

    Entries match by ``id`` when the translation gives one, else by position; every entry of
    the translation must match exactly one of the original's.
    """
    _, language = file_language(path)
    assert language is not None  # only files named with a code are translations
    if language == original.language:
        raise CorpusError(path, None, f"a translation into {language}, the original's language")
    raw = READERS[path.suffix.lower()](path)
    by_id = {e.id: i for i, e in enumerate(original.entries)}
    translated: dict[int, Translation] = {}
    explicit = any(item.id for item in raw.entries)
    if not explicit and len(raw.entries) != len(original.entries):
        raise CorpusError(
            path,
            None,
            f"{len(raw.entries)} entries, but {original.source} has {len(original.entries)}: "
            "a translation without ids matches the original entry by entry",
        )
    for position, item in enumerate(raw.entries):
        slot = by_id.get(item.id or "") if explicit else position
        if slot is None:
            raise CorpusError(path, item.line, f"no entry {item.id!r} in {original.source}")
        question, answer = " ".join(item.question.split()), item.answer.strip()
        if not question or not answer:
            raise CorpusError(path, item.line, "empty question or answer")
        alternates = tuple(dict.fromkeys(" ".join(a.split()) for a in item.alternates))
        translated[slot] = Translation(language, question, answer, alternates)
    entries = tuple(
        replace(e, translations=(*e.translations, translated[i])) if i in translated else e
        for i, e in enumerate(original.entries)
    )
    title = TitleTranslation(
        language, raw.title or original.title, raw.summary.strip() or original.summary
    )
    return replace(original, entries=entries, translations=(*original.translations, title))


def _validate(path: Path, collection_id: str, raw: RawCollection) -> Collection:
    if not raw.entries:
        raise CorpusError(path, None, "no FAQ entries found")
    entries: list[FaqEntry] = []
    seen_ids: dict[str, int] = {}
    for item in raw.entries:
        question = " ".join(item.question.split())
        answer = item.answer.strip()
        if not question:
            raise CorpusError(path, item.line, "empty question")
        if not answer:
            raise CorpusError(path, item.line, f"empty answer for question {question!r}")
        entry_id = item.id or derive_entry_id(collection_id, question)
        if entry_id in seen_ids:
            what = "duplicate id" if item.id else "duplicate question"
            raise CorpusError(
                path, item.line, f"{what} {entry_id!r} (first at line {seen_ids[entry_id]})"
            )
        seen_ids[entry_id] = item.line
        entries.append(
            FaqEntry(
                id=entry_id,
                collection=collection_id,
                question=question,
                answer=answer,
                alternates=tuple(dict.fromkeys(" ".join(a.split()) for a in item.alternates)),
                tags=tuple(item.tags),
                follow_ups=tuple(item.follow_ups),
                source=path.name,
                line=item.line,
            )
        )
    title = raw.title or path.stem.replace("-", " ").replace("_", " ").strip().title()
    return Collection(
        id=collection_id,
        title=title,
        summary=raw.summary.strip(),
        entries=tuple(entries),
        source=path.name,
    )


def corpus_from_entries(entries: list[FaqEntry], *, title: str = "", summary: str = "") -> Corpus:
    """A corpus made in memory (evaluation sets, tests), one collection per entry collection."""
    by_collection: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        by_collection.setdefault(entry.collection, []).append(entry)
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(repr(entry).encode())
    collections = tuple(
        Collection(id=name, title=title or name, summary=summary, entries=tuple(group))
        for name, group in by_collection.items()
    )
    return Corpus(collections=collections, content_hash=digest.hexdigest())


def hash_corpus(root: Path) -> str:
    """The corpus's ``content_hash`` from its files' names and bytes, without parsing them.

    Equal to ``load_corpus(root).content_hash`` for a corpus that loads; cheap enough to decide
    whether an index is fresh (a changed or malformed corpus simply hashes differently).
    """
    files = corpus_files(root)
    return hash_files(files + taught_files(root), root if root.is_dir() else root.parent)


def load_corpus(root: Path, known: Iterable[Collection] = ()) -> Corpus:
    """Read every collection file under ``root``; any malformed file raises ``CorpusError``.

    ``known``: collections of an earlier load (the last build's). One whose files hash the same
    now is taken as it is instead of parsed again: at 100k entries parsing takes seconds.
    """
    files = corpus_files(root)
    if not files:
        raise CorpusError(root, None, f"no collection files ({', '.join(SUPPORTED_SUFFIXES)})")
    base = root if root.is_dir() else root.parent
    earlier = {c.source: c for c in known if c.files_hash}
    collections: list[Collection] = []
    seen: dict[str, Path] = {}
    entry_sources: dict[str, Path] = {}
    # A file named with a language code beside one named without it is its translation.
    originals = {p.stem for p in files if file_language(p)[1] is None}
    translations = [p for p in files if file_language(p)[1] and file_language(p)[0] in originals]
    for path in files:
        if path in translations:
            continue
        own = [path, *(t for t in translations if file_language(t)[0] == path.stem)]
        before = earlier.get(path.name)
        hashed = _files_hash(root, own, before.id) if before is not None else ""
        if before is not None and hashed == before.files_hash:
            collection = before
        else:
            collection = load_collection(path)
            for translation in own[1:]:
                collection = translate(collection, translation)
            if root.is_dir():  # what editors taught it (askbot.corpus.taught)
                changes = read_changes(taught_path(root, collection.id))
                collection = apply_changes(collection, changes)
            if before is None or collection.id != before.id:  # its taught file is another
                hashed = _files_hash(root, own, collection.id)
            collection = replace(collection, files_hash=hashed)
            if before is not None:
                collection = _same_entries_as(collection, before)
        if collection.id in seen:
            raise CorpusError(
                path,
                None,
                f"collection id {collection.id!r} already used by {seen[collection.id].name}",
            )
        seen[collection.id] = path
        for entry in collection.entries:
            if entry.id in entry_sources:
                other = entry_sources[entry.id].name
                raise CorpusError(path, entry.line, f"duplicate id {entry.id!r} (also in {other})")
            entry_sources[entry.id] = path
        collections.append(collection)
    content_hash = hash_files(files + taught_files(root), base)
    return Corpus(collections=tuple(collections), content_hash=content_hash, root=str(root))


def _same_entries_as(collection: Collection, earlier: Collection) -> Collection:
    """``collection`` with each entry equal to one of ``earlier``'s replaced by that one: after
    an edit, what did not change is the last build's object, which a build recognises at once
    (and writes as the line it read)."""
    before = {entry.id: entry for entry in earlier.entries}
    entries = tuple(
        before[entry.id] if before.get(entry.id) == entry else entry for entry in collection.entries
    )
    return replace(collection, entries=entries)


def _files_hash(root: Path, files: list[Path], collection_id: str) -> str:
    """``Collection.files_hash`` of a collection read from ``files`` (original first)."""
    taught = taught_path(root, collection_id) if root.is_dir() else None
    base = root if root.is_dir() else root.parent
    return hash_files(files + ([taught] if taught and taught.is_file() else []), base)
