"""Typos in English questions are corrected before the question is embedded; names, acronyms,
words either dictionary knows and rare neighbours are left alone."""

from __future__ import annotations

import pytest

from askbot.conversation import Conversation, new_state
from askbot.corpus import load_corpus
from askbot.embed import Embedder
from askbot.index import build_index
from askbot.retrieve import Decision, Retriever
from askbot.retrieve.spelling import MAX_LOOKUPS, Speller
from tests.conftest import SEED_CORPUS

FAQ_WORDS = {"comet", "brewmaster", "reparations"}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(FAQ_WORDS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("when can i see the commet?", "when can i see the comet?"),  # the FAQ's word first
        ("is my brewmastr kettle affected", "is my brewmaster kettle affected"),  # not English
        ("can i see it toniht", "can i see it tonight"),
        ("tell me about the histroy", "tell me about the history"),
        ("Londn weather", "london weather"),
        ("what are they woried about", "what are they worried about"),  # a slip before "worked"
    ],
)
def test_a_word_one_edit_from_a_known_one_is_read_as_that_word(
    speller: Speller, typed: str, meant: str
) -> None:
    assert speller.corrected(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "is an asian nato coming",  # short: a name or an acronym
        "what about covid",  # its English neighbours ("covin") are rare words
        "what is the weather in Seoul",  # a word the dictionary knows
        "what did lee jae-myung agree",  # no English word one edit away
        "can my iPhone photograph it",  # capitals inside a word
        "what about the reparations?",
        "is the W2 form ready",
    ],
)
def test_names_acronyms_and_known_words_are_left_alone(speller: Speller, typed: str) -> None:
    assert speller.corrected(typed) == typed


def test_a_message_gets_at_most_a_few_unknown_words_looked_up(speller: Speller) -> None:
    typos = ["histroy", "toniht", "securty", "gettnig", "cloesr", "recieve", "adress", "woried"]
    fresh = Speller(FAQ_WORDS)
    corrected = fresh.corrected(" ".join(typos)).split()
    assert corrected[:MAX_LOOKUPS] != typos[:MAX_LOOKUPS]
    assert corrected[MAX_LOOKUPS:] == typos[MAX_LOOKUPS:]  # left as typed
    assert fresh.corrected(" ".join(typos[:2])) == "history tonight"  # remembered: no lookup


@pytest.fixture(scope="module")
def seed(embedder: Embedder) -> Retriever:
    return Retriever(build_index(load_corpus(SEED_CORPUS), embedder), embedder)


def test_a_question_with_a_typo_is_answered_as_without_it(seed: Retriever) -> None:
    clean = seed.ask("how will china react")
    typo = seed.ask("how will chnia react")
    unspelled = Retriever(seed.index, seed.embedder, spelling=False).ask("how will chnia react")
    assert typo.decision is clean.decision is Decision.ANSWER
    assert typo.answer == clean.answer
    assert typo.confidence == pytest.approx(clean.confidence, abs=1e-6)
    assert unspelled.confidence < 0.5 < clean.confidence  # what the corrector saves


def test_the_conversation_shows_the_question_as_understood(seed: Retriever) -> None:
    reply, _ = Conversation(seed).reply(new_state(None), "what are the regional securty concerns?")
    assert reply.understood_as == "what are the regional security concerns?"
    assert reply.answer is not None
