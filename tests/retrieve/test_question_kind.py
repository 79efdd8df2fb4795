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
