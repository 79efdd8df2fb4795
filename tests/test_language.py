"""askbot.language with the real py3langid model: English stays English, the rest is found."""

from __future__ import annotations

import doctest
from concurrent.futures import ThreadPoolExecutor

import pytest

from askbot import language
from askbot.language import (
    DETECTED,
    MAX_CHARS,
    SUPPORTED,
    UNSURE,
    Detection,
    LanguageDetector,
    language_name,
    strip_names,
)

# The brief's short follow-ups, and others a reader types: English, or unsure (read as English).
SHORT_ENGLISH = [
    "why?", "hello", "and the US?", "what about china?", "is it safe?", "NATO?", "ok thanks",
    "hi", "thanks!", "yes", "no", "ok", "how?", "who won?", "tell me more", "any news?",
    "same for Germany?", "in Paris?", "Macron?", "BK-250?", "I see", "OK", "IS IT SAFE?",
    "What About The Election?", "can I vote by mail", "what's the deadline",
]  # fmt: skip

QUESTIONS = [
    ("ko", "왜 갑자기 한국과 일본이 가까워지고 있나요?"),
    ("ko", "투표소는 어디에 있나요?"),
    ("ja", "関係改善は貿易や安全保障にどう影響しますか？"),
    ("ja", "いつ投票できますか？"),
    ("zh", "韩国和日本为什么现在加强关系？"),
    ("zh", "投票站在哪里？"),
    ("ar", "متى يمكنني التصويت؟"),
    ("ar", "شغِّل أفضل 20 أغنية لـ The Kleptones على Spotify"),  # an English title inside
    ("de", "Wann kann ich wählen?"),
    ("de", "Warum nähern sich Südkorea und Japan gerade jetzt an?"),
    ("fr", "Quand est-ce que je peux voter ?"),
    ("fr", "Pourquoi ?"),
    ("es", "¿Dónde está el colegio electoral?"),
    ("es", "¿Por qué Corea del Sur y Japón se están acercando ahora?"),
    ("ru", "Когда я могу проголосовать?"),
    ("th", "หน่วยเลือกตั้งอยู่ที่ไหน"),
    ("pl", "Kiedy mogę głosować?"),
    ("tr", "Ne zaman oy verebilirim?"),
]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize("text", SHORT_ENGLISH)
def test_short_english_is_english_or_unsure(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).language in ("en", None)


@pytest.mark.parametrize("text", ["why?", "hello", "what about china?", "is it safe?", "I see"])
def test_english_words_are_read_as_english(detector: LanguageDetector, text: str) -> None:
    found = detector.detect(text)
    assert found.language == "en"
    assert 0.5 <= found.confidence <= 1.0


@pytest.mark.parametrize(("expected", "text"), QUESTIONS)
def test_questions_in_other_languages_are_detected(
    detector: LanguageDetector, expected: str, text: str
) -> None:
    found = detector.detect(text)
    assert found.language == expected
    assert 0.0 < found.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "🙂👍", "12345", "3.14 + 2 = 5.14", "???", "BK-250"])
def test_text_without_words_is_unsure(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == UNSURE == Detection(None, 0.0)


def test_only_the_first_characters_are_read(detector: LanguageDetector) -> None:
    german = "Wann kann ich wählen und wo ist mein Wahllokal? " * 10
    english = "where can I vote and when do the polling stations close? " * 20_000
    assert detector.detect(german + english).language == "de"
    assert detector.detect(german + english) == detector.detect(german[:MAX_CHARS])


def test_names_are_left_out_of_the_evidence() -> None:
    scored, words = strip_names("voeg Armen Movsessian toe aan de NATO playlist, I think")
    assert words == ["voeg", "toe", "aan", "de", "playlist", "I", "think"]
    assert "Movsessian" not in scored and "NATO" not in scored


def test_title_cased_text_keeps_its_words() -> None:
    assert strip_names("Wann Kann Ich Wählen")[1] == ["wann", "kann", "ich", "wählen"]


def test_detection_is_deterministic(detector: LanguageDetector) -> None:
    texts = [text for _, text in QUESTIONS] + SHORT_ENGLISH
    first = [detector.detect(text) for text in texts]
    assert [detector.detect(text) for text in texts] == first
    other = LanguageDetector()
    assert [other.detect(text) for text in texts] == first


def test_one_detector_serves_many_threads(detector: LanguageDetector) -> None:
    texts = ([text for _, text in QUESTIONS] + SHORT_ENGLISH) * 20
    alone = [detector.detect(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(detector.detect, texts))
    assert together == alone


def test_a_restricted_detector_answers_only_its_languages() -> None:
    found = LanguageDetector(["en", "de", "nl"]).detect("Wanneer kan ik stemmen?")
    assert found.language == "nl"


@pytest.mark.parametrize(
    ("languages", "odds"), [(["de", "fr"], 5.0), (["en", "xx"], 5.0), (DETECTED, 0.5)]
)
def test_bad_settings_are_refused(languages: list[str], odds: float) -> None:
    with pytest.raises(ValueError):
        LanguageDetector(languages, english_odds=odds)


def test_supported_languages_are_the_encoders_fifteen() -> None:
    assert len(SUPPORTED) == 15
    assert SUPPORTED < DETECTED


def test_language_names() -> None:
    assert language_name("ko") == "Korean (한국어)"
    assert language_name("en") == "English"
    assert language_name("da") == "Danish"
    assert language_name("xx") == "xx"
    assert all(language_name(code) != code for code in DETECTED)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(language).failed == 0
