"""Tests of the evaluation harness: metrics by hand, datasets, hold-out, baselines, reports.

No model is loaded: dense baselines run on a fake bag-of-words embedder.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from askbot.corpus import derive_entry_id, load_collection
from askbot.embed import Embedder, Vectors
from askbot.errors import CorpusError
from askbot.evaluate import (
    BM25Ranker,
    DenseRanker,
    EvalEntry,
    EvalQuery,
    EvalSet,
    Ranker,
    Ranking,
    applicable_baselines,
    baseline_factories,
    compute_metrics,
    default_split,
    evaluate,
    evaluate_factory,
    expected_calibration_error,
    hold_out,
    load_eval_folder,
    load_eval_set,
    markdown_table,
    write_report,
)

DATA = Path(__file__).parent.parent / "data" / "eval"


def rank(ids: Sequence[str], confidence: float = 0.5, **kw: object) -> Ranking:
    """A ranking whose scores simply descend."""
    return Ranking(list(ids), [1.0 - i / 100 for i in range(len(ids))], confidence, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- ranking metrics


def test_ranking_metrics_by_hand() -> None:
    relevant = [["a"], ["b"], ["a", "c"], ["x", "y"]]
    rankings = [
        rank(["a", "b", "c"]),  # hit at 1: RR 1, nDCG 1
        rank(["a", "c", "b"]),  # hit at 3: RR 1/3; DCG 1/log2(4) = .5, IDCG 1 -> .5
        # hits at 2 and 7: RR 1/2; DCG 1/log2(3) + 1/log2(8) = .63093 + .33333 = .96426,
        # IDCG over min(2, 10) = 2 relevant: 1 + .63093 -> .59124
        rank(["b", "a", "d", "e", "f", "g", "c"]),
        # y at 1, x never returned: RR 1; DCG 1, IDCG still 1 + .63093 -> .61315
        rank(["y", "b"]),
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    assert m["recall@1"] == pytest.approx((1 + 0 + 0 + 1) / 4)
    assert m["recall@5"] == pytest.approx(1.0)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 2 + 1) / 4)
    ideal2 = 1 + 1 / math.log2(3)
    expected_ndcg = (1 + 0.5 + (1 / math.log2(3) + 1 / 3) / ideal2 + 1 / ideal2) / 4
    assert m["ndcg@10"] == pytest.approx(expected_ndcg)  # = .67610
    assert m["ndcg@10"] == pytest.approx(0.67610, abs=1e-5)
    assert m["n-in-scope"] == 4 and m["n-oos"] == 0
    assert m["auroc"] is None  # no OOS query: undefined, not 0 or 1


def test_nothing_counts_past_rank_ten_and_recall5_is_any_relevant() -> None:
    ids = [f"e{i}" for i in range(11)]
    relevant = [["e10"], ["e3", "e4", "e9"]]
    m = compute_metrics(relevant, [rank(ids), rank(ids)], calibrated=False)
    # Query 1: its entry sits at rank 11 -> 0 everywhere. Query 2: first hit at rank 4.
    assert m["recall@5"] == pytest.approx(0.5)  # one relevant in the top 5 is enough
    assert m["mrr@10"] == pytest.approx((0 + 1 / 4) / 2)
    # DCG ranks 4, 5, 10; IDCG ranks 1..3.
    dcg = 1 / math.log2(5) + 1 / math.log2(6) + 1 / math.log2(11)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@10"] == pytest.approx((0 + dcg / idcg) / 2)


def test_order_given_by_the_ranker_is_kept_even_when_scores_tie() -> None:
    # Equal scores: the ranker's own order (entry order for baselines) decides, not the ids.
    tied = Ranking(["z", "a"], [0.7, 0.7], 0.7)
    m = compute_metrics([["a"]], [tied], calibrated=False)
    assert m["recall@1"] == 0.0
    assert m["mrr@10"] == pytest.approx(0.5)


# ---------------------------------------------------------------- abstention metrics


def test_auroc_auroc_ans_and_precision_at_coverage_by_hand() -> None:
    relevant = [["a"], ["a"], [], []]
    rankings = [
        rank(["a"], 0.9),  # in scope, correct
        rank(["b"], 0.6),  # in scope, wrong
        rank(["a"], 0.7),  # OOS
        rank(["a"], 0.2),  # OOS
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    # In-scope {.9, .6} vs OOS {.7, .2}: .9>.7, .9>.2, .6<.7, .6>.2 -> 3 of 4 pairs.
    assert m["auroc"] == pytest.approx(0.75)
    # Correct {.9} vs wrong-or-OOS {.6, .7, .2}: every pair ordered -> 1.
    assert m["auroc-ans"] == pytest.approx(1.0)
    # Top n // 2 = 2 by confidence: .9 (correct), .7 (OOS, wrong) -> 1/2.
    assert m["prec@cov50"] == pytest.approx(0.5)
    assert m["recall@1"] == pytest.approx(0.5)  # over in-scope queries only
    assert m["ece"] is None  # raw scores are no probabilities


def test_auroc_counts_tied_confidences_half() -> None:
    m = compute_metrics([["a"], []], [rank(["a"], 0.5), rank(["a"], 0.5)], calibrated=False)
    assert m["auroc"] == pytest.approx(0.5)


def test_auroc_per_oos_type_when_several_kinds() -> None:
    relevant = [["a"], [], []]
    rankings = [rank(["a"], 0.5), rank(["a"], 0.4), rank(["a"], 0.6)]
    m = compute_metrics(relevant, rankings, calibrated=False, oos_types=[None, "id", "ood"])
    assert m["auroc[id]"] == pytest.approx(1.0)
    assert m["auroc[ood]"] == pytest.approx(0.0)
    assert m["auroc"] == pytest.approx(0.5)


# ---------------------------------------------------------------- calibration


def test_ece_of_a_perfectly_calibrated_toy_is_zero() -> None:
    # 10 answers at .8 with 8 right, 10 at .3 with 3 right: each bin's accuracy = confidence.
    confidence = np.array([0.8] * 10 + [0.3] * 10)
    correct = np.array([True] * 8 + [False] * 2 + [True] * 3 + [False] * 7)
    assert expected_calibration_error(correct, confidence) == pytest.approx(0.0)


def test_ece_of_an_overconfident_toy() -> None:
    # 10 at .9 with 5 right (gap .4), 10 at .2 with 2 right (gap 0) -> (10*.4 + 10*0)/20 = .2
    confidence = np.array([0.9] * 10 + [0.2] * 10)
    correct = np.array([True] * 5 + [False] * 5 + [True] * 2 + [False] * 8)
    assert expected_calibration_error(correct, confidence) == pytest.approx(0.2)
    # All in one bin and all wrong: ECE = mean confidence.
    assert expected_calibration_error(np.zeros(4, bool), np.full(4, 0.75)) == pytest.approx(0.75)


def test_ece_counts_oos_as_incorrect() -> None:
    # Two confident "answers" to OOS queries: accuracy 0 at confidence .9 -> ECE .9.
    m = compute_metrics([[], []], [rank(["a"], 0.9), rank(["a"], 0.9)], calibrated=True)
    assert m["ece"] == pytest.approx(0.9)


def test_ece_rejects_a_raw_score_passed_as_probability() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compute_metrics([["a"]], [rank(["a"], 3.2)], calibrated=True)


# ---------------------------------------------------------------- decisions


def test_decision_mix_and_accuracy() -> None:
    relevant = [["a"], [], ["b"], ["d"], ["c"], [], []]
    rankings = [
        rank(["a", "b"], decision="answer"),  # right: top-1 relevant
        rank(["a", "b"], decision="answer"),  # wrong: OOS answered
        rank(["a", "b", "c"], decision="clarify", offered=["a", "b"]),  # right: b offered
        rank(["a", "b", "c", "d"], decision="clarify"),  # wrong: d is 4th, default offers 3
        rank(["a", "b", "c"], decision="clarify", offered=["a", "b"]),  # wrong: c not offered
        rank(["a"], decision="fallback"),  # right: OOS
        rank(["a"], decision="fallback"),  # right: OOS
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    assert m["answer-rate"] == pytest.approx(2 / 7)
    assert m["answer-acc"] == pytest.approx(0.5)
    assert m["clarify-rate"] == pytest.approx(3 / 7)
    assert m["clarify-acc"] == pytest.approx(1 / 3)
    assert m["fallback-rate"] == pytest.approx(2 / 7)
    assert m["fallback-acc"] == pytest.approx(1.0)
    assert m["decision-acc"] == pytest.approx(4 / 7)


def test_no_decision_keys_for_rankers_that_do_not_decide() -> None:
    m = compute_metrics([["a"]], [rank(["a"])], calibrated=False)
    assert not any(k.endswith("-rate") for k in m)


def test_ranking_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="scores"):
        Ranking(["a", "b"], [1.0], 1.0)
    with pytest.raises(ValueError, match="decision"):
        Ranking(["a"], [1.0], 1.0, decision="maybe")


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


def threaded_set(n_groups: int = 12) -> EvalSet:
    """n_groups threads of two entries; each thread has one query, plus one cross-thread query."""
    entries = tuple(
        EvalEntry(id=f"t{g}_a{a}", question=f"question {g}", group=g)
        for g in range(n_groups)
        for a in range(2)
    )
    per_thread = [
        EvalQuery(query=f"about {g}", relevant=(f"t{g}_a0", f"t{g}_a1")) for g in range(n_groups)
    ]
    queries = (*per_thread, EvalQuery(query="about 4 and 5", relevant=("t4_a0", "t5_a0")))
    return EvalSet("toy", entries, queries)


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


# ---------------------------------------------------------------- baselines (no model)


class BagOfWordsEmbedder:
    """A deterministic fake: hashed word counts, L2-normalised (crc32, never salted hash())."""

    model_id = "fake-bow"
    dimension = 64

    def encode(self, texts: Sequence[str]) -> Vectors:
        import zlib

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def test_fake_embedder_meets_the_protocol() -> None:
    assert isinstance(BagOfWordsEmbedder(), Embedder)


def test_dense_ranker_breaks_ties_by_entry_order_and_takes_max_over_fields() -> None:
    data = load_eval_folder(DATA)
    q_only = DenseRanker("q-Q", data.entries, BagOfWordsEmbedder(), ["question"])
    assert isinstance(q_only, Ranker)
    top = q_only.rank(["reset my password"])[0]
    # a1 and a2 share one question: equal cosines, entry order decides.
    assert top.ids[:2] == ["a1", "a2"] and top.scores[0] == top.scores[1]
    assert top.confidence == top.scores[0]
    with_alts = DenseRanker("alts", data.entries, BagOfWordsEmbedder(), ["question", "alternates"])
    assert with_alts.rank(["office location"])[0].scores[0] == pytest.approx(1.0)


def test_bm25_ranker_ties_and_statistics_option() -> None:
    data = load_eval_folder(DATA)
    ranker = BM25Ranker("bm25", data.entries, "question")
    top = ranker.rank(["reset password", "the"])  # "the" is a stop-word: no tokens at all
    assert top[0].ids[:2] == ["a1", "a2"] and top[0].scores[0] == top[0].scores[1] > 0
    assert top[1].ids == ["a1", "a2", "b", "c"] and top[1].confidence == 0.0
    # Scoring a subset with the full FAQ's statistics differs from indexing the subset alone.
    subset = data.entries[2:]
    own = BM25Ranker("own", subset, "question").rank(["office"])[0]
    shared = BM25Ranker("shared", subset, "question", statistics_from=data.entries).rank(
        ["office"]
    )[0]
    assert own.ids[0] == shared.ids[0] == "b"
    assert own.confidence != pytest.approx(shared.confidence)


def test_applicable_baselines_follow_the_set_kind() -> None:
    data = load_eval_folder(DATA)
    names = applicable_baselines(data)
    assert "MiniLM q-A" in names and "MiniLM max(q-Q,q-alts)" in names
    assert set(names) <= set(baseline_factories(BagOfWordsEmbedder()))
    no_answers = EvalSet("intents", (EvalEntry("i", "q", "", ("alt",)),), data.queries[:1])
    assert "MiniLM q-A" not in applicable_baselines(no_answers)


# ---------------------------------------------------------------- report


class OracleRanker:
    """Puts the first relevant entry first with confidence .9; OOS queries get .1."""

    name = "oracle"
    calibrated = True

    def __init__(self, entries: Sequence[EvalEntry], labels: dict[str, tuple[str, ...]]) -> None:
        self._ids = [e.id for e in entries]
        self._labels = labels

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        out = []
        for q in queries:
            wanted = [i for i in self._labels[q] if i in self._ids]
            ids = wanted[:1] + [i for i in self._ids if i not in wanted[:1]]
            confidence = 0.9 if wanted else 0.1
            out.append(Ranking(ids, [confidence] * len(ids), confidence))
        return out


def test_evaluate_and_write_report(tmp_path: Path) -> None:
    data = load_eval_folder(DATA, split="test")
    labels = {q.query: q.relevant for q in data.queries}
    result = evaluate(OracleRanker(data.entries, labels), data)  # progress bar on: must not break
    assert result.metrics["recall@1"] == 1.0
    assert result.metrics["auroc"] == 1.0
    # 4 right at .9 (gap .1), 1 OOS at .1 (gap .1) -> ECE .1
    assert result.metrics["ece"] == pytest.approx(0.1)
    written = write_report([result], tmp_path)
    metrics = json.loads(written["metrics"].read_text())
    assert metrics["oracle"]["recall@1"] == 1.0 and metrics["oracle"]["dataset"] == "eval"
    assert "| oracle | 1.000 |" in written["markdown"].read_text()
    for plot in ("precision-coverage", "reliability"):
        assert written[plot].read_bytes()[:4] == b"\x89PNG"
    records = written["records:oracle"].read_text().splitlines()
    assert len(records) == 4 and json.loads(records[0])["ids"][0] == "a1"


class ScriptedRanker:
    """Returns the rankings it was given, in query order (decisions included)."""

    name = "scripted"
    calibrated = True

    def __init__(self, rankings: list[Ranking]) -> None:
        self._rankings = rankings

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        return self._rankings[: len(queries)]


def test_report_lists_wrong_decisions_by_question_most_confident_first(tmp_path: Path) -> None:
    entries = (EvalEntry("a", "Do I need a visa?"), EvalEntry("b", "What | currency?"))
    queries = tuple(
        EvalQuery(q, rel)
        for q, rel in [
            ("visa?", ("a",)),  # answered right
            ("cash", ("b",)),  # answered wrongly, .6
            ("weather", ()),  # out of scope but answered, .8
            ("money", ("b",)),  # clarified, right entry not offered
            ("visa rules", ("a",)),  # fell back
            ("joke", ()),  # fell back, right
        ]
    )
    rankings = [
        Ranking(["a", "b"], [0.9, 0.1], 0.9, "answer"),
        Ranking(["a", "b"], [0.5, 0.4], 0.6, "answer"),
        Ranking(["b", "a"], [0.7, 0.1], 0.8, "answer"),
        Ranking(["a", "b"], [0.4, 0.3], 0.4, "clarify", offered=["a"]),
        Ranking(["a", "b"], [0.2, 0.1], 0.2, "fallback"),
        Ranking(["a", "b"], [0.1, 0.0], 0.1, "fallback"),
    ]
    data = EvalSet("toy", entries, queries)
    result = evaluate(ScriptedRanker(rankings), data, progress=False)
    questions = {e.id: e.question for e in entries}
    report = write_report([result], tmp_path, questions=questions)["markdown"].read_text()
    assert "![reliability](reliability.png)" in report
    wrong = report.split("## Wrong decisions: scripted")[1]
    assert "Answered wrongly: 2 (all in `records-scripted.jsonl`)" in wrong
    assert wrong.index("| 0.80 | weather | What \\| currency? | *(out of scope)* |") < wrong.index(
        "| 0.60 | cash | Do I need a visa? | What \\| currency? |"
    )
    assert "Clarified without offering a right entry: 1" in wrong
    assert "| 0.40 | money | Do I need a visa? | What \\| currency? |" in wrong
    assert "Fell back on an answerable question: 1" in wrong
    assert "| 0.20 | visa rules | Do I need a visa? | Do I need a visa? |" in wrong
    assert "joke" not in wrong and "| visa? |" not in wrong
    perfect = evaluate(ScriptedRanker([rankings[0]]), replace(data, queries=queries[:1]))
    assert "None: every answer" in write_report([perfect], tmp_path)["markdown"].read_text()
    # Rankers that do not decide (baselines) get no such section.
    labels = {q.query: q.relevant for q in queries}
    baseline = evaluate(OracleRanker(entries, labels), data, progress=False)
    assert "Wrong decisions" not in write_report([baseline], tmp_path)["markdown"].read_text()


def test_evaluate_factory_adds_auroc_sim_only_without_oos() -> None:
    data = threaded_set()
    labels = {q.query: q.relevant for q in data.queries}
    result = evaluate_factory(lambda entries: OracleRanker(entries, labels), data, progress=False)
    # Held-out threads' queries find nothing kept -> confidence .1, the rest .9: perfect.
    assert result.metrics["auroc-sim"] == pytest.approx(1.0)
    assert result.metrics["n-sim-oos"] == 2
    with_oos = load_eval_folder(DATA)
    labels = {q.query: q.relevant for q in with_oos.queries}
    plain = evaluate_factory(lambda e: OracleRanker(e, labels), with_oos, progress=False)
    assert "auroc-sim" not in plain.metrics


def test_markdown_table_formats_missing_values() -> None:
    table = markdown_table({"m": {"recall@1": 0.5, "auroc": None}}, ["recall@1", "auroc"])
    assert table.splitlines() == [
        "| method | recall@1 | auroc |",
        "|---|---|---|",
        "| m | 0.500 | — |",
    ]
