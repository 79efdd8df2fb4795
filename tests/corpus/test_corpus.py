"""Readers for every corpus format, stable ids, and clear errors naming file and line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from askbot.corpus import derive_entry_id, load_corpus
from askbot.errors import CorpusError
from tests.conftest import DATA, SEED_CORPUS


def test_seed_collection_has_summary_and_six_entries() -> None:
    corpus = load_corpus(SEED_CORPUS)
    (collection,) = corpus.collections
    assert collection.id == "south-korea-japan-relations"
    assert collection.summary.startswith("Recently, South Korea and Japan")
    assert len(collection.entries) == 6
    first = collection.entries[0]
    assert first.question == "What prompted South Korea and Japan to strengthen ties now?"
    assert first.answer.startswith("The recent visit of South Korean President")
    assert first.line == 3


def test_every_format_is_read() -> None:
    corpus = load_corpus(DATA / "corpus_good")
    by_id = {c.id: c for c in corpus.collections}
    assert sorted(by_id) == ["bikes", "food", "pets", "travel", "wifi"]
    assert by_id["travel"].title == "Travel FAQ"
    assert by_id["travel"].summary == "Questions readers asked about the rail strike."
    refund = by_id["travel"].entries[1]
    assert refund.question == "Can I get a refund for my ticket?"
    assert refund.answer.endswith("within 30 days.") and refund.line == 8
    assert by_id["pets"].entries[0].alternates == ("are dogs allowed on trains", "pets on board")
    assert by_id["pets"].entries[1].follow_ups == ("pets-1",)
    bike = by_id["bikes"].entries[0]
    assert (bike.id, bike.alternates) == ("bikes-1", ("bicycle on train", "bring a bike"))
    assert by_id["bikes"].entries[1].id == derive_entry_id("bikes", "Where do I park my bike?")
    assert by_id["food"].title == "Food on board" and len(by_id["food"].entries) == 2
    assert by_id["wifi"].entries[0].answer.startswith("Yes, free wifi")
    assert len(corpus) == 9


def test_ids_are_stable_content_hashes() -> None:
    a = derive_entry_id("news", "Why now?")
    assert a == derive_entry_id("news", "  why NOW ")
    assert a != derive_entry_id("other", "Why now?")
    # Pinned: sha256("news\nwhy now")[:10], the same on every machine and Python run.
    assert a == "news/" + hashlib.sha256(b"news\nwhy now").hexdigest()[:10]


def test_corpus_hash_changes_with_content(seed_corpus_dir: Path) -> None:
    before = load_corpus(seed_corpus_dir).content_hash
    path = seed_corpus_dir / "south-korea-japan-relations.txt"
    path.write_text(path.read_text().replace("pragmatic", "practical"))
    assert load_corpus(seed_corpus_dir).content_hash != before


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "line", "problem"),
    [
        ("a.txt", "Intro.\n-\nQuestion one?\nAnswer.\n-\nQuestion two?\n", 6, "empty answer"),
        ("b.md", "# T\n\n## Q1?\nA1\n\n## Q2?\n\n", 6, "empty answer"),
        (
            "c.jsonl",
            '{"question": "q", "answer": "a"}\n{"question": "q2"}\n',
            2,
            "missing field 'answer'",
        ),
        ("d.jsonl", '{"question": "q", "answer": "a"}\n{not json\n', 2, "invalid JSON"),
        (
            "e.jsonl",
            '{"id": "x", "question": "q", "answer": "a"}\n{"id": "x", "question": "r", "answer": "b"}\n',
            2,
            "duplicate id 'x' (first at line 1)",
        ),
        ("f.csv", "question,reply\nq,a\n", 1, "missing column 'answer'"),
        ("g.csv", "question,answer\nq,a\nr,\n", 3, "empty answer"),
        ("h.txt", b"Intro\n-\nQ?\nA \xff\xfe broken\n", 4, "bad encoding"),
        (
            "i.json",
            '[{"question": "q", "answer": "a"},\n {"question": "q2", "answer": ""}]',
            2,
            "empty answer",
        ),
        ("j.json", '{"entries": [\n', 2, "invalid JSON"),
        ("k.txt", b"Intro\n-\nQ?\nA\x00\n", 4, "binary content"),
        ("l.md", "# T\n## Same?\nA\n## same\nB\n", 4, "duplicate question"),
        (
            "m.jsonl",
            '{"question": "q", "answer": "a", "alternates": "x|y"}\n{"question": "r", "answer": "b", "alternates": [1]}\n',
            2,
            "'alternates' must be a list of strings",
        ),
    ],
)
def test_malformed_file_names_file_and_line(
    tmp_path: Path, name: str, content: str | bytes, line: int, problem: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    assert caught.value.path == path
    assert caught.value.line == line
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_empty_folder_and_entryless_file_are_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no collection files"):
        load_corpus(tmp_path)
    write(tmp_path, "empty.md", "# Only a title\n")
    with pytest.raises(CorpusError, match="no FAQ entries"):
        load_corpus(tmp_path)


def test_duplicate_collection_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "news.md", "## Q?\nA\n")
    write(tmp_path, "news.jsonl", json.dumps({"question": "R?", "answer": "B"}) + "\n")
    with pytest.raises(CorpusError, match="collection id 'news' already used"):
        load_corpus(tmp_path)


def test_readme_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# About this corpus\n\n## Not a question\n")
    write(tmp_path, ".draft.md", "## Q?\n")
    write(tmp_path, "faq.md", "## Q?\nA\n")
    assert [c.id for c in load_corpus(tmp_path).collections] == ["faq"]
