"""The journal's counts for the editors' overview (questions per day by decision, feedback per
day, the confidence histogram) come out the same on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from askbot.store import Journal, open_database
from tests.store.conftest import Clock

DAY = 86400.0
MIDNIGHT = datetime(2026, 12, 10, tzinfo=UTC).timestamp()  # the start of "today" in these tests


@pytest.fixture
def clock() -> Clock:
    return Clock(MIDNIGHT)


@pytest.fixture
def journal(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Journal]:
    journal = Journal(open_database(database_url, tmp_path / "x"), clock=clock, flush_seconds=60)
    try:
        yield journal
    finally:
        journal.close()


def ask(
    journal: Journal,
    clock: Clock,
    at: float,
    decision: str,
    collection: str | None = "faq",
    confidence: float = 0.5,
) -> None:
    clock.now = at
    journal.log_question(
        session_id="s", question="q", collection=collection, decision=decision,
        confidence=confidence, answer_id=None, latency_ms=1.0,
    )  # fmt: skip


def judge(journal: Journal, clock: Clock, at: float, answer_id: str, helpful: bool) -> None:
    clock.now = at
    session = f"s{at}"  # one verdict per (session, answer): a session per verdict here
    journal.add_feedback(session_id=session, answer_id=answer_id, helpful=helpful, comment=None)


def test_questions_are_counted_per_utc_day_and_decision_with_empty_days_as_zeros(
    journal: Journal, clock: Clock
) -> None:
    ask(journal, clock, MIDNIGHT - 3 * DAY + 5, "answer")  # three days ago: outside 3 days
    ask(journal, clock, MIDNIGHT - 2 * DAY, "answer")  # exactly at midnight: that day's
    ask(journal, clock, MIDNIGHT - 2 * DAY + 100, "clarify")
    ask(journal, clock, MIDNIGHT - 1e-3, "fallback")  # yesterday's last moment
    ask(journal, clock, MIDNIGHT + 0.5 * DAY, "answer", collection="other")
    ask(journal, clock, MIDNIGHT + DAY - 1, "fallback", collection=None)
    ask(journal, clock, MIDNIGHT + DAY, "answer")  # tomorrow: not counted

    now = MIDNIGHT + 0.75 * DAY
    assert journal.daily_decisions(days=3, now=now) == [
        ("2026-12-08", {"answer": 1, "clarify": 1, "fallback": 0}),
        ("2026-12-09", {"answer": 0, "clarify": 0, "fallback": 1}),
        ("2026-12-10", {"answer": 1, "clarify": 0, "fallback": 1}),
    ]
    assert journal.daily_decisions(days=4, collection="faq", now=now) == [
        ("2026-12-07", {"answer": 1, "clarify": 0, "fallback": 0}),
        ("2026-12-08", {"answer": 1, "clarify": 1, "fallback": 0}),
        ("2026-12-09", {"answer": 0, "clarify": 0, "fallback": 1}),
        ("2026-12-10", {"answer": 0, "clarify": 0, "fallback": 0}),
    ]
    assert journal.daily_decisions(days=1, collection="nobody", now=now) == [
        ("2026-12-10", {"answer": 0, "clarify": 0, "fallback": 0})
    ]


def test_the_days_end_today_by_the_journals_clock(journal: Journal, clock: Clock) -> None:
    ask(journal, clock, MIDNIGHT + 10, "clarify")
    clock.now = MIDNIGHT + DAY  # tomorrow's first second: today is 2026-12-11
    assert journal.daily_decisions(days=2) == [
        ("2026-12-10", {"answer": 0, "clarify": 1, "fallback": 0}),
        ("2026-12-11", {"answer": 0, "clarify": 0, "fallback": 0}),
    ]


def test_questions_not_yet_flushed_are_counted(journal: Journal, clock: Clock) -> None:
    ask(journal, clock, MIDNIGHT + 1, "answer")  # buffered for up to 60 seconds
    ((_, counts),) = journal.daily_decisions(days=1, now=MIDNIGHT + 2)
    assert counts["answer"] == 1


def test_feedback_is_counted_per_day_and_by_the_collection_of_its_answer(
    journal: Journal, clock: Clock
) -> None:
    judge(journal, clock, MIDNIGHT - DAY, "faq/aa11", helpful=True)  # midnight: yesterday's
    judge(journal, clock, MIDNIGHT - 1, "faq/bb22", helpful=False)
    judge(journal, clock, MIDNIGHT + 60, "faq/aa11", helpful=True)
    judge(journal, clock, MIDNIGHT + 61, "faq-old/cc33", helpful=False)  # a prefix, not "faq"
    judge(journal, clock, MIDNIGHT + 62, "billing/dd44", helpful=True)
    judge(journal, clock, MIDNIGHT - 2 * DAY + 5, "faq/ee55", helpful=True)  # before the days

    now = MIDNIGHT + 3600
    assert journal.daily_feedback(days=2, now=now) == [
        ("2026-12-09", {"helpful": 1, "unhelpful": 1}),
        ("2026-12-10", {"helpful": 2, "unhelpful": 1}),
    ]
    assert journal.daily_feedback(days=2, collection="faq", now=now) == [
        ("2026-12-09", {"helpful": 1, "unhelpful": 1}),
        ("2026-12-10", {"helpful": 1, "unhelpful": 0}),
    ]
    assert journal.daily_feedback(days=2, collection="billing", now=now)[1][1] == {
        "helpful": 1, "unhelpful": 0
    }  # fmt: skip


def test_like_wildcards_in_a_collection_match_only_themselves(
    journal: Journal, clock: Clock
) -> None:
    judge(journal, clock, MIDNIGHT + 1, "a_b/aa11", helpful=True)
    judge(journal, clock, MIDNIGHT + 2, "axb/bb22", helpful=True)
    judge(journal, clock, MIDNIGHT + 3, "a%/cc33", helpful=False)
    judge(journal, clock, MIDNIGHT + 4, "a!/dd44", helpful=False)
    counts = {
        collection: journal.daily_feedback(days=1, collection=collection, now=MIDNIGHT + 9)[0][1]
        for collection in ("a_b", "a%", "a!", "a")
    }
    assert counts == {
        "a_b": {"helpful": 1, "unhelpful": 0},
        "a%": {"helpful": 0, "unhelpful": 1},
        "a!": {"helpful": 0, "unhelpful": 1},
        "a": {"helpful": 0, "unhelpful": 0},
    }


def test_the_confidence_histogram_puts_each_edge_in_the_bin_it_opens_and_1_in_the_last(
    journal: Journal, clock: Clock
) -> None:
    for confidence in (0.0, 0.05, 0.1, 0.3, 0.7, 0.999, 1.0):
        ask(journal, clock, MIDNIGHT + 10, "answer", confidence=confidence)
    ask(journal, clock, MIDNIGHT + 11, "fallback", collection="other", confidence=1.0)
    ask(journal, clock, MIDNIGHT - 5 * DAY, "fallback", confidence=0.0)  # before the days

    histogram = journal.confidence_histogram(days=2, now=MIDNIGHT + 20)
    assert [(low, high) for low, high, _ in histogram] == [
        (pytest.approx(k / 10), pytest.approx((k + 1) / 10)) for k in range(10)
    ]
    assert histogram[0][0] == 0.0 and histogram[-1][1] == 1.0
    assert [n for _, _, n in histogram] == [2, 1, 0, 1, 0, 0, 0, 1, 0, 3]
    by_collection = journal.confidence_histogram(days=2, collection="faq", now=MIDNIGHT + 20)
    assert [n for _, _, n in by_collection] == [2, 1, 0, 1, 0, 0, 0, 1, 0, 2]
    assert journal.confidence_histogram(days=1, now=MIDNIGHT + 20, bins=2) == [
        (0.0, 0.5, 4), (0.5, 1.0, 4)
    ]  # fmt: skip
    assert journal.confidence_histogram(days=7, now=MIDNIGHT + 20, bins=1) == [(0.0, 1.0, 9)]


def test_out_of_range_days_and_bins_are_refused(journal: Journal) -> None:
    for days in (0, 367):
        with pytest.raises(ValueError, match="days must be between 1 and 366"):
            journal.daily_decisions(days=days)
        with pytest.raises(ValueError, match="days must be between 1 and 366"):
            journal.daily_feedback(days=days)
    with pytest.raises(ValueError, match="bins must be between 1 and 100"):
        journal.confidence_histogram(days=7, bins=0)


def test_a_year_of_days_is_one_query_that_both_databases_accept(
    journal: Journal, clock: Clock
) -> None:
    ask(journal, clock, MIDNIGHT - 365 * DAY, "clarify")  # the first of 366 days
    decisions = journal.daily_decisions(days=366, now=MIDNIGHT)
    assert len(decisions) == 366 and decisions[-1][0] == "2026-12-10"
    assert decisions[0] == ("2025-12-10", {"answer": 0, "clarify": 1, "fallback": 0})
    assert sum(counts["clarify"] for _, counts in decisions) == 1
    assert len(journal.daily_feedback(days=366, now=MIDNIGHT)) == 366
