"""The evaluation harness end to end without a model: the baselines (dense ones on a fake
bag-of-words embedder) and the report."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from askbot.embed import Embedder, Vectors
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
    evaluate,
    evaluate_factory,
    load_eval_folder,
    markdown_table,
    write_report,
)
from tests.evaluate.conftest import DATA, threaded_set

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
