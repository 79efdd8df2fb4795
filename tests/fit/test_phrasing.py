"""Per-collection phrasing classifiers fitted at build time from a collection's alternates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from askbot.corpus import corpus_from_entries, load_corpus
from askbot.embed import Embedder
from askbot.errors import IndexCorruptError
from askbot.fit.phrasing import (
    can_classify,
    fit_classifier,
    fit_classifiers,
)
from askbot.index import FaqIndex, current_build, load_index, save_index
from askbot.index import build_index as build
from askbot.index.manifest import CLASSIFIERS_FILE
from askbot.retrieve import Retriever, Scoring
from askbot.retrieve.phrasing import PhrasingClassifier
from tests.conftest import SEED_CORPUS
from tests.fit.test_self_calibration import intent_entries

# New wordings of three intents, none of them among the alternates, and the entry each asks.
NEW_WORDINGS = {
    "alter the font size please": "settings-29",
    "I need another nickname": "settings-27",
    "set a new bank account": "settings-22",
}


def classified(index: FaqIndex) -> FaqIndex:
    """``index`` with the classifiers a build fits."""
    for collection, weights in fit_classifiers(index).items():
        index.set_classifier(collection, weights)
    return index


@pytest.fixture(scope="module")
def mixed(embedder: Embedder) -> Retriever:
    """The seed explainer (few alternates) and the intent FAQ, in one index."""
    entries = list(load_corpus(SEED_CORPUS).entries()) + intent_entries()
    return Retriever(classified(build(corpus_from_entries(entries), embedder)), embedder)


def test_only_a_collection_whose_entries_have_alternates_gets_a_classifier(
    mixed: Retriever,
) -> None:
    assert mixed.index.manifest.classifiers == ["settings"]
    weights = mixed.index.classifiers["settings"]
    assert weights.shape == (len(intent_entries()), mixed.embedder.dimension + 1)
    assert not can_classify(list(load_corpus(SEED_CORPUS).entries()))
    assert not can_classify(intent_entries()[:5])  # too few entries: cosines alone do as well
    # Ten entries of two alternates each are enough.
    assert can_classify([replace(e, alternates=e.alternates[:2]) for e in intent_entries()[:10]])
    assert not can_classify([replace(e, alternates=e.alternates[:1]) for e in intent_entries()])
    # Most entries without alternates: they would be starved by the ones that have many.
    starved = [replace(e, alternates=()) if n % 3 else e for n, e in enumerate(intent_entries())]
    assert not can_classify(starved)


def test_the_classifier_picks_the_entry_a_new_wording_asks(mixed: Retriever) -> None:
    positions = mixed.index.entries_of("settings")
    classifier = PhrasingClassifier(positions, mixed.index.classifiers["settings"])
    for question, expected in NEW_WORDINGS.items():
        probabilities = classifier.probabilities(mixed.embedder.encode([question])[0])
        assert probabilities.sum() == pytest.approx(1.0)
        best = mixed.index.entries[positions[int(np.argmax(probabilities))]]
        assert best.id == expected, question


def test_scores_blend_the_classifier_probability_in_its_collection_only(
    mixed: Retriever,
) -> None:
    share = mixed.scoring.classifier_weight
    plain = Retriever(mixed.index, mixed.embedder, scoring=Scoring(classifier_weight=0.0))
    classifier = PhrasingClassifier(
        mixed.index.entries_of("settings"), mixed.index.classifiers["settings"]
    )
    for question in (*NEW_WORDINGS, "why are Seoul and Tokyo getting closer?"):
        vector = mixed.embedder.encode([question])[0]
        blended, before = dict(mixed.rank(vector)), dict(plain.rank(vector))
        mine, probability = classifier.at(
            classifier.probabilities(vector), np.array(sorted(before), dtype=np.int64)
        )
        for position, is_mine, p in zip(sorted(before), mine, probability, strict=True):
            expected = (1 - share) * before[position] + share * p if is_mine else before[position]
            assert blended[position] == pytest.approx(expected), (question, position)


def test_the_classifier_best_guesses_are_candidates_whatever_the_vectors_fetch(
    mixed: Retriever,
) -> None:
    scoring = Scoring(candidate_vectors=1, lexical_weight=0.0)
    narrow = Retriever(mixed.index, mixed.embedder, scoring=scoring)
    classifier = PhrasingClassifier(
        mixed.index.entries_of("settings"), mixed.index.classifiers["settings"]
    )
    vector = mixed.embedder.encode(["I need another nickname"])[0]
    guesses = np.argsort(-classifier.probabilities(vector))[: scoring.classifier_candidates]
    ranked = dict(narrow.rank(vector))
    assert set(classifier.positions[guesses].tolist()) <= set(ranked)
    assert len(ranked) <= scoring.classifier_candidates + 1  # plus the one vector fetched


def test_the_classifier_ranks_new_wordings_first_and_leaves_other_collections_alone(
    mixed: Retriever,
) -> None:
    for question, expected in NEW_WORDINGS.items():
        answer = mixed.ask(question)
        assert answer.candidates[0][0] == expected, question
    seed = next(c for c in mixed.index.collection_ids() if c != "settings")
    plain = Retriever(mixed.index, mixed.embedder, scoring=Scoring(classifier_weight=0.0))
    question = "will Japan and South Korea form an alliance?"
    assert mixed.ask(question, seed).candidates == plain.ask(question, seed).candidates


def test_a_two_entry_collection_gets_two_softmax_rows(mixed: Retriever, embedder: Embedder) -> None:
    entries = [e for e in intent_entries() if e.id in {"settings-0", "settings-9"}]
    index = build(corpus_from_entries(entries), embedder)
    weights = fit_classifier(index, "settings")
    assert weights.shape == (2, embedder.dimension + 1)
    classifier = PhrasingClassifier(index.entries_of("settings"), weights)
    password = classifier.probabilities(embedder.encode(["I forgot my password"])[0])
    assert password[0] > 0.5 > password[1]


def test_classifiers_are_saved_checked_and_loaded_with_the_index(
    mixed: Retriever, tmp_path: Path
) -> None:
    save_index(mixed.index, tmp_path / "index")
    loaded = load_index(tmp_path / "index")
    assert loaded.manifest.classifiers == ["settings"]
    np.testing.assert_array_equal(
        loaded.classifiers["settings"], mixed.index.classifiers["settings"]
    )
    again = Retriever(loaded, mixed.embedder)
    assert (
        again.ask("I need another nickname").candidates
        == mixed.ask("I need another nickname").candidates
    )
    stored = current_build(tmp_path / "index") / CLASSIFIERS_FILE
    np.save(stored, np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(IndexCorruptError):
        load_index(tmp_path / "index")


def test_a_collection_without_classifier_scores_as_before(embedder: Embedder) -> None:
    corpus = load_corpus(SEED_CORPUS)
    index = classified(build(corpus, embedder))
    assert index.classifiers == {} and index.manifest.classifiers == []
    question = "why are Seoul and Tokyo getting closer?"
    with_default = Retriever(index, embedder).ask(question)
    without = Retriever(index, embedder, scoring=Scoring(classifier_weight=0.0)).ask(question)
    assert with_default.candidates == without.candidates
    assert with_default.confidence == without.confidence
