"""The editors' report: which questions failed, grouped by meaning, and the ``--since`` parser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from askbot.embed import Embedder
from askbot.errors import ConfigError
from askbot.store import Journal
from askbot.unanswered import (
    ReportGroup,
    parse_since,
    picks_report,
    render_report,
    unanswered_report,
)
from tests.conftest import FakeEmbedder


class Clock:
    """A settable clock for the journal's timestamps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path, clock: Clock) -> Iterator[Journal]:
    journal = Journal(tmp_path / "askbot.sqlite3", clock=clock)
    yield journal
    journal.close()


def ask(
    journal: Journal, clock: Clock, at: float, session: str, question: str,
    decision: str = "fallback", answer_id: str | None = None,
) -> None:  # fmt: skip
    clock.now = at
    journal.log_question(
        session_id=session, question=question, collection=None, decision=decision,
        confidence=0.2, answer_id=answer_id, latency_ms=5.0,
    )  # fmt: skip


def judge(
    journal: Journal, clock: Clock, at: float, session: str, answer_id: str, helpful: bool
) -> None:
    clock.now = at
    journal.add_feedback(session_id=session, answer_id=answer_id, helpful=helpful, comment=None)


# --- parse_since -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds_ago"),
    [("7d", 7 * 86400), ("24h", 86400), ("30m", 1800), ("90s", 90), ("2w", 14 * 86400),
     (" 1.5h ", 5400), ("7D", 7 * 86400)],
)  # fmt: skip
def test_parse_since_reads_spans_back_from_now(text: str, seconds_ago: float) -> None:
    assert parse_since(text, now=10_000_000.0) == 10_000_000.0 - seconds_ago


def test_parse_since_reads_iso_dates_and_times() -> None:
    assert parse_since("2024-05-01T12:00:00+00:00") == 1714564800.0
    assert parse_since("2024-05-01T12:00:00Z") == 1714564800.0
    # Without a zone, the time a person typed is local time.
    assert parse_since("2024-05-01") == datetime(2024, 5, 1).timestamp()


@pytest.mark.parametrize("text", ["", "yesterday", "7", "7y", "-3d", "2024-13-01"])
def test_parse_since_refuses_anything_else_with_a_hint(text: str) -> None:
    with pytest.raises(ConfigError, match=r"use 7d, 24h, 30m or an ISO date"):
        parse_since(text)


# --- grouping with the real model --------------------------------------------------------------


def test_report_groups_failed_questions_by_meaning(
    journal: Journal, clock: Clock, embedder: Embedder
) -> None:
    ask(journal, clock, 1000, "s0", "how do I renew my passport online")  # before `since`
    ask(journal, clock, 2000, "s1", "how do I renew my passport online")
    ask(journal, clock, 2100, "s2", "can I renew a passport on the internet")
    ask(journal, clock, 2200, "s3", "Renew  passport online?")
    ask(journal, clock, 2300, "s4", "renew passport online?")
    ask(journal, clock, 2400, "s5", "how do I renew my passport on the web", "answer", "pp/renew")
    judge(journal, clock, 2500, "s5", "pp/renew", helpful=False)
    ask(journal, clock, 2600, "s6", "what's the weather in Paris tomorrow")
    ask(journal, clock, 2700, "s7", "is my cat allowed on the plane", "answer", "pets/cabin")
    judge(journal, clock, 2750, "s7", "pets/cabin", helpful=True)  # helped: not in the report
    ask(journal, clock, 2800, "s8", "how much is a visa", "answer", "visa/fee")  # no feedback

    groups = unanswered_report(journal, embedder, since=1500)

    assert [g.count for g in groups] == [5, 1]
    passports, weather = groups
    assert passports.reasons == {"fallback": 4, "unhelpful": 1}
    assert passports.last_seen == 2500  # the unhelpful verdict is the latest sign of trouble
    assert passports.answer_ids == ("pp/renew",)
    # The wording asked twice is the most central; others follow, each spelled once.
    assert passports.representative == "Renew passport online?"
    assert sorted(passports.examples) == sorted([
        "how do I renew my passport online", "can I renew a passport on the internet",
        "how do I renew my passport on the web",
    ])  # fmt: skip
    assert weather == ReportGroup(
        representative="what's the weather in Paris tomorrow", count=1, examples=(),
        reasons={"fallback": 1, "unhelpful": 0}, last_seen=2600, answer_ids=(),
        wordings=("what's the weather in Paris tomorrow",),
    )  # fmt: skip


