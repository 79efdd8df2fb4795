"""Readers in other languages, with the real encoders: the multilingual space finds the entry,
the reply comes in the reader's language where a translation file gives it, else with a note.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from askbot import service
from askbot.config import Settings
from askbot.conversation import new_state
from askbot.embed import Embedder
from askbot.index import current_build
from askbot.retrieve import Decision, default_calibration
from tests.conftest import DATA, REPO, SEED_CORPUS

PROMPTED = "What prompted South Korea and Japan to strengthen ties now?"
CHINA_US = "Will this diplomatic shift affect their relationships with China and the US?"
SEED = "south-korea-japan-relations"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> service.Service:
    """The seed article with its Korean translation, in both spaces."""
    root = tmp_path_factory.mktemp("multilingual")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", multilingual=True)
    service.build(settings, embedder=embedder)
    return service.open_service(settings, embedder=embedder)


def ask(svc: service.Service, message: str, **kwargs: str) -> dict[str, object]:
    reply, _ = svc.conversation.reply(new_state(None), message, **kwargs)  # type: ignore[arg-type]
    return reply.to_dict()


def test_the_index_has_a_multilingual_space_over_the_same_entries(seed: service.Service) -> None:
    assert seed.multilingual is not None
    english, multilingual = seed.index, seed.multilingual.index
    assert [e.id for e in multilingual.entries] == [e.id for e in english.entries]
    assert multilingual.manifest.translations_embedded
    assert english.manifest.multilingual_model_id == multilingual.model_id
    # The entries are stored once, in the build's table, and loaded once for both spaces.
    assert all(m is e for m, e in zip(multilingual.entries, english.entries, strict=True))
    assert "entries.jsonl" not in multilingual.manifest.files
    assert seed.multilingual._lexical is seed.retriever._lexical  # BM25 over the same texts


def test_a_format_2_build_with_a_multilingual_entry_table_still_loads(
    tmp_path: Path, embedder: Embedder
) -> None:
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = Settings(
        corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", multilingual=True
    )
    service.build(settings, embedder=embedder)
    build = current_build(settings.index_dir)
    inner = build / "multilingual"
    shutil.copy(build / "entries.jsonl", inner / "entries.jsonl")
    for folder in (inner, build):  # the inner manifest first: the outer checksums it
        path = folder / "manifest.json"
        data = json.loads(path.read_text())
        data["format_version"] = 2
        if folder == inner:
            data["files"]["entries.jsonl"] = sha256(inner / "entries.jsonl")
        else:
            data["files"]["multilingual/manifest.json"] = sha256(inner / "manifest.json")
        path.write_text(json.dumps(data))
    loaded = service.open_service(settings, embedder=embedder)
    assert loaded.multilingual is not None
    assert [e.id for e in loaded.multilingual.index.entries] == [e.id for e in loaded.index.entries]
    assert ask(loaded, "왜 지금 한국과 일본이 가까워지고 있나요?")["decision"] == "answer"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_korean_question_is_answered_in_korean_from_the_translation(
    seed: service.Service,
) -> None:
    reply = ask(seed, "왜 지금 한국과 일본이 가까워지고 있나요?")
    assert reply["decision"] == "answer"
    answer = reply["answer"]
    assert isinstance(answer, dict)
    assert answer["question"] == "한국과 일본이 지금 관계를 강화하는 이유는 무엇인가요?"
    assert str(answer["text"]).startswith("이재명 대통령의")
    assert reply["language"] == {"detected": "ko", "served": "ko", "note": None}


@pytest.mark.parametrize(
    ("message", "language", "meant"),
    [
        ("なぜ今、日韓は関係を強化しているのですか？", "ja", PROMPTED),
        ("这会影响他们与中国和美国的关系吗？", "zh", CHINA_US),
        ("¿Cambiará su relación con China y Estados Unidos?", "es", CHINA_US),
        ("Warum nähern sich Südkorea und Japan gerade jetzt an?", "de", PROMPTED),
    ],
)
def test_other_languages_get_the_english_answer_with_a_note_in_theirs(
    seed: service.Service, message: str, language: str, meant: str
) -> None:
    reply = ask(seed, message)
    options = [reply["answer"]] if reply["answer"] else reply["alternatives"]
    assert isinstance(options, list) and options[0]["question"] == meant  # type: ignore[index]
    got = reply["language"]
    assert isinstance(got, dict)
    assert (got["detected"], got["served"]) == (language, "en")
    if reply["decision"] == "answer":
        assert "English" in str(got["note"])


def test_an_off_topic_question_in_german_is_declined_in_german(seed: service.Service) -> None:
    reply = ask(seed, "Wie backe ich ein Brot mit Sauerteig?")
    assert reply["decision"] == "fallback"
    assert str(reply["message"]).startswith("Das weiß ich leider nicht")
    assert reply["language"] == {"detected": "de", "served": "de", "note": None}


def test_english_questions_stay_in_the_english_space(seed: service.Service) -> None:
    english = seed.retriever.ask("why are Seoul and Tokyo getting closer?")
    reply = ask(seed, "why are Seoul and Tokyo getting closer?")
    assert reply["confidence"] == pytest.approx(english.confidence, abs=1e-4)
    assert reply["language"] == {"detected": "en", "served": "en", "note": None}


def test_the_page_language_answers_a_message_too_short_to_tell(seed: service.Service) -> None:
    reply = ask(seed, "NATO?", page_language="ko")
    got = reply["language"]
    assert isinstance(got, dict)
    assert (got["detected"], got["served"]) == (None, "ko")  # Korean lines, or the translation
    if reply["decision"] == Decision.ANSWER.value:
        answer = reply["answer"]
        assert isinstance(answer, dict) and str(answer["question"]).endswith("요?")


def test_a_korean_faq_answers_korean_and_english_questions(
    tmp_path: Path, embedder: Embedder
) -> None:
    shutil.copytree(DATA / "corpus_korean", tmp_path / "corpus")
    settings = Settings(
        corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", multilingual=True
    )
    service.build(settings, embedder=embedder)
    svc = service.open_service(settings, embedder=embedder)
    (collection,) = svc.index.collections
    assert collection.language == "ko"
    for message in ("교통카드는 어디서 사요?", "Where can I buy a transit card?"):
        reply = ask(svc, message)
        options = [reply["answer"]] if reply["answer"] else reply["alternatives"]
        assert isinstance(options, list)
        assert options[0]["question"] == "교통카드는 어디서 살 수 있나요?"  # type: ignore[index]
    english = ask(svc, "Where can I buy a transit card?")
    got = english["language"]
    assert isinstance(got, dict) and got["served"] == "ko"
    if english["decision"] == "answer":
        assert "한국어" in str(got["note"])


def test_a_short_follow_up_keeps_the_conversation_language(seed: service.Service) -> None:
    first, state = seed.conversation.reply(
        new_state(None), "Warum nähern sich Südkorea und Japan gerade jetzt an?"
    )
    assert first.language.detected == "de"
    reply, _ = seed.conversation.reply(state, "Und China?")
    assert reply.language.detected is None  # too short to tell on its own
    # Read as German: a German note under the English answer, or German lines.
    in_german = reply.language.note == "Diese Antwort gibt es nur auf English."
    assert in_german or reply.message.startswith(("Meinten Sie", "Das weiß"))


def test_small_talk_in_korean_is_answered_in_korean_with_the_translated_questions(
    seed: service.Service,
) -> None:
    hello, state = seed.conversation.reply(new_state(None), "안녕하세요!")
    assert (hello.via, hello.decision) == ("small-talk", Decision.FALLBACK)
    assert hello.message.startswith("안녕하세요! 이 기사에 관한 질문에 답해 드립니다.")
    assert hello.language.served == "ko"
    assert hello.suggestions[0].question.endswith("요?")  # from the translation file
    answer, state = seed.conversation.reply(state, "1")
    assert answer.answer is not None and answer.answer.question == hello.suggestions[0].question
    thanks, _ = seed.conversation.reply(state, "고마워요")
    assert thanks.message.startswith("천만에요!")


@pytest.mark.parametrize(
    ("first", "follow_up"),
    [
        ("¿Por qué Seúl y Tokio se están acercando ahora?", "¿y Estados Unidos?"),
        ("한국과 일본은 왜 가까워지고 있나요?", "중국은요?"),
    ],
)
def test_a_follow_up_in_another_language_is_read_in_context(
    seed: service.Service, first: str, follow_up: str
) -> None:
    china_us = next(e.id for e in seed.index.entries if e.question == CHINA_US)
    opening, state = seed.conversation.reply(new_state(None), first)
    assert opening.answer is not None and opening.answer.id != china_us
    reply, _ = seed.conversation.reply(state, follow_up)
    assert (reply.decision, reply.via) == (Decision.ANSWER, "follow-up")
    assert reply.answer is not None and reply.answer.id == china_us


def test_a_pick_by_rank_and_tell_me_more_in_another_language(seed: service.Service) -> None:
    offered, state = seed.conversation.reply(new_state(None), "Sicherheit?")
    options = offered.options()
    assert len(options) >= 2
    picked, state = seed.conversation.reply(state, "die zweite")
    assert picked.via == "clarification"
    assert picked.answer is not None and picked.answer.id == options[1].id
    more, _ = seed.conversation.reply(state, "erzähl mir mehr")
    assert (more.decision, more.via) == (Decision.ANSWER, "more")
    assert more.answer is not None and more.answer.id != picked.answer.id


def test_an_article_reads_the_multilingual_encoders_small_faq_calibration(
    seed: service.Service,
) -> None:
    assert seed.multilingual is not None
    usem = default_calibration(seed.multilingual.embedder.model_id)
    assert usem.small_faq is not None and usem.small_faq != usem
    assert seed.multilingual.calibration_of(SEED) == usem.for_size(6)
    assert seed.retriever.calibration_of(SEED) != seed.multilingual.calibration_of(SEED)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> service.Service:
    """The development articles' FAQs (docs/eval/dev-articles), in both spaces."""
    root = tmp_path_factory.mktemp("dev-articles")
    for path in (REPO / "docs" / "eval" / "dev-articles").glob("*.md"):
        shutil.copy(path, root / path.name)
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), multilingual=True)
    return service.in_memory_service(root, settings, embedder)


