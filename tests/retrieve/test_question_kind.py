"""The kind of answer a question asks for, and the close calls it settles."""

from __future__ import annotations

import pytest

from askbot.retrieve.question_kind import kind_of, settles


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why did it raise rates again?", "reason"),
        ("and how come they strike?", "reason"),
        ("When is the next decision?", "time"),
        ("ok, so what time do the polls open?", "time"),
        ("Where are the cooling centres?", "place"),
        ("who is running for mayor?", "person"),
        ("How much will my mortgage go up?", "quantity"),
        ("how long is a passport valid?", "quantity"),
        ("How can I keep my home cool?", "manner"),
        ("will they raise rates again?", "yes-no"),
        ("Can I vote by mail?", "yes-no"),
        ("wasn’t it cancelled?", "yes-no"),
        ("Won't they strike again?", "yes-no"),
        ("which year did it start?", "time"),
        ("how soon will it arrive", "time"),
        ("What forms do I need?", None),
        ("What did the central bank decide?", None),
        ("passport form", None),
        ("however you like", None),  # "how" only as a whole word
        ("", None),
    ],
)
def test_kind_of_reads_the_opening_words(question: str, kind: str | None) -> None:
    assert kind_of(question) == kind


@pytest.mark.parametrize(
    ("question", "first", "second", "chosen"),
    [
        (
            "will they raise rates again?",
            "Will rates go up again?",
            "Why did it raise rates again?",
            0,
        ),
        (
            "why are rates going up again?",
            "Will rates go up again?",
            "Why did it raise rates again?",
            1,
        ),
        ("when is the strike?", "When is the strike?", "What happens between the strikes?", 0),
        (
            "where can I cool down?",
            "How can I keep my home cool?",
            "Where are the cooling centres?",
            1,
        ),
        # Both of one kind, or the question of none: the kinds do not tell them apart.
        ("how do I renew it?", "How do I renew my passport?", "How do I replace a passport?", None),
        ("passport form", "How do I renew my passport?", "How long is a passport valid?", None),
        # An open question ("how…?", "can…?") may be answered by another open kind, or by none.
        ("how do I get a postal ballot", "How do I register to vote?", "Can I vote by mail?", None),
        ("can i get a refund?", "Can I get a refund?", "What are my rights?", None),
    ],
)
def test_settles_only_when_exactly_one_asks_the_same_specific_thing(
    question: str, first: str, second: str, chosen: int | None
) -> None:
    assert settles(question, first, second) == chosen


@pytest.mark.parametrize(
    ("question", "language", "kind"),
    [
        ("Und warum streiken die Lokführer?", "de", "reason"),
        ("Wann ist der Streik?", "de", "time"),
        ("Wie viel kostet es?", "de", "quantity"),
        ("Wie funktioniert das?", "de", "manner"),
        ("Wie steht es mit den Zügen?", "de", None),  # "what about the trains?"
        ("Wie is de president van de bank?", "nl", "person"),  # Dutch "wie" asks who
        ("Hoe laat begint het?", "nl", "time"),
        ("Et pourquoi ?", "fr", "reason"),
        ("Où se trouvent les centres ?", "fr", "place"),
        ("¿Por qué suben los tipos?", "es", "reason"),
        ("por que suben los tipos", "es", "reason"),  # accents left out
        ("Quanto custa?", "pt", "quantity"),
        ("E quanto ao salário?", "pt", None),  # "and as for the salary?"
        ("А когда следующее решение?", "ru", "time"),
        ("Dlaczego strajkują?", "pl", "reason"),
        ("Chi si candida?", "it", "person"),
        ("ولماذا رفع البنك الفائدة؟", "ar", "reason"),
        ("Grev ne zaman?", "tr", "time"),
        ("彗星はいつ見えますか？", "ja", "time"),
        ("いつも混んでいますか？", "ja", None),  # "always", not "when"
        ("いつもの電車はいつ動きますか？", "ja", "time"),  # "when does the usual train run?"
        ("몇 시에 열어요?", "ko", "time"),
        ("몇 명이에요?", "ko", "quantity"),
        ("央行为什么又加息了？", "zh", "reason"),
        ("กี่โมง", "th", "time"),
        ("Warum?", None, None),  # the language unknown
        ("Warum?", "sv", None),  # a language without question words here
    ],
)
def test_kind_of_reads_each_languages_question_words(
    question: str, language: str | None, kind: str | None
) -> None:
    assert kind_of(question, language) == kind


def test_a_question_in_another_language_settles_between_english_entries() -> None:
    first, second = "Will the trains that do run be busy?", "Why are the drivers striking?"
    assert settles("Und warum streiken die Lokführer?", first, second, "de") == 1
    assert settles("Und warum streiken die Lokführer?", first, second) is None  # read as English
    # The entries are read in their own language: a German FAQ's "Wann…?" asks for a time.
    assert settles("When is it?", "Wann ist der Streik?", "Warum streiken sie?", "en", "de") == 0


def test_reading_a_long_message_is_bounded() -> None:
    assert kind_of("彗" * 100_000 + "いつ", "ja") is None  # past MAX_CHARS
    assert kind_of("いつ" + "彗" * 100_000, "ja") == "time"
