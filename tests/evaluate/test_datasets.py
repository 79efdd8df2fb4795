"""Labelled sets as the harness reads them (JSONL sets, corpus files, malformed lines) and the
hold-out that simulates out-of-scope questions (AUROC-sim)."""

from __future__ import annotations

from pathlib import Path

import pytest

from askbot.corpus import derive_entry_id, load_collection
from askbot.errors import CorpusError
from askbot.evaluate import (
    default_split,
    hold_out,
    load_eval_folder,
    load_eval_set,
)
from tests.evaluate.conftest import DATA, threaded_set

# ---------------------------------------------------------------- datasets


def test_load_folder_reads_entries_queries_and_groups() -> None:
    data = load_eval_folder(DATA)
    assert [e.id for e in data.entries] == ["a1", "a2", "b", "c"]
    assert data.entries[0].group == 1 and data.entries[2].group == "b"  # thread, else id
    assert data.entries[2].alternates == ("office location", "address of the office")
    assert len(data.queries) == 6  # the blank line is skipped
    assert data.queries[0].relevant == ("a1", "a2")
    assert data.queries[4].oos_type == "oos" and not data.queries[4].in_scope
    assert data.splits == ["dev", "test"]
    assert default_split(data) == "test"


def test_split_filter_keeps_only_that_split() -> None:
    data = load_eval_set(DATA / "faq.jsonl", DATA / "queries.jsonl", split="test")
    assert len(data.queries) == 4
    assert {q.split for q in data.queries} == {"test"}
    with pytest.raises(CorpusError, match=r"queries\.jsonl: no query has split 'train'"):
        data.select("train")


def test_malformed_fixture_names_file_and_line() -> None:
    with pytest.raises(CorpusError) as info:
        load_eval_set(DATA / "faq.jsonl", DATA / "queries-malformed.jsonl")
    assert info.value.line == 3
    assert str(info.value).endswith(
        "queries-malformed.jsonl:3: 'relevant' must be a list of entry ids or questions"
    )


@pytest.mark.parametrize(
    ("faq_line", "query_line", "bad_file", "problem"),
    [
        ('{"id": "a", "question": "q"', None, "faq", "invalid JSON"),
        ('["a", "q"]', None, "faq", "expected a JSON object, got list"),
        ('{"id": " ", "question": "q"}', None, "faq", "'id' is empty"),
        ('{"id": 3.5, "question": "q"}', None, "faq", "'id' must be a string, got float"),
        ('{"id": "a", "question": "q", "alternates": 7}', None, "faq", "'alternates' must be"),
        ('{"id": "ok", "question": "q"}', None, "faq", "duplicate id 'ok' (first on line 1)"),
        (
            None,
            '{"query": "q", "relevant": ["nope"]}',
            "queries",
            "relevant 'nope' is neither an id nor a question of the FAQ",
        ),
        (None, '{"query": "", "relevant": []}', "queries", "'query' is empty"),
        (
            None,
            '{"query": "q", "relevant": [true]}',
            "queries",
            "'relevant' must be a list of entry ids or questions",
        ),
        (None, '{"query": "q", "relevant": [], "split": 1}', "queries", "'split' must be a string"),
    ],
)
def test_malformed_lines_raise_corpus_error_with_file_and_line(
    tmp_path: Path, faq_line: str | None, query_line: str | None, bad_file: str, problem: str
) -> None:
    faq_lines = ['{"id": "ok", "question": "fine"}', faq_line or '{"id": "b", "question": "q"}']
    query_lines = [
        '{"query": "fine", "relevant": ["ok"]}',
        query_line or '{"query": "q", "relevant": []}',
    ]
    (tmp_path / "faq.jsonl").write_text("\n".join(faq_lines) + "\n")
    (tmp_path / "queries.jsonl").write_text("\n".join(query_lines) + "\n")
    with pytest.raises(CorpusError) as info:
        load_eval_folder(tmp_path)
    assert info.value.path == tmp_path / f"{bad_file}.jsonl"
    assert info.value.line == 2
    assert f"{bad_file}.jsonl:2: " in str(info.value)
    assert problem in str(info.value)


def test_missing_file_is_a_corpus_error(tmp_path: Path) -> None:
    (tmp_path / "faq.jsonl").write_text('{"id": "a", "question": "q"}\n')
    with pytest.raises(CorpusError, match=r"queries\.jsonl: missing"):
        load_eval_folder(tmp_path)


