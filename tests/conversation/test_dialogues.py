"""Multi-turn conversations with the real model on three article FAQs: the seed article, a local
election explainer and a product recall (tests/data/corpus_articles).

The dialogues are the check articles' ``docs/eval/<collection>.dialogues.jsonl`` and, with the
multilingual space, ``<collection>.multilingual.dialogues.jsonl`` (format:
``askbot.evaluate.dialogues``): elliptical follow-ups ("and what about china?", "why?"), a
pronoun on a first turn read against the article ("who is running in it?"), greetings and thanks
mid-way, a new subject after a follow-up, thanks in front of a real question. A turn is resolved
when the entry it means is answered or, in a "did you mean" reply, offered first: whether askbot
is sure enough to answer is the calibration's business, which entry a turn means is the
conversation's.
"""

from __future__ import annotations

import shutil

import pytest

from askbot.config import Settings
from askbot.conversation import Conversation, Reply, new_state
from askbot.corpus import load_corpus
from askbot.embed import Embedder
from askbot.evaluate.dialogues import DIALOGUES_SUFFIX, dialogues_of_collection, judge
from askbot.index import build_index
from askbot.retrieve import Decision, Retriever
from askbot.service import in_memory_service
from tests.conftest import DATA, REPO, SEED_CORPUS

EVAL = REPO / "docs" / "eval"
SEED = "south-korea-japan-relations"
ELECTION = "riverside-mayoral-election"
RECALL = "brewmaster-kettle-recall"

PROMPTED = "What prompted South Korea and Japan to strengthen ties now?"
HISTORY = "What historical tensions are they overcoming to build this new relationship?"
CHINA_US = "Will this diplomatic shift affect their relationships with China and the US?"

FILES = {
    SEED: SEED_CORPUS / f"{SEED}.txt",
    ELECTION: DATA / "corpus_articles" / f"{ELECTION}.md",
    RECALL: DATA / "corpus_articles" / f"{RECALL}.json",
}
# Turns askbot is known to miss, and why; a dialogue holding one is an expected failure.
KNOWN_MISSES = {
    "is my kettle one of them?": "on its own it answers 'What should I do...' (retrieval)",
    # The multilingual space ranks another entry first (retrieval), in a "did you mean".
    "Et les États-Unis ?": "'did you mean' led by the opening entry (multilingual ranking)",
    "Und wer kandidiert?": "'did you mean' led by 'When will we know who won?' (ranking)",
    "選挙の主な争点は何ですか？": "'did you mean' led by the election-date entry (ranking)",
}


def check_dialogues(kind: str = "") -> list[object]:
    """The check articles' dialogues (docs/eval/<collection><kind>.dialogues.jsonl), one param
    each."""
    params: list[object] = []
    for collection, faq in FILES.items():
        path = EVAL / f"{collection}{kind}{DIALOGUES_SUFFIX}"
        _, dialogues = dialogues_of_collection(faq, path)
        for turns in dialogues:
            missed = [KNOWN_MISSES[m] for m, _ in turns if m in KNOWN_MISSES]
            marks = [pytest.mark.xfail(reason=missed[0], strict=False)] if missed else []
            params.append(pytest.param(collection, turns, marks=marks))
    return params


@pytest.fixture(scope="module")
def conversation(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    folder = tmp_path_factory.mktemp("articles")
    for path in [*(DATA / "corpus_articles").iterdir(), SEED_CORPUS / f"{SEED}.txt"]:
        shutil.copy(path, folder / path.name)
    return Conversation(Retriever(build_index(load_corpus(folder), embedder), embedder))


@pytest.fixture(scope="module")
def in_languages(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    """The same articles served as ``askbot serve`` does: with the multilingual space."""
    folder = tmp_path_factory.mktemp("articles-in-languages")
    for path in FILES.values():
        shutil.copy(path, folder / path.name)
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), multilingual=True)
    return in_memory_service(folder, settings, embedder).conversation


