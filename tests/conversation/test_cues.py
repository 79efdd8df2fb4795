"""Follow-up cues in the multilingual encoder's other languages."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from askbot.conversation import cues, is_elliptical
from askbot.conversation.cues import CUES, subject_of
from askbot.conversation.reading import asks_for_more, choose, focus
from askbot.conversation.smalltalk_languages import PHRASES
from askbot.language import fold


@pytest.mark.parametrize(
    ("message", "language", "subject"),
    [
        ("¿y China?", "es", "China?"),
        ("¿Y qué pasa con Estados Unidos?", "es", "Estados Unidos?"),
        ("y por qué?", "es", "por qué?"),  # "why" asks about the previous turn: kept
        ("Und was ist mit den USA?", "de", "den USA?"),
        ("Und warum?", "de", "warum?"),
        ("Qu'en est-il de la Chine ?", "fr", "la Chine ?"),
        ("Et les écoles ?", "fr", "les écoles ?"),
        ("e gli orari?", "it", "gli orari?"),
        ("E quanto aos juros?", "pt", "juros?"),
        ("En voor spaarders?", "nl", "voor spaarders?"),
        ("A co z Chinami?", "pl", "Chinami?"),
        ("А что насчёт Китая?", "ru", "Китая?"),
        ("Peki ya Çin?", "tr", "Çin?"),
        ("وماذا عن الصين؟", "ar", "الصين؟"),
        ("중국은요?", "ko", "중국은요?"),
        ("그럼 무역은요?", "ko", "무역은요?"),
        ("じゃあ中国は？", "ja", "中国は？"),
        ("ではアメリカは？", "ja", "アメリカは？"),
        ("那么中国呢？", "zh", "中国呢？"),
        ("แล้วจีนล่ะ", "th", "จีนล่ะ"),
    ],
)
def test_a_follow_up_leans_back_and_loses_its_linking_words(
    message: str, language: str, subject: str
) -> None:
    assert is_elliptical(message, language)
    assert focus(message, language) == subject_of(message, language) == subject


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("¿Cuándo es la huelga?", "es"),
        ("Wann ist der Streik?", "de"),
        ("Quelles bouilloires sont rappelées ?", "fr"),
        ("Come mi registro per votare?", "it"),
        ("Gaat de rente nog verder omhoog?", "nl"),
        ("한국과 일본은 왜 가까워지고 있나요?", "ko"),
        ("彗星はいつ見えますか？", "ja"),
        ("下次决定是什么时候？", "zh"),
        # A pronoun in a long message does not make it lean back.
        (
            "¿Por qué los conductores de tren de toda la región han decidido ir a la huelga"
            " esta semana y qué significa eso?",
            "fr",
        ),
    ],
)
def test_a_question_that_stands_alone_does_not(message: str, language: str) -> None:
    assert not is_elliptical(message, language)


def test_english_and_unknown_languages_keep_the_english_cues() -> None:
    assert is_elliptical("and what about China?", "en")
    assert is_elliptical("and what about China?", None)
    assert focus("and what about China?", "xx") == "China?"
    assert not is_elliptical("¿y China?", "en")


def test_every_small_talk_language_has_follow_up_cues() -> None:
    assert set(PHRASES) - {"en"} <= set(CUES)


def test_a_bare_topic_leans_on_a_previous_turn_but_not_on_the_title() -> None:
    assert is_elliptical("중국은요?", "ko")
    assert not is_elliptical("중국은요?", "ko", first=True)
    assert is_elliptical("그럼 중국은요?", "ko", first=True)  # a linking opening still leans


OPTIONS = [{"id": f"e{i}", "question": f"Question {i}?"} for i in (1, 2, 3)]


@pytest.mark.parametrize(
    ("message", "picked"),
    [
        ("el segundo", "e2"),
        ("La Segunda", "e2"),
        ("die zweite", "e2"),
        ("la première", "e1"),
        ("두 번째", "e2"),
        ("2番目", "e2"),
        ("第三个", "e3"),
        ("последний", "e3"),
        ("el cuarto", None),  # no rank named: searched
    ],
)
def test_an_option_is_picked_by_its_rank_in_other_languages(
    message: str, picked: str | None
) -> None:
    assert choose(OPTIONS, message) == picked


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("cuéntame más", True),
        ("Erzähl mir mehr!", True),
        ("더 알려 주세요", True),
        ("もっと教えて", True),
        ("¿cuéntame más sobre la huelga de trenes de mañana?", False),
    ],
)
def test_tell_me_more_in_other_languages(message: str, expected: bool) -> None:
    assert asks_for_more(message) is expected


def test_the_modules_examples_hold() -> None:
    assert doctest.testmod(cues).failed == 0


def test_no_phrase_names_two_ranks_or_both_a_rank_and_more() -> None:
    """Ranks and "tell me more" are matched in every language at once: no two may collide."""
    data = json.loads((Path(cues.__file__).parent / "cues.json").read_text("utf-8"))
    ranks: dict[str, set[str]] = {}
    for fields in data.values():
        for number, phrases in fields["ordinals"].items():
            for phrase in phrases:
                ranks.setdefault(fold(phrase), set()).add(number)
    assert {p: n for p, n in ranks.items() if len(n) > 1} == {}
    more = {fold(p) for fields in data.values() for p in fields["more"]}
    assert more.isdisjoint(ranks)
