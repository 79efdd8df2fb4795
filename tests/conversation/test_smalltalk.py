"""Small talk: what counts as small talk as a whole, the lines said back, and their overrides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from askbot.conversation import Conversation, SmallTalk, load_small_talk, new_state
from askbot.conversation.smalltalk import kind_of, small_talk_of, strip_pleasantries
from askbot.corpus import load_corpus
from askbot.errors import CorpusError
from askbot.index import build_index
from askbot.retrieve import Decision, Retriever
from tests.conftest import DATA, FakeEmbedder

RECALL = "brewmaster-kettle-recall"
ELECTION = "riverside-mayoral-election"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("hello", "greeting"),
        ("Hi there!", "greeting"),
        ("good morning", "greeting"),
        ("thanks!", "thanks"),
        ("Thank you so much.", "thanks"),
        ("ok thanks, bye", "goodbye"),
        ("who are you?", "identity"),
        ("are you a bot?", "identity"),
        ("hi, what can you do?", "abilities"),
        ("help", "abilities"),
        ("talk to a person", "human"),
        ("can I speak to a human please?", "human"),
        ("you are useless", "insult"),
        ("stupid bot", "insult"),
        ("how r u", "greeting"),
        ("whats up?", "greeting"),
        ("👍", "thanks"),
        ("👍🏽👍🏽", "thanks"),
        ("❤️", "thanks"),
        ("👋", "greeting"),
    ],
)
def test_a_message_that_is_small_talk_as_a_whole_has_a_kind(message: str, kind: str) -> None:
    assert kind_of(message) == kind


@pytest.mark.parametrize(
    "message",
    [
        "thanks — and what about trade?",
        "hello, why are they getting closer?",
        "and what about china?",
        "why?",
        "what is the weather in Seoul",
        "great wall of china",
        "is the help desk open on Sunday?",
        "who are the candidates?",
        "👍 but what about trade?",
        "🇯🇵",
    ],
)
def test_a_question_is_never_small_talk(message: str) -> None:
    assert kind_of(message) is None


@pytest.mark.parametrize(
    ("message", "kind", "language"),
    [
        ("¡Hola!", "greeting", "es"),
        ("muchas gracias", "thanks", "es"),
        ("Adios", "goodbye", "es"),
        ("merci beaucoup !", "thanks", "fr"),
        ("qui êtes-vous ?", "identity", "fr"),
        ("Danke schön", "thanks", "de"),
        ("ich möchte mit einem Menschen sprechen", "human", "de"),
        ("grazie mille", "thanks", "it"),
        ("obrigada", "thanks", "pt"),
        ("dank je wel", "thanks", "nl"),
        ("dziękuję bardzo", "thanks", "pl"),
        ("Спасибо большое!", "thanks", "ru"),
        ("İyi günler", "greeting", "tr"),
        ("شكرا جزيلا", "thanks", "ar"),
        ("안녕하세요", "greeting", "ko"),
        ("감사합니다!", "thanks", "ko"),
        ("ありがとうございます", "thanks", "ja"),
        ("谢谢你！", "thanks", "zh"),
        ("你是谁？", "identity", "zh"),
        ("สวัสดีครับ", "greeting", "th"),
        ("¡Eres inútil!", "insult", "es"),
        ("Du bist dumm", "insult", "de"),
        ("tu ne sers à rien", "insult", "fr"),
        ("바보야", "insult", "ko"),
        ("你真没用", "insult", "zh"),
    ],
)
def test_small_talk_in_another_language_has_a_kind_and_its_language(
    message: str, kind: str, language: str
) -> None:
    assert small_talk_of(message, preferred=None) == (kind, language)


@pytest.mark.parametrize(
    "message",
    [
        "¿y China?",
        "hola, ¿por qué se acercan?",
        "una persona cayó",
        "Ist das nutzlos?",  # a question, not an insult
        "谢谢你的回答，中国呢？",
        "merci" * 20,
    ],
)
def test_a_question_in_another_language_is_never_small_talk(message: str) -> None:
    assert small_talk_of(message, preferred=None) is None


def test_a_shared_phrase_or_english_small_talk_follows_the_conversation_language() -> None:
    assert small_talk_of("hallo", preferred="nl") == ("greeting", "nl")
    assert small_talk_of("hallo", preferred=None) == ("greeting", "de")
    assert small_talk_of("ok", preferred="ko") == ("thanks", "ko")
    assert small_talk_of("ok", preferred="sv") == ("thanks", "en")  # no Swedish lines


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("gracias, ¿y China?", "¿y China?"),
        ("Merci ! Et la Chine ?", "Et la Chine ?"),
        ("谢谢！中国呢？", "中国呢？"),
        ("¿Hola?", "¿Hola?"),
        ("Sí, ¿y China?", "Sí, ¿y China?"),
    ],
)
def test_a_pleasantry_in_another_language_in_front_of_a_question_is_dropped(
    message: str, question: str
) -> None:
    assert strip_pleasantries(message) == question


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("thanks — and what about trade?", "and what about trade?"),
        ("Hi! Why now?", "Why now?"),
        ("thanks and what about a refund?", "and what about a refund?"),
        ("great wall of china", "great wall of china"),
        ("thanks!", "thanks!"),
    ],
)
def test_a_pleasantry_in_front_of_a_question_is_dropped(message: str, question: str) -> None:
    assert strip_pleasantries(message) == question


def test_lines_end_with_an_invitation_and_the_contact_line_follows_a_request_for_a_person() -> None:
    talk = SmallTalk(human_contact="Call 555-0100.")
    assert talk.reply_to("greeting").endswith("Here are questions I can answer:")
    assert "Call 555-0100." in talk.reply_to("human")
    assert "Call" not in talk.reply_to("thanks")
    assert not talk.reply_to("goodbye").endswith(":")


def test_overrides_come_from_the_corpus_file_per_deployment_and_per_collection() -> None:
    talk = load_small_talk(DATA / "corpus_articles", human_contact="ignored when the file says")
    assert "newsroom@example.org" in talk.of(ELECTION).reply_to("human")
    assert "0800 123 456" in talk.of(RECALL).reply_to("human")
    assert talk.of(RECALL).greeting.startswith("Hi! Ask me anything about the Brewmaster")
    assert talk.of(ELECTION).greeting == SmallTalk().greeting
    assert (
        load_small_talk(DATA / "corpus_api", human_contact="Mail us.").human_contact == "Mail us."
    )


def test_lines_in_other_languages_come_with_their_footer_and_may_be_overridden(
    tmp_path: Path,
) -> None:
    talk = SmallTalk(human_contact="Call 555-0100.")
    assert talk.reply_to("greeting", "es").endswith("Estas son preguntas que puedo responder:")
    assert talk.reply_to("human", "ja").startswith("自動アシスタント")
    assert "Call 555-0100." in talk.reply_to("human", "ja")
    assert talk.reply_to("abilities", "zh").endswith("例如：")  # its own colon, no footer
    assert talk.reply_to("greeting", "sv") == talk.reply_to("greeting")  # no Swedish: English
    (tmp_path / "_smalltalk.json").write_text(
        json.dumps({"languages": {"es": {"greeting": "¡Hola! Pregunte por la noticia."}}})
    )
    overridden = load_small_talk(tmp_path)
    assert overridden.reply_to("greeting", "es").startswith("¡Hola! Pregunte por la noticia.")
    assert overridden.reply_to("thanks", "es").startswith("¡De nada!")


@pytest.mark.parametrize(
    "content",
    [
        '{"greting": "typo"}',
        '{"greeting": 3}',
        '{"collections": []}',
        "[",
        '"hi"',
        '{"languages": []}',
        '{"languages": {"xx": {"greeting": "hi"}}}',
        '{"languages": {"es": {"greting": "hola"}}}',
        '{"collections": {"a": {"languages": {"es": {"greeting": 3}}}}}',
    ],
)
def test_a_bad_small_talk_file_is_a_corpus_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "_smalltalk.json").write_text(content)
    with pytest.raises(CorpusError, match=r"_smalltalk\.json"):
        load_small_talk(tmp_path)


@pytest.fixture(scope="module")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    folder = tmp_path_factory.mktemp("articles")
    for path in (DATA / "corpus_articles").iterdir():
        shutil.copy(path, folder / path.name)
    embedder = FakeEmbedder()
    index = build_index(load_corpus(folder), embedder)
    return Conversation(Retriever(index, embedder), load_small_talk(folder))


def test_small_talk_is_a_fallback_with_the_collection_questions_and_a_number_picks_one(
    conversation: Conversation,
) -> None:
    state = new_state(RECALL)
    hello, state = conversation.reply(state, "hello!", RECALL)
    assert (hello.decision, hello.confidence, hello.via) == (Decision.FALLBACK, 0.0, "small-talk")
    assert hello.message.startswith("Hi! Ask me anything about the Brewmaster kettle recall.")
    assert [s.question for s in hello.suggestions] == [
        "Which kettles are being recalled?",
        "Why are the kettles being recalled?",
        "How can I tell whether my kettle is affected?",
    ]
    assert hello.to_dict()["via"] == "small-talk"
    picked, state = conversation.reply(state, "2", RECALL)
    assert picked.answer is not None and picked.answer.question == hello.suggestions[1].question
    person, _ = conversation.reply(state, "I want to talk to a human", RECALL)
    assert "0800 123 456" in person.message
    assert picked.answer.id not in {s.id for s in person.suggestions}  # not offered again


def test_small_talk_is_not_the_subject_a_follow_up_leans_on(conversation: Conversation) -> None:
    state = new_state(ELECTION)
    _, state = conversation.reply(state, "Who is running for mayor?", ELECTION)
    _, state = conversation.reply(state, "thanks!", ELECTION)
    follow, _ = conversation.reply(state, "and when will we know who won?", ELECTION)
    assert follow.understood_as.endswith("(Who is running for mayor?)") or follow.via == "search"
    json.dumps(state)  # the state stays plain JSON for any session store


def test_small_talk_in_another_language_is_answered_in_it(conversation: Conversation) -> None:
    state = new_state(RECALL)
    hola, state = conversation.reply(state, "¡Hola!", RECALL)
    assert (hola.decision, hola.via) == (Decision.FALLBACK, "small-talk")
    assert hola.message.startswith("¡Hola! Respondo preguntas sobre este artículo.")
    assert hola.language.detected == hola.language.served == "es"
    assert len(hola.suggestions) == 3
    okay, state = conversation.reply(state, "ok", RECALL)  # English, in a Spanish conversation
    assert okay.message.startswith("¡De nada!")
    person, _ = conversation.reply(state, "quiero hablar con una persona", RECALL)
    assert person.message.startswith("Soy un asistente automático")
    assert "0800 123 456" in person.message


@pytest.mark.parametrize("message", ["thnaks!", "thnak you", "goodbey"])
def test_small_talk_with_a_typo_is_still_small_talk(
    conversation: Conversation, message: str
) -> None:
    reply, _ = conversation.reply(new_state(RECALL), message, RECALL)
    assert reply.via == "small-talk"


def test_english_small_talk_on_a_page_in_another_language_is_answered_in_the_page_language(
    conversation: Conversation,
) -> None:
    thanks, _ = conversation.reply(new_state(RECALL), "thanks!", RECALL, page_language="de")
    assert thanks.message.startswith("Gern geschehen!")
    english, _ = conversation.reply(new_state(RECALL), "thanks!", RECALL)
    assert english.message.startswith("You're welcome!")