@pytest.mark.parametrize(("collection", "turns"), check_dialogues())
def test_each_turn_of_a_dialogue_answers_the_entry_it_means(
    conversation: Conversation, collection: str, turns: list[tuple[str, str]]
) -> None:
    """The entry a turn means is answered or, in a "did you mean" reply, offered first."""
    assert_heard(conversation, collection, turns)


@pytest.mark.parametrize(("collection", "turns"), check_dialogues(".multilingual"))
def test_each_turn_of_a_dialogue_in_another_language_answers_the_entry_it_means(
    in_languages: Conversation, collection: str, turns: list[tuple[str, str]]
) -> None:
    """The same in Spanish, Korean, French, German, Italian, Japanese, Portuguese, Chinese."""
    assert_heard(in_languages, collection, turns)


def assert_heard(conversation: Conversation, collection: str, turns: list[tuple[str, str]]) -> None:
    state = new_state(collection)
    heard = []
    for message, label in turns:
        reply, state = conversation.reply(state, message, collection)
        heard.append(label if judge(reply, label)[1] else said(reply))
    assert heard == [label for _, label in turns]


def said(reply: Reply) -> str | None:
    """What a reply took the message to mean, to show in a failure."""
    if reply.answer is not None:
        return reply.answer.question
    return reply.alternatives[0].question if reply.alternatives else reply.via


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (["why are Seoul and Tokyo getting closer?", "and what about china?"], CHINA_US),
        (["why are Seoul and Tokyo getting closer?", "hello", "and what about china?"], CHINA_US),
        (["Could this lead to a broader alliance in Asia?", "what about the US?"], CHINA_US),
        (["why are they getting closer now?"], PROMPTED),
        (["why now?"], PROMPTED),
    ],
)
def test_the_seed_article_answers_follow_ups_outright(
    conversation: Conversation, turns: list[str], expected: str
) -> None:
    state = new_state(SEED)
    for message in turns:
        reply, state = conversation.reply(state, message, SEED)
    assert reply.decision is Decision.ANSWER and reply.answer is not None
    assert reply.answer.question == expected


def test_a_complete_question_after_a_turn_stands_on_its_own(conversation: Conversation) -> None:
    state = new_state(SEED)
    _, state = conversation.reply(state, "and what about china?", SEED)
    # Worded like a follow-up, but complete: it answers on its own, not in China's context.
    message = "what about the colonial history and wartime apologies?"
    reply, _ = conversation.reply(state, message, SEED)
    assert reply.via == "search" and reply.answer is not None
    assert reply.answer.question == HISTORY


@pytest.mark.parametrize(
    ("collection", "turns", "expected"),
    [
        (
            SEED,
            ["what about the colonial history and wartime apologies?", "and the reparations?"],
            HISTORY,
        ),
        (
            RECALL,
            ["which kettles are recalled?", "what about the older ones?"],
            "Which kettles are being recalled?",
        ),
    ],
)
def test_a_follow_up_may_stay_on_the_entry_just_answered(
    conversation: Conversation, collection: str, turns: list[str], expected: str
) -> None:
    """Read alone, the follow-up is closest to the entry just answered: it is not skipped."""
    state = new_state(collection)
    for message in turns:
        reply, state = conversation.reply(state, message, collection)
    assert reply.via == "follow-up"
    assert reply.decision is Decision.ANSWER and reply.answer is not None
    assert reply.answer.question == expected


def test_an_index_of_one_article_reads_a_first_pronoun_against_its_title(
    embedder: Embedder,
) -> None:
    """No collection named (the default deployment): the only article's title is the context."""
    seed_only = Conversation(Retriever(build_index(load_corpus(SEED_CORPUS), embedder), embedder))
    reply, _ = seed_only.reply(new_state(None), "why are they getting closer now?")
    assert reply.via == "follow-up"
    assert reply.decision is Decision.ANSWER and reply.answer is not None
    assert reply.answer.question == PROMPTED