def test_a_corpus_collection_is_measured_under_the_ids_it_is_served_with(tmp_path: Path) -> None:
    faq = tmp_path / "travel-tips.md"
    faq.write_text("# Travel\n\n## Do I need a visa?\nUsually.\n\n## What currency?\nThe yen.\n")
    queries = tmp_path / "queries.jsonl"
    served = [e.id for e in load_collection(faq).entries]
    queries.write_text(
        # By question (any case and punctuation), by id, and out of scope.
        '{"query": "visa needed?", "relevant": ["do i need a VISA"]}\n'
        f'{{"query": "money", "relevant": ["{served[1]}"]}}\n'
        '{"query": "weather", "relevant": []}\n'
    )
    data = load_eval_set(faq, queries)
    assert [e.id for e in data.entries] == served
    assert [q.relevant for q in data.queries] == [(served[0],), (served[1],), ()]
    assert data.name == "travel-tips"


def test_a_question_names_every_entry_that_asks_it(tmp_path: Path) -> None:
    (tmp_path / "faq.jsonl").write_text(
        '{"id": "a1", "question": "Strikethrough?", "answer": "~~x~~"}\n'
        '{"id": "a2", "question": "strikethrough", "answer": "<del>"}\n'
        '{"id": "b", "question": "Tables?", "answer": "pipes"}\n'
    )
    (tmp_path / "queries.jsonl").write_text(
        '{"query": "cross out", "relevant": ["Strikethrough"]}\n'
    )
    assert load_eval_folder(tmp_path).queries[0].relevant == ("a1", "a2")


def test_an_faq_line_without_an_id_gets_the_id_askbot_serves_it_under(tmp_path: Path) -> None:
    faq = tmp_path / "pets.jsonl"
    faq.write_text('{"question": "Can I bring my dog?", "answer": "On a lead."}\n')
    (tmp_path / "queries.jsonl").write_text('{"query": "dogs?", "relevant": []}\n')
    entry = load_eval_set(faq, tmp_path / "queries.jsonl").entries[0]
    assert entry.id == load_collection(faq).entries[0].id
    assert entry.id == derive_entry_id("pets", "Can I bring my dog?")


def test_a_corpus_jsonl_reads_as_the_corpus_reads_it(tmp_path: Path) -> None:
    faq = tmp_path / "shop.jsonl"
    faq.write_text(
        '{"id": 7, "question": "Returns?", "answer": "30 days.", "alternates": "refund | send back"}\n'
        '{"id": "", "question": "Shipping?", "answer": "2 days."}\n'
    )
    # An integer id may be named as the integer it is, or as its string.
    (tmp_path / "queries.jsonl").write_text(
        '{"query": "refund", "relevant": [7]}\n{"query": "send it back", "relevant": ["7"]}\n'
    )
    data = load_eval_set(faq, tmp_path / "queries.jsonl")
    entries, served = data.entries, load_collection(faq).entries
    assert [e.id for e in entries] == [e.id for e in served] == ["7", served[1].id]
    assert [q.relevant for q in data.queries] == [("7",), ("7",)]
    assert entries[0].alternates == served[0].alternates == ("refund", "send back")


def test_a_file_that_is_no_faq_format_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "faq.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "queries.jsonl").write_text('{"query": "q", "relevant": []}\n')
    with pytest.raises(CorpusError, match=r"faq\.pdf: not an FAQ file \(expected one of: \.txt"):
        load_eval_set(tmp_path / "faq.pdf", tmp_path / "queries.jsonl")
    with pytest.raises(CorpusError, match=r": a folder: give one of its collection files"):
        load_eval_set(tmp_path, tmp_path / "queries.jsonl")
    with pytest.raises(CorpusError, match=r"gone\.md: file not found"):
        load_eval_set(tmp_path / "gone.md", tmp_path / "queries.jsonl")


# ---------------------------------------------------------------- hold-out (AUROC-sim)


def test_hold_out_draws_sorted_string_keys_with_random_0() -> None:
    held = hold_out(threaded_set())
    # random.Random(0).sample over keys sorted as strings ("0", "1", "10", "11", "2", ...),
    # round(.2 * 12) = 2 of them: threads 4 and 9 (sorting as integers would give 6 and 11).
    gone = {e.group for e in threaded_set().entries} - {e.group for e in held.entries}
    assert gone == {4, 9}
    oos = [q for q in held.queries if not q.in_scope]
    assert [q.query for q in oos] == ["about 4", "about 9"]
    assert {q.oos_type for q in oos} == {"holdout"}
    # A query that keeps one relevant entry stays in scope with only that one.
    assert held.queries[-1].relevant == ("t5_a0",)
    assert hold_out(threaded_set()) == held  # deterministic


def test_hold_out_leaves_the_original_untouched() -> None:
    data = threaded_set()
    hold_out(data)
    assert len(data.entries) == 24 and not data.has_oos
