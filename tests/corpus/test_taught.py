"""Taught changes live beside the article file and survive the editors' own edits of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from askbot.corpus import derive_entry_id, hash_corpus, load_corpus
from askbot.corpus.taught import all_changes, record, taught_path, undo
from askbot.errors import CorpusError
from tests.conftest import DATA


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    return tmp_path / "corpus"


def passports(corpus: Path) -> dict[str, tuple[str, ...]]:
    (collection,) = [c for c in load_corpus(corpus).collections if c.id == "passports"]
    return {entry.question: entry.alternates for entry in collection.entries}


def test_changes_apply_on_top_of_the_article_and_survive_its_edits(corpus: Path) -> None:
    before = hash_corpus(corpus)
    lost = load_corpus(corpus).entry(
        derive_entry_id("passports", "How do I replace a lost passport?")
    )
    assert lost is not None
    record(corpus, "passports", "alternate", "the dog ate my travel papers", by="admin",
           entry_id=lost.id)  # fmt: skip
    new = record(corpus, "passports", "entry", "Is there a fee?", by="admin", answer="Yes, 80 €.")
    assert hash_corpus(corpus) != before  # a taught change makes the index stale
    assert passports(corpus)["How do I replace a lost passport?"] == (
        "the dog ate my travel papers",
    )
    assert "Is there a fee?" in passports(corpus)

    # The editor rewrites the article: answers change, an entry goes, the changes stay.
    article = corpus / "passports.md"
    text = article.read_text().replace("Report the loss", "Report the loss online")
    article.write_text(text.replace("## How long is a passport valid?", "## Validity?"))
    assert passports(corpus)["How do I replace a lost passport?"] == (
        "the dog ate my travel papers",
    )
    assert undo(corpus, new.id, by="admin") is not None
    assert "Is there a fee?" not in passports(corpus)
    assert [c.undone_by for c in all_changes(corpus)] == ["admin", None]


def test_an_alternate_of_a_removed_entry_is_skipped(corpus: Path) -> None:
    record(corpus, "passports", "alternate", "gone?", by="admin", entry_id="passports/0000000000")
    assert all("gone?" not in alternates for alternates in passports(corpus).values())


def test_a_damaged_change_log_is_named(corpus: Path) -> None:
    path = taught_path(corpus, "passports")
    path.parent.mkdir()
    path.write_text('{"changes": [')
    with pytest.raises(CorpusError, match=r"_taught/passports\.json"):
        load_corpus(corpus)


def test_a_load_takes_unchanged_collections_from_an_earlier_one(corpus: Path) -> None:
    earlier = load_corpus(corpus)
    passports_file = corpus / "passports.md"
    passports_file.write_text(passports_file.read_text() + "\n## Is there a fee?\nYes.\n")
    again = load_corpus(corpus, earlier.collections)
    assert again == load_corpus(corpus)
    for before, now in zip(earlier.collections, again.collections, strict=True):
        if now.id == "passports":  # parsed again; its unchanged entries are the earlier objects
            assert now is not before and now.entries[:-1] == before.entries
            assert all(a is b for a, b in zip(now.entries, before.entries, strict=False))
        else:
            assert now is before
    # What editors taught a collection is part of what it was read from.
    taken = again.collections[0]
    record(corpus, taken.id, "alternate", "a new way to ask", by="admin",
           entry_id=taken.entries[0].id)  # fmt: skip
    taught = load_corpus(corpus, again.collections)
    assert taught.collections[0] is not taken
    assert "a new way to ask" in taught.collections[0].entries[0].alternates
    assert taught == load_corpus(corpus)