def test_threshold_decides_how_alike_questions_must_be(
    journal: Journal, clock: Clock, embedder: Embedder
) -> None:
    # Same topic, different animals: cosine about 0.68 with all-MiniLM-L6-v2.
    for at, question in enumerate(
        [
            "is my cat allowed on the plane",
            "can I bring my dog on a flight",
            "can pets fly in the cabin",
        ]
    ):
        ask(journal, clock, 1000 + at, f"s{at}", question)
    assert len(unanswered_report(journal, embedder, threshold=0.75)) == 3
    loose = unanswered_report(journal, embedder, threshold=0.6)
    assert [g.count for g in loose] == [3]


# --- plumbing, with the fake embedder ----------------------------------------------------------


def test_handled_wordings_leave_the_report_until_they_fail_again(
    journal: Journal, clock: Clock
) -> None:
    embedder = FakeEmbedder()
    ask(journal, clock, 1000, "s1", "is it raining?")
    ask(journal, clock, 1100, "s2", "how do I renew")
    clock.now = 1200
    journal.triage.handle(
        [], representative="Is it  RAINING?", collection=None, editor="e", how="dismissed"
    )
    assert [g.representative for g in unanswered_report(journal, embedder)] == ["how do I renew"]
    ask(journal, clock, 1300, "s3", "is it raining?")  # failing again: back, with that failure
    (rain,) = [g for g in unanswered_report(journal, embedder) if "rain" in g.representative]
    assert (rain.count, rain.last_seen) == (1, 1300)


def test_readers_comments_on_unhelpful_answers_come_with_their_group(
    journal: Journal, clock: Clock
) -> None:
    ask(journal, clock, 1000, "s1", "renew online?", "answer", "pp/renew")
    clock.now = 1010
    journal.add_feedback(session_id="s1", answer_id="pp/renew", helpful=False,
                         comment="it does not say if it works online")  # fmt: skip
    (group,) = unanswered_report(journal, FakeEmbedder())
    assert group.comments == ("it does not say if it works online",)
    assert group.wordings == ("renew online?",)


def pick(journal: Journal, clock: Clock, at: float, session: str, said: str, entry: str) -> None:
    clock.now = at
    journal.log_question(
        session_id=session, question=said, collection="pp", decision="answer", confidence=1.0,
        answer_id=entry, latency_ms=1.0, via="clarification",
    )  # fmt: skip


def test_clarify_picks_are_grouped_by_the_entry_picked_most_picked_first(
    journal: Journal, clock: Clock
) -> None:
    for at, session, asked, said, entry in [
        (1000, "s1", "renew or replace?", "2", "pp/renew"),
        (1010, "s2", "Renew or  replace?", "the renewal one", "pp/renew"),
        (1020, "s3", "papers?", "1", "pp/lost"),
        (1030, "s4", "renew it how?", "1", "pp/renew"),
    ]:
        ask(journal, clock, at, session, asked, "clarify")
        pick(journal, clock, at + 1, session, said, entry)
    renew, lost = picks_report(journal)
    assert (renew.entry_id, renew.count, renew.last_seen) == ("pp/renew", 3, 1031)
    assert renew.wordings == (("renew or replace?", 2), ("renew it how?", 1))
    assert (lost.entry_id, lost.wordings, lost.collection) == ("pp/lost", (("papers?", 1),), "pp")
    assert picks_report(journal, since=1025) == [
        type(renew)("pp", "pp/renew", 1, (("renew it how?", 1),), 1031)
    ]
    clock.now = 1100  # an editor taught the renewal wording: its picks so far leave the list
    journal.triage.handle(
        ["renew it how?"], representative="renew or replace?", collection="pp", editor="e",
        how="taught", change_id="c1",
    )  # fmt: skip
    assert [g.entry_id for g in picks_report(journal)] == ["pp/lost"]


