"""Translation files: matched to the original entry by entry, and clear errors when they don't."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from askbot.corpus import file_language, load_corpus
from askbot.errors import CorpusError
from tests.conftest import SEED_CORPUS

ORIGINAL = "south-korea-japan-relations.txt"
KOREAN = "south-korea-japan-relations.ko.txt"


def test_a_file_named_with_a_language_code_translates_the_original() -> None:
    (collection,) = load_corpus(SEED_CORPUS).collections
    assert collection.language == "en"
    assert collection.languages() == ["en", "ko"]
    first = collection.entries[0]
    korean = first.translation("ko")
    assert korean is not None and korean.question.startswith("한국과 일본이")
    assert first.translation("ja") is None
    assert collection.title_in("ko").summary.startswith("최근 한국과 일본은")
    assert collection.title_in("ja").language == "en"  # no Japanese file: the original


def test_a_language_file_alone_is_a_collection_in_that_language(tmp_path: Path) -> None:
    shutil.copy(SEED_CORPUS / KOREAN, tmp_path / "hanil.ko.txt")
    (collection,) = load_corpus(tmp_path).collections
    assert (collection.id, collection.language) == ("hanil", "ko")
    assert collection.entries[0].question.startswith("한국과 일본이")


def test_translations_by_id_may_cover_some_entries(tmp_path: Path) -> None:
    entries = [
        {"id": "fee", "question": "How much is the fee?", "answer": "Ten euros."},
        {"id": "open", "question": "When are you open?", "answer": "Nine to five."},
    ]
    (tmp_path / "office.json").write_text(json.dumps(entries))
    german = [{"id": "open", "question": "Wann haben Sie geöffnet?", "answer": "Neun bis fünf."}]
    (tmp_path / "office.de.json").write_text(json.dumps(german))
    (collection,) = load_corpus(tmp_path).collections
    fee, opening = collection.entries
    assert fee.translation("de") is None
    assert opening.translation("de") == ("de", "Wann haben Sie geöffnet?", "Neun bis fünf.", ())


def test_a_translation_with_another_entry_count_names_the_file(tmp_path: Path) -> None:
    shutil.copy(SEED_CORPUS / ORIGINAL, tmp_path / ORIGINAL)
    text = (SEED_CORPUS / KOREAN).read_text(encoding="utf-8")
    (tmp_path / KOREAN).write_text(text.rsplit("\n-\n", 1)[0] + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"ko\.txt.*5 entries, but .* has 6"):
        load_corpus(tmp_path)


def test_a_translation_naming_an_unknown_id_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "office.json").write_text(
        json.dumps([{"id": "a", "question": "Q?", "answer": "A."}])
    )
    (tmp_path / "office.fr.json").write_text(
        json.dumps([{"id": "zzz", "question": "Q ?", "answer": "R."}])
    )
    with pytest.raises(CorpusError, match=r"office\.fr\.json.*no entry 'zzz'"):
        load_corpus(tmp_path)


def test_language_codes_come_from_the_file_name() -> None:
    assert file_language(Path("faq.ko.txt")) == ("faq", "ko")
    assert file_language(Path("faq.txt")) == ("faq", None)
    assert file_language(Path("v1.2.md")) == ("v1.2", None)  # not a language code
