"""Per-collection calibration fitted at build time from a collection's own alternates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from askbot.corpus import FaqEntry, corpus_from_entries, load_corpus
from askbot.embed import Embedder
from askbot.fit import fit_index
from askbot.fit.self_calibration import (
    MIN_QUESTIONS,
    StoredTextVectors,
    fit_collection,
    self_calibrations,
)
from askbot.index import build_index, load_index, save_index
from askbot.retrieve import Calibration, Logistic, Retriever, default_calibration
from tests.conftest import SEED_CORPUS

# An intent-style FAQ: each account setting is an entry with six phrasings of "change it".
SETTINGS = [
    "password", "email address", "phone number", "home address", "username", "profile photo",
    "billing card", "delivery address", "language", "time zone", "notification sound",
    "display name", "security question", "recovery email", "payment plan", "newsletter topics",
    "shipping speed", "default currency", "privacy level", "two-factor method", "avatar frame",
    "signature", "bank account", "tax number", "company name", "job title", "birthday",
    "nickname", "theme colour", "font size",
]  # fmt: skip
PHRASINGS = [
    "change my {}",
    "I want to update my {}",
    "can I modify the {} on my account",
    "where do I edit my {}",
    "my {} needs changing",
    "help me set a new {}",
]


def intent_entries(collection: str = "settings") -> list[FaqEntry]:
    return [
        FaqEntry(
            id=f"{collection}-{n}",
            collection=collection,
            question=f"How do I change my {setting}?",
            answer="",
            alternates=tuple(p.format(setting) for p in PHRASINGS),
        )
        for n, setting in enumerate(SETTINGS)
    ]


@pytest.fixture(scope="module")
def mixed_index(embedder: Embedder) -> Retriever:
    """The seed explainer (no alternates) and the intent FAQ, in one index, built as
    ``askbot build`` builds it."""
    entries = list(load_corpus(SEED_CORPUS).entries()) + intent_entries()
    return Retriever(fit_index(build_index(corpus_from_entries(entries), embedder)), embedder)


def test_a_collection_with_alternates_calibrates_itself_and_one_without_does_not(
    mixed_index: Retriever,
) -> None:
    calibrations = mixed_index.index.manifest.calibrations
    assert set(calibrations) == {"settings"}
    # Every alternate is asked once per repeat of the folds.
    assert calibrations["settings"]["questions"] >= MIN_QUESTIONS
    assert calibrations["settings"]["in_scope"]["score_weight"] > 0
    assert (
        0.1 < calibrations["settings"]["fitted_off_topic_share"] < 0.3
    )  # a fifth of entries held out
    fitted = mixed_index.calibration_of("settings")
    assert fitted != default_calibration(mixed_index.embedder.model_id)
    # The seed article, without alternates, reads the default as an article-sized FAQ does.
    seed_collection = next(c for c in mixed_index.index.collection_ids() if c != "settings")
    default = default_calibration(mixed_index.embedder.model_id)
    assert default.small_faq is not None
    assert mixed_index.calibration_of(seed_collection) == default.small_faq


def test_confidence_comes_from_the_collection_of_the_answer(mixed_index: Retriever) -> None:
    answer = mixed_index.ask("I'd like a different time zone")
    assert answer.answer is not None and answer.answer.collection == "settings"
    expected = mixed_index.calibration_of("settings").probability(answer.score, answer.margin)
    assert answer.confidence == pytest.approx(expected)

    answer = mixed_index.ask("why are Seoul and Tokyo getting closer?")
    assert answer.answer is not None and answer.answer.collection != "settings"
    default = default_calibration(mixed_index.embedder.model_id).for_size(6)
    assert answer.confidence == pytest.approx(default.probability(answer.score, answer.margin))


def test_an_explicit_calibration_holds_for_every_collection(mixed_index: Retriever) -> None:
    explicit = Calibration(
        in_scope=Logistic(-1.0, 1.0, 1.0),
        right_if_in_scope=Logistic(0, 1, 1),
        fitted_off_topic_share=0.2,
    )
    retriever = Retriever(mixed_index.index, mixed_index.embedder, calibration=explicit)
    assert retriever.calibration_of("settings") == explicit
    answer = retriever.ask("change the time zone")
    assert answer.confidence == pytest.approx(explicit.probability(answer.score, answer.margin))


def test_the_fitted_calibration_is_saved_and_loaded_with_the_index(
    mixed_index: Retriever, tmp_path: Path
) -> None:
    save_index(mixed_index.index, tmp_path / "index")
    loaded = load_index(tmp_path / "index")
    assert loaded.manifest.calibrations == mixed_index.index.manifest.calibrations
    again = Retriever(loaded, mixed_index.embedder)
    assert again.calibration_of("settings") == mixed_index.calibration_of("settings")
    assert again.calibration_of("settings").margin_cap == math.inf


def test_a_declared_off_topic_share_applies_to_every_collection(mixed_index: Retriever) -> None:
    in_scope_traffic = Retriever(mixed_index.index, mixed_index.embedder, off_topic_share=0.0)
    for collection in mixed_index.index.collection_ids():
        fitted = mixed_index.calibration_of(collection)
        assert in_scope_traffic.calibration_of(collection) == fitted.for_traffic(0.0)
    # Declared in scope, a question is only doubted for the answer it gets: more confidence.
    question = "I'd like a different time zone"
    assert in_scope_traffic.ask(question).confidence > mixed_index.ask(question).confidence


def test_held_out_phrasings_get_high_confidence_and_other_questions_low(
    mixed_index: Retriever,
) -> None:
    # New wordings of the intents, none of them among the alternates.
    asked = ["alter the font size please", "I need another nickname", "set a new bank account"]
    off_topic = ["what's the weather in Paris tomorrow?", "recipe for chocolate cake"]
    inside = [a.confidence for a in mixed_index.ask_many(asked, "settings")]
    outside = [a.confidence for a in mixed_index.ask_many(off_topic, "settings")]
    assert min(inside) > 0.5 > max(outside)


def test_alternates_with_typos_are_asked_as_written(embedder: Embedder) -> None:
    """A round asks held-out alternates by their stored vectors: a typo only they have is not
    corrected into a text the index never embedded."""
    entries = intent_entries()
    first = entries[0]
    entries[0] = FaqEntry(
        id=first.id,
        collection=first.collection,
        question=first.question,
        answer=first.answer,
        alternates=(*first.alternates, "plese chnage my pasword"),
    )
    index = build_index(corpus_from_entries(entries), embedder)
    assert "settings" in self_calibrations(index)


def test_too_few_alternates_keep_the_default(embedder: Embedder) -> None:
    entries = intent_entries()[:5]  # 30 alternates, below MIN_QUESTIONS
    index = fit_index(build_index(corpus_from_entries(entries), embedder))
    assert index.manifest.calibrations == {}
    calibration, questions = fit_collection(entries, StoredTextVectors(index))
    assert calibration is None and questions == 0


def test_stored_text_vectors_are_the_index_vectors(mixed_index: Retriever) -> None:
    stored = StoredTextVectors(mixed_index.index)
    text = "help me set a new password"
    np.testing.assert_allclose(
        stored.encode([text])[0], mixed_index.embedder.encode([text])[0], atol=1e-5
    )
    with pytest.raises(KeyError):
        stored.encode(["a text the index never embedded"])


def test_rounds_split_answers_into_sentences_as_the_index_did(embedder: Embedder) -> None:
    """A 30-entry FAQ with answers is article-sized: its answers are held sentence by sentence,
    and each round's index does the same; a build that did not split them is read as such."""
    entries = [
        FaqEntry(
            e.id, e.collection, e.question, f"Open the account page. Then edit the {setting}.",
            e.alternates,
        )
        for e, setting in zip(intent_entries(), SETTINGS, strict=True)
    ]  # fmt: skip
    corpus = corpus_from_entries(entries)
    sentence = "Then edit the password."
    for split, held in ((None, True), ({}, False)):
        index = build_index(corpus, embedder, sentences_in=split)
        stored = StoredTextVectors(index)
        assert stored.sentences_in == ({"settings": "en"} if held else {})
        if held:
            stored.encode([sentence])
        else:
            with pytest.raises(KeyError):
                stored.encode([sentence])
        assert "settings" in self_calibrations(index)


def test_askbot_build_reports_the_fitted_calibration_and_ask_uses_it(tmp_path: Path) -> None:
    import json
    import shutil

    from tests.test_cli import run

    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    with (tmp_path / "corpus" / "settings.jsonl").open("w") as out:
        for entry in intent_entries():
            out.write(json.dumps({"question": entry.question, "answer": "In Settings.",
                                  "alternates": list(entry.alternates)}) + "\n")  # fmt: skip
    built = run("build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "confidence of settings: calibrated on 360 of its own alternate phrasings" in (
        built.stdout
    )
    assert "scores of settings: with a classifier fitted on its alternate phrasings" in (
        built.stdout
    )
    asked = run("ask", "--json", "I'd like a different time zone", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    reply = json.loads(asked.stdout)
    assert reply["decision"] == "answer" and reply["answer"]["collection"] == "settings"