def test_unhelpful_feedback_counts_the_question_it_judged_once(
    journal: Journal, clock: Clock
) -> None:
    ask(journal, clock, 1000, "s", "opening hours of the museum", "answer", "museum/hours")
    ask(journal, clock, 1100, "s", "opening hours on sunday", "answer", "museum/hours")
    judge(journal, clock, 1200, "s", "museum/hours", helpful=False)
    judge(journal, clock, 1300, "s", "museum/hours", helpful=False)  # clicked twice
    judge(journal, clock, 1400, "s", "never/logged", helpful=False)  # nothing to join: skipped
    ask(journal, clock, 1500, "s", "opening hours on monday", "answer", "museum/hours")  # later

    groups = unanswered_report(journal, FakeEmbedder(), threshold=0.3)

    assert len(groups) == 1
    assert groups[0].representative == "opening hours on sunday"
    assert (groups[0].count, groups[0].reasons) == (1, {"fallback": 0, "unhelpful": 1})
    assert groups[0].last_seen == 1300


def test_groups_come_biggest_first_with_at_most_five_examples(
    journal: Journal, clock: Clock
) -> None:
    ask(journal, clock, 900, "x", "zebra crossing rules")
    for n in range(8):
        ask(journal, clock, 1000 + n, f"s{n}", f"refund policy for order {n}")
    groups = unanswered_report(journal, FakeEmbedder(), threshold=0.5)
    assert [g.count for g in groups] == [8, 1]
    assert len(groups[0].examples) == 5
    assert groups[0].representative not in groups[0].examples
    assert groups[1].representative == "zebra crossing rules"


def test_empty_journal_gives_an_empty_report(journal: Journal) -> None:
    assert unanswered_report(journal, FakeEmbedder()) == []
    assert "No questions" in render_report([])


def test_threshold_out_of_range_is_refused(journal: Journal) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        unanswered_report(journal, FakeEmbedder(), threshold=0)


# --- rendering ---------------------------------------------------------------------------------


def test_render_report_prints_groups_in_order_with_reasons() -> None:
    groups = [
        ReportGroup("how do I [bold]renew[/bold]?", 2, ("renew online",),
                    {"fallback": 1, "unhelpful": 1}, 1714564800.0, ("pp/renew",)),
        ReportGroup("weather in Paris", 1, (), {"fallback": 1, "unhelpful": 0}, 1714564800.0),
    ]  # fmt: skip
    text = render_report(groups, width=120)
    assert "3 unanswered questions in 2 groups" in text
    assert "how do I [bold]renew[/bold]?" in text  # a reader's text is never markup
    assert "· renew online" in text
    assert text.index("renew[/bold]") < text.index("weather in Paris")
    assert "fallback 1" in text and "unhelpful 1" in text and "pp/renew" in text
    assert "unhelpful 0" not in text
    assert "\x1b[" not in text  # plain text, fit for a file or a pipe


class CountingEmbedder(FakeEmbedder):
    """Remembers how many texts each call encoded."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        return super().encode(texts)


def test_only_the_most_frequent_wordings_are_grouped_and_the_report_says_so(
    journal: Journal, clock: Clock
) -> None:
    # Many distinct one-off wordings (anyone can fill the log) beside three frequent ones.
    for k in range(50):
        ask(journal, clock, 1000 + k, f"s{k}", f"one-off question number {k} about zebra{k}")
    for count, question in ((5, "how do I cook rice?"), (4, "where is the station?"),
                            (3, "can I bring my dog?")):  # fmt: skip
        for k in range(count):
            ask(journal, clock, 2000 + k, f"f{k}", question)
    embedder = CountingEmbedder()
    groups = unanswered_report(journal, embedder, threshold=0.99, max_wordings=3)
    assert embedder.calls == [3]  # clustering (quadratic) only ever sees the bound
    assert [g.representative for g in groups] == [
        "how do I cook rice?", "where is the station?", "can I bring my dog?",
    ]  # fmt: skip
    assert (groups.left_out_wordings, groups.left_out_questions) == (50, 50)
    text = render_report(groups, width=120)
    assert "Not grouped: 50 rarer questions in 50 other wordings" in text
    assert "only the 3 most frequent wordings are grouped" in text
