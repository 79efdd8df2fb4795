"""Multi-turn conversations with the real model on three article FAQs: the seed article, a local
election explainer and a product recall (tests/data/corpus_articles).

Each turn names the entry it means, or ``SMALL_TALK`` for a reply in kind. A turn is resolved
when that entry is answered or, in a "did you mean" reply, offered first: whether askbot is sure
enough to answer is the calibration's business, which entry a turn means is the conversation's.
"""

from __future__ import annotations

import shutil

import pytest

from askbot.conversation import Conversation, Reply, new_state
from askbot.corpus import load_corpus
from askbot.embed import Embedder
from askbot.index import build_index
from askbot.retrieve import Decision, Retriever
from tests.conftest import DATA, SEED_CORPUS

SMALL_TALK = "small talk"
SEED = "south-korea-japan-relations"
ELECTION = "riverside-mayoral-election"
RECALL = "brewmaster-kettle-recall"

PROMPTED = "What prompted South Korea and Japan to strengthen ties now?"
IMPACT = "How will this improved relationship impact regional security and trade?"
HISTORY = "What historical tensions are they overcoming to build this new relationship?"
ALLIANCE = "Could this lead to a broader alliance in Asia?"
CONCERNS = "What are the regional security concerns driving this cooperation?"
CHINA_US = "Will this diplomatic shift affect their relationships with China and the US?"

WHEN = "When is the election and when are the polls open?"
CANDIDATES = "Who is running for mayor?"
REGISTER = "How do I register to vote, and is there a deadline?"
EARLY = "Can I vote early or by mail?"
BRING = "What do I need to bring to the polling station?"
ISSUES = "What are the main issues in the race?"
RESULTS = "When will we know who won?"

WHICH = "Which kettles are being recalled?"
WHY = "Why are the kettles being recalled?"
TELL = "How can I tell whether my kettle is affected?"
TODO = "What should I do if I have one of these kettles?"
REFUND = "Will I get a refund or a replacement?"
INJURED = "Has anyone been injured?"
RECEIPT = "What if I bought it second-hand or no longer have the receipt?"

DIALOGUES: list[object] = [
    (SEED, [
        ("why are Seoul and Tokyo getting closer?", PROMPTED),
        ("and what about china?", CHINA_US),  # elliptical: the subject comes from the context
        ("and an alliance?", ALLIANCE),
        ("thanks!", SMALL_TALK),
        ("what about the US?", CHINA_US),  # leans on the turn before the small talk
    ]),
    (SEED, [
        ("what threats are they worried about", CONCERNS),
        ("hello", SMALL_TALK),  # a greeting mid-way
        ("what past grievances stand between the two nations?", HISTORY),  # a new subject
        ("and how will it change trade?", IMPACT),
    ]),
    (SEED, [
        ("why are they getting closer now?", PROMPTED),  # "they": read against the article
        ("thanks — and what about trade?", IMPACT),  # thanks with a real question
    ]),
    (ELECTION, [
        ("when is election day?", WHEN),
        ("and who is running?", CANDIDATES),
        ("what about the results?", RESULTS),
        ("thanks, bye", SMALL_TALK),
    ]),
    (ELECTION, [
        ("who is running in it?", CANDIDATES),  # "it": the article's election
        ("how do I register to vote?", REGISTER),  # a new subject
        ("hi", SMALL_TALK),
        ("can I vote by mail instead?", EARLY),
        ("thanks - what ID do I need to bring?", BRING),
    ]),
    (RECALL, [
        ("which models are affected?", WHICH),
        ("why?", WHY),
        ("has anyone been hurt?", INJURED),  # a new subject
        ("and a refund?", REFUND),
        ("what about without a receipt?", RECEIPT),
    ]),
    (RECALL, [
        ("why are they recalling it?", WHY),
        ("how do I check mine?", TELL),
        ("thanks! what should I do with it?", TODO),
        ("talk to a human", SMALL_TALK),
    ]),
    pytest.param(RECALL, [
        ("who are you?", SMALL_TALK),
        ("is my kettle one of them?", TELL),
        ("ok thanks", SMALL_TALK),
        ("can I get my money back?", REFUND),
    ], marks=pytest.mark.xfail(
        reason="'is my kettle one of them?' on its own answers 'What should I do...' (retrieval)",
        strict=False,
    )),
]  # fmt: skip


@pytest.fixture(scope="module")
def conversation(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    folder = tmp_path_factory.mktemp("articles")
    for path in [*(DATA / "corpus_articles").iterdir(), SEED_CORPUS / f"{SEED}.txt"]:
        shutil.copy(path, folder / path.name)
    return Conversation(Retriever(build_index(load_corpus(folder), embedder), embedder))


def meant(reply: Reply) -> str | None:
    """The entry a reply takes the message to mean: the one answered, else the first option."""
    if reply.via == "small-talk":
        return SMALL_TALK
    if reply.answer is not None:
        return reply.answer.question
    return reply.alternatives[0].question if reply.decision is Decision.CLARIFY else None


@pytest.mark.parametrize(("collection", "turns"), DIALOGUES)
def test_each_turn_of_a_dialogue_answers_the_entry_it_means(
    conversation: Conversation, collection: str, turns: list[tuple[str, str]]
) -> None:
    state = new_state(collection)
    heard = []
    for message, _ in turns:
        reply, state = conversation.reply(state, message, collection)
        heard.append(meant(reply))
    assert heard == [expected for _, expected in turns]


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
