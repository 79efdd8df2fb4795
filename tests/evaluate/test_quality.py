"""askbot as a ranker, run_eval, lexical normalisation and calibration fitting."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from askbot.embed import Embedder
from askbot.errors import ConfigError
from askbot.evaluate import evaluate, load_eval_folder
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.datasets import EvalEntry, EvalQuery, EvalSet, load_eval_set
from askbot.evaluate.run import (
    MIN_REAL_OOS,
    fit_set_calibration,
    run_eval,
    set_calibration,
    split_half,
)
from askbot.fit.calibration import choose_margin_cap, fit_calibration, prior_weights
from askbot.retrieve import Decision
from askbot.retrieve.lexical import LexicalIndex
from tests.conftest import DATA, SEED_ARTICLE, FakeEmbedder

EVAL = DATA / "eval"


def test_askbot_ranker_is_calibrated_and_decides(fake_embedder: FakeEmbedder) -> None:
    data = load_eval_folder(EVAL, split="test")
    result = evaluate(AskbotRanker(data.entries, fake_embedder), data, progress=False)
    assert result.calibrated
    assert result.metrics["recall@1"] == 1.0
    for record in result.records:
        assert 0.0 <= record.confidence <= 1.0
        assert record.decision in {"answer", "clarify", "fallback"}
        if record.relevant:
            assert record.ids[0] in record.relevant


def test_a_corpus_files_queries_are_read_as_the_chat_reads_a_first_message(
    embedder: Embedder, tmp_path: Path
) -> None:
    """A question that leans on the article ("them") is also read against its title, as the
    chat reads a reader's first message; a JSONL FAQ has no title to read it against."""
    queries = tmp_path / "queries.jsonl"
    trade = "How will this improved relationship impact regional security and trade?"
    question = "will this be good for trade between them"
    queries.write_text(json.dumps({"query": question, "relevant": [trade]}) + "\n")
    data = load_eval_set(SEED_ARTICLE, queries)
    assert data.title == "South Korea Japan Relations"
    assert load_eval_folder(EVAL).title == ""
    alone = AskbotRanker(data.entries, embedder).answers([question])[0]
    assert alone.decision is not Decision.ANSWER
    read = AskbotRanker(data.entries, embedder, context=data.title).answers([question])[0]
    assert read.decision is Decision.ANSWER
    assert read.answer is not None and read.answer.question == trade
    # A question that answers on its own is left as it is.
    direct = "will China be annoyed?"
    ranker = AskbotRanker(data.entries, embedder, context=data.title)
    assert ranker.answers([direct]) == AskbotRanker(data.entries, embedder).answers([direct])


def test_run_eval_writes_a_report_for_default_and_a_baseline(
    fake_embedder: FakeEmbedder, tmp_path: Path
) -> None:
    for scoring in ("default", "BM25 q-Q"):
        out = tmp_path / scoring.replace(" ", "")
        result = run_eval(
            EVAL / "faq.jsonl",
            EVAL / "queries.jsonl",
            split="test",
            out=out,
            scoring=scoring,
            embedder=fake_embedder,
            progress=False,
        )
        assert result.metrics["n"] == 4
        assert (out / "report.md").exists() and (out / "metrics.json").exists()


def test_eval_with_traffic_declared_in_scope_only_drops_the_off_topic_doubt(
    embedder: Embedder,
) -> None:
    as_fitted, in_scope = (
        run_eval(
            EVAL / "faq.jsonl",
            EVAL / "queries.jsonl",
            embedder=embedder,
            progress=False,
            off_topic_share=share,
        )
        for share in (None, 0.0)
    )
    # Same ranking; each confidence is P(right | in scope), which P(in scope) only lowered.
    assert as_fitted.metrics["recall@1"] == in_scope.metrics["recall@1"]
    pairs = list(zip(as_fitted.records, in_scope.records, strict=True))
    assert all(a.ids == b.ids and b.confidence >= a.confidence for a, b in pairs)
    assert any(b.confidence > a.confidence + 0.01 for a, b in pairs)