@pytest.mark.parametrize(
    ("collection", "question", "language", "meant"),
    [
        (
            "comet-sighting",
            "彗星はいつ見えますか？",
            "ja",
            "When is the best time to see the comet?",
        ),
        ("interest-rate-rise", "央行为什么又加息了？", "zh", "Why did it raise rates again?"),
        ("rail-strike", "Und warum streiken die Lokführer?", "de", "Why are the drivers striking?"),
    ],
)
def test_a_close_call_in_another_language_leads_with_the_entry_asking_the_same_thing(
    articles: service.Service, collection: str, question: str, language: str, meant: str
) -> None:
    # The multilingual encoder ranks another entry first ("Where in the sky should I look?" for
    # the comet);
    # the question word ("いつ", "为什么", "warum" after "und") settles the close call.
    space = articles.multilingual
    assert space is not None
    vector = space.embedder.encode([question])[0]
    unread = space.answer_vector(question, vector, collection)
    assert unread.decision is Decision.CLARIFY and unread.alternatives[0].question != meant
    read = space.answer_vector(question, vector, collection, language=language)
    assert read.candidates[0][0] == next(a.id for a in unread.alternatives if a.question == meant)
    reply, _ = articles.conversation.reply(new_state(collection), question)
    assert reply.to_dict()["language"]["detected"] == language
    first = reply.answer or reply.alternatives[0]
    assert first.question == meant