def test_run_eval_rejects_an_unknown_scoring(fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(ConfigError, match="unknown scoring 'nope'"):
        run_eval(EVAL / "faq.jsonl", EVAL / "queries.jsonl", scoring="nope", embedder=fake_embedder)


def test_split_half_partitions_the_groups() -> None:
    data = load_eval_folder(EVAL)
    a, b = split_half(data, develop=True), split_half(data, develop=False)
    assert {e.id for e in a.entries}.isdisjoint({e.id for e in b.entries})
    assert len(a.entries) + len(b.entries) == len(data.entries)


def test_lexical_scores_are_normalised_and_junk_scores_low() -> None:
    index = LexicalIndex(["trade between Korea and Japan", "history of the war", "vaccines"])
    scores = index.scores(["trade", "trade zebra quantum flux", "the of and", "history war"])
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores[0].argmax() == 0 and scores[0, 0] > 0.25
    # The same matched word, drowned in words the FAQ never uses, is far less convincing.
    assert scores[1, 0] < scores[0, 0] / 2
    assert not scores[2].any()  # stop-words only: no lexical evidence
    assert scores[3].argmax() == 1


def test_lexical_tokens_are_bm25s_tokens() -> None:
    import bm25s

    from askbot.corpus import load_corpus

    texts = [
        text
        for entry in load_corpus(DATA / "corpus_api").entries()
        for text in (entry.question, *entry.alternates, entry.answer)
    ] + ["", "the and of", "Don't STOP!! 3.5% of U.S. GDP, naïve café—déjà vu", "a b c x1 42"]
    index = LexicalIndex(["anything"])
    expected = bm25s.tokenize(
        texts, stopwords="en", stemmer=index._stemmer, return_ids=False, show_progress=False
    )
    assert len(texts) > 20 and index.tokenize(texts) == expected


def test_calibration_of_a_perfect_retriever_is_high_and_of_a_random_one_low() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    # Perfect: right answers score high with a clear margin; wrong ones lower, with none;
    # out-of-scope questions lowest.
    draw = rng.random(n)
    right, in_scope = draw < 0.7, draw < 0.85
    scores = np.select([right, in_scope], [rng.uniform(0.7, 0.9, n), rng.uniform(0.4, 0.6, n)])
    scores = np.where(in_scope, scores, rng.uniform(0.1, 0.3, n))
    margins = np.where(right, rng.uniform(0.2, 0.4, n), rng.uniform(0.0, 0.05, n))
    features = np.column_stack([scores, margins])
    perfect = fit_calibration(features, right.astype(np.int64), in_scope)
    assert perfect.probability(0.8, 0.3) > 0.95
    assert perfect.probability(0.5, 0.02) < 0.05
    assert perfect.probability(0.2, 0.02) < 0.05
    # Random: in scope one time in two, then right one time in five, whatever the scores say.
    features = np.column_stack([rng.uniform(0, 1, n), rng.uniform(0, 0.3, n)])
    in_scope = rng.random(n) < 0.5
    labels = (in_scope & (rng.random(n) < 0.2)).astype(np.int64)
    random = fit_calibration(features, labels, in_scope)
    assert random.probability(0.9, 0.3) < 0.2
    assert random.probability(0.1, 0.0) < 0.2


def _questions(
    rng: np.random.Generator, n: int, score: tuple[float, float], margin: tuple[float, float]
) -> np.ndarray:
    return np.column_stack([rng.uniform(*score, n), rng.uniform(*margin, n)])


def test_margin_cap_is_chosen_by_in_vs_out_of_scope_separation_on_dev() -> None:
    rng = np.random.default_rng(0)
    # Training: in-scope questions are right when their margin is clear, so margin matters.
    right = _questions(rng, 600, (0.6, 0.9), (0.1, 0.4))
    close_call = _questions(rng, 300, (0.6, 0.9), (0.0, 0.05))
    oos = _questions(rng, 300, (0.2, 0.5), (0.0, 0.1))
    features = np.concatenate([right, close_call, oos])
    labels = np.array([1] * 600 + [0] * 600, dtype=np.int64)
    in_scope = np.array([True] * 900 + [False] * 300)

    # Dev where out-of-scope questions lie far from every entry but nearer one than the rest:
    # a large margin says nothing there, and capping it separates them better.
    far_oos = _questions(rng, 300, (0.2, 0.5), (0.2, 0.4))
    dev = np.concatenate([right, close_call, far_oos])
    dev_in_scope = np.array([True] * 900 + [False] * 300)
    capped = choose_margin_cap(features, labels, in_scope, dev, dev_in_scope)
    assert capped.margin_cap < np.inf
    uncapped = fit_calibration(features, labels, in_scope)
    assert capped.probability(0.35, 0.35) < uncapped.probability(0.35, 0.35)

    # Dev whose out-of-scope questions score as high as the right answers and differ only by
    # smaller margins: capping would blur that, so the margin keeps its full power.
    near_oos = _questions(rng, 300, (0.6, 0.9), (0.0, 0.15))
    dev = np.concatenate([right, near_oos])
    dev_in_scope = np.array([True] * 600 + [False] * 300)
    assert choose_margin_cap(features, labels, in_scope, dev, dev_in_scope).margin_cap == np.inf
    with pytest.raises(ValueError, match="in-scope and out-of-scope"):
        choose_margin_cap(features, labels, in_scope, right, np.ones(600, dtype=bool))


def test_prior_weights_count_out_of_scope_as_the_assumed_fifth() -> None:
    in_scope = np.array([True, True, True, False])
    weights = prior_weights(in_scope)
    # Total weight stays 4: the three in-scope share 0.8 of it, the out-of-scope one 0.2.
    assert weights == pytest.approx([3.2 / 3, 3.2 / 3, 3.2 / 3, 0.8])
    with pytest.raises(ValueError, match="in-scope and out-of-scope"):
        prior_weights(np.ones(3, dtype=bool))


def test_a_calibration_fitted_under_prior_weights_expects_a_fifth_unanswerable() -> None:
    # A train split where 1 % of the questions are out of scope and 90 % of the others are
    # answered right, with scores that tell nothing apart: the confidence is the share of right
    # answers, .99 × .9.
    rng = np.random.default_rng(0)
    n = 4000
    in_scope = np.arange(n) >= 40
    labels = (in_scope & (rng.random(n) < 0.9)).astype(np.int64)
    features = np.column_stack([rng.uniform(0.4, 0.6, n), rng.uniform(0.0, 0.1, n)])
    as_sampled = fit_calibration(features, labels, in_scope)
    assert as_sampled.fitted_off_topic_share == pytest.approx(0.01)
    assert as_sampled.probability(0.5, 0.05) == pytest.approx(0.99 * 0.9, abs=0.02)
    weighted = fit_calibration(features, labels, in_scope, weights=prior_weights(in_scope))
    assert weighted.fitted_off_topic_share == pytest.approx(0.2)
    assert weighted.probability(0.5, 0.05) == pytest.approx(0.8 * 0.9, abs=0.02)
    # Told the traffic's share, either one expects that many unanswerable questions instead.
    for calibration in (as_sampled, weighted):
        for share in (0.0, 0.05, 0.5):
            shifted = calibration.for_traffic(share).probability(0.5, 0.05)
            assert shifted == pytest.approx((1 - share) * 0.9, abs=0.02)
    assert weighted.for_traffic(0.2).probability(0.5, 0.05) == pytest.approx(
        weighted.probability(0.5, 0.05)
    )
    with pytest.raises(ValueError, match="off_topic_share"):
        weighted.for_traffic(1.0)


SHOP = {
    "password": ("How do I reset my password?", ("forgot my password", "can't log in anymore")),
    "hours": ("What are your opening hours?", ("when are you open", "are you open on sunday")),
    "cancel": ("How can I cancel my order?", ("cancel an order", "I don't want my order anymore")),
    "abroad": ("Do you ship abroad?", ("do you deliver to canada", "international shipping")),
    "refund": ("When do I get my refund?", ("where is my money back", "refund still not here")),
}
OFF_TOPIC = [
    f"{ask} {thing}"
    for ask in ("who invented", "what is the history of", "how do you draw", "tell me a joke about")
    for thing in (
        "the bicycle",
        "the piano",
        "chess",
        "the telescope",
        "volcanoes",
        "penguins",
        "jazz",
        "the moon landing",
        "origami",
        "the roman empire",
        "tennis",
        "photosynthesis",
        "sushi",
        "the printing press",
        "glaciers",
    )
]


def test_a_train_split_with_its_own_off_topic_questions_calibrates_on_them(
    embedder: Embedder,
) -> None:
    entries = tuple(EvalEntry(entry_id, question) for entry_id, (question, _) in SHOP.items())
    answerable = [
        EvalQuery(phrasing, (entry_id,), split="train")
        for entry_id, (_, phrasings) in SHOP.items()
        for phrasing in phrasings
    ]
    off_topic = [EvalQuery(q, (), split="train", oos_type="oos") for q in OFF_TOPIC]
    assert len(off_topic) >= MIN_REAL_OOS > len(answerable)
    # Off-topic questions outnumber the answerable six to one here; weighted to the assumed
    # fifth, the fit still answers a clear paraphrase and falls back on a new far-off question.
    shop = EvalSet("shop", entries, (*answerable, *off_topic))
    calibration = fit_set_calibration(shop, embedder)
    retriever = AskbotRanker(entries, embedder, calibration=calibration).retriever
    paraphrase, far_off = retriever.ask_many(["I forgot my password", "who painted the mona lisa"])
    assert paraphrase.confidence > 0.5 > far_off.confidence
    # Weighted so, its own questions get on average the confidence they earn: the share of
    # right answers among them.
    asked = retriever.ask_many([q.query for q in shop.queries])
    weights = prior_weights(np.array([q.in_scope for q in shop.queries]))
    right = [a.candidates[0][0] in q.relevant for a, q in zip(asked, shop.queries, strict=True)]
    mean_confidence = np.average([a.confidence for a in asked], weights=weights)
    assert mean_confidence == pytest.approx(np.average(right, weights=weights), abs=0.03)
    # askbot eval refits on a train split only when it has MIN_REAL_OOS of its own; with fewer
    # the FAQ keeps the calibration it would be served with.
    test = EvalQuery("I forgot my password", ("password",), split="test")
    assert (
        set_calibration(replace(shop, queries=(*shop.queries, test)), "test", embedder) is not None
    )
    few = replace(shop, queries=(*answerable, *off_topic[: MIN_REAL_OOS - 1], test))
    assert set_calibration(few, "test", embedder) is None


def test_fit_calibration_needs_both_kinds_of_question_but_not_a_miss() -> None:
    features = np.column_stack([np.linspace(0.2, 0.9, 40), np.linspace(0.0, 0.3, 40)])
    in_scope = np.arange(40) >= 10
    with pytest.raises(ValueError, match="in-scope and out-of-scope"):
        fit_calibration(features, in_scope.astype(np.int64), np.ones(40, dtype=bool))
    # Every in-scope question answered right: P(right | in scope) is the smoothed rate,
    # 30.5 / 31, whatever the scores.
    perfect = fit_calibration(features, in_scope.astype(np.int64), in_scope).for_traffic(0.0)
    assert perfect.probability(0.3, 0.0) == pytest.approx(30.5 / 31)
    assert perfect.probability(0.9, 0.3) == pytest.approx(30.5 / 31)


def test_a_fitted_weight_is_never_negative() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    scores, margins = rng.uniform(0.3, 0.9, n), rng.uniform(0.0, 0.3, n)
    in_scope = rng.random(n) < scores  # in scope: the score says so
    # Right when the margin is large, and a touch less often when the score is high: no
    # calibration may lower its confidence as the score grows, so the score is left out.
    right = in_scope & (rng.random(n) < 2 * margins + 0.3 - 0.1 * scores)
    fitted = fit_calibration(np.column_stack([scores, margins]), right.astype(np.int64), in_scope)
    assert fitted.in_scope.score_weight > 0
    assert fitted.right_if_in_scope.score_weight == 0.0
    assert fitted.right_if_in_scope.margin_weight > 0
    # Right less often as either grows: both are left out, and the rate alone remains.
    worse = in_scope & (rng.random(n) < 0.9 - 0.5 * scores - margins)
    rate = fit_calibration(np.column_stack([scores, margins]), worse.astype(np.int64), in_scope)
    assert rate.right_if_in_scope.score_weight == rate.right_if_in_scope.margin_weight == 0.0
    share = worse.sum() / in_scope.sum()
    assert rate.for_traffic(0.0).probability(0.5, 0.1) == pytest.approx(share)


def test_lexical_scores_are_bm25s_lucene_scores_over_the_query_idf_mass() -> None:
    import bm25s

    from askbot.corpus import load_corpus
    from askbot.retrieve.lexical import K1, B
    from askbot.retrieve.retriever import lexical_document

    documents = [lexical_document(e) for e in load_corpus(DATA / "corpus_api").entries()]
    index = LexicalIndex(documents)
    reference = bm25s.BM25(k1=K1, b=B, method="lucene")
    reference.index(index.tokenize(documents), show_progress=False)
    queries = ["how do I reset my password", "password password reset", "zebra quantum trade"]
    for query, scores in zip(queries, index.scores(queries), strict=True):
        tokens = index.tokenize([query])[0]
        known = [t for t in tokens if t in reference.vocab_dict]
        bound = sum(index._idf(index._document_frequency(t)) for t in tokens)
        expected = reference.get_scores(known) / bound if known else np.zeros(len(documents))
        np.testing.assert_allclose(scores, np.minimum(expected, 1.0), rtol=1e-6, atol=1e-7)
        assert known == [] or scores.max() > 0


def test_a_lexical_index_taking_over_another_scores_as_a_fresh_one() -> None:
    first = ["trade between Korea and Japan", "history of the war", "vaccines for children"]
    old = LexicalIndex(first)
    changed = [first[0], "a brand new question about vaccines", first[2], "history again"]
    taken_over, fresh = LexicalIndex(changed, old), LexicalIndex(changed)
    queries = ["trade", "vaccines history", "brand new", "war"]
    np.testing.assert_array_equal(taken_over.scores(queries), fresh.scores(queries))
    assert taken_over._document_terms[first[0]] is old._document_terms[first[0]]
    # The older index keeps scoring its own documents, unaware of the new words.
    np.testing.assert_array_equal(old.scores(queries), LexicalIndex(first).scores(queries))
