"""The counts an editors' overview reads from the journal: questions per day by decision,
verdicts per day, and how confident askbot's replies were, on SQLite and PostgreSQL alike.

``Journal`` has them as methods (``OverviewCounts`` is its base): each is one round trip of
indexed range counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from askbot.store.database import Database

DECISIONS = ("answer", "clarify", "fallback")
DAY_SECONDS = 86400.0  # Unix time has no leap seconds: every UTC day starts at a multiple of it
# A year and a leap day; also keeps the overview's UNION ALL under SQLite's 500 SELECTs.
MAX_OVERVIEW_DAYS = 366
MAX_CONFIDENCE_BINS = 100


class OverviewCounts:
    """The overview's counts over the journal's database (``Journal`` sets ``_db`` and
    ``_clock``, and ``flush`` writes its buffered questions first)."""

    _db: Database
    _clock: Callable[[], float]

    def flush(self) -> None:
        """Write buffered questions (the journal's own)."""

    def daily_decisions(
        self, *, days: int, collection: str | None = None, now: float | None = None
    ) -> list[tuple[str, dict[str, int]]]:
        """Questions per decision on each of the last ``days`` UTC days, oldest first and today
        (by ``now``, the clock's by default) last, empty days with zeros:
        ``[("2026-12-01", {"answer": 3, "clarify": 0, "fallback": 1}), ...]``."""
        spans = self._days(days, now)
        where, params = ("", []) if collection is None else (" AND collection = ?", [collection])
        counts = self._count_in_windows("questions", "asked_at", "decision", spans, where, params)
        return [
            (_iso_day(start), {decision: n.get(decision, 0) for decision in DECISIONS})
            for (start, _), n in zip(spans, counts, strict=True)
        ]

    def daily_feedback(
        self, *, days: int, collection: str | None = None, now: float | None = None
    ) -> list[tuple[str, dict[str, int]]]:
        """Helpful and unhelpful verdicts on each of the last ``days`` UTC days, as
        ``daily_decisions`` counts questions; a collection's are those on its answers."""
        spans = self._days(days, now)
        where, params = ("", []) if collection is None else _answers_of(collection)
        counts = self._count_in_windows("feedback", "created_at", "helpful", spans, where, params)
        return [
            (_iso_day(start), {"helpful": n.get(1, 0), "unhelpful": n.get(0, 0)})
            for (start, _), n in zip(spans, counts, strict=True)
        ]

    def confidence_histogram(
        self, *, days: int, collection: str | None = None, now: float | None = None, bins: int = 10
    ) -> list[tuple[float, float, int]]:
        """How many questions of the last ``days`` UTC days had a confidence in each of ``bins``
        equal bins over [0, 1]: ``(low, high, count)`` for ``low <= confidence < high``, the
        last bin holding 1.0 too."""
        if not 1 <= bins <= MAX_CONFIDENCE_BINS:
            raise ValueError(f"bins must be between 1 and {MAX_CONFIDENCE_BINS}")
        spans = self._days(days, now)
        edges = [k / bins for k in range(bins + 1)]  # not a running sum: 1.0 ends exactly
        # The last upper bound is the double after 1.0: "< it" is "<= 1.0".
        highs = [*edges[1:-1], math.nextafter(1.0, 2.0)]
        where = " AND asked_at >= ? AND asked_at < ?"
        params: list[Any] = [spans[0][0], spans[-1][1]]
        if collection is not None:
            where += " AND collection = ?"
            params.append(collection)
        windows = list(zip(edges[:-1], highs, strict=True))
        counts = self._count_in_windows("questions", "confidence", None, windows, where, params)
        return [
            (low, high, n.get(None, 0))
            for low, high, n in zip(edges[:-1], edges[1:], counts, strict=True)
        ]

    def _days(self, days: int, now: float | None) -> list[tuple[float, float]]:
        """The ``[start, end)`` Unix times of the last ``days`` UTC days, oldest first."""
        if not 1 <= days <= MAX_OVERVIEW_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_OVERVIEW_DAYS}")
        today = (self._clock() if now is None else now) // DAY_SECONDS * DAY_SECONDS
        starts = [today - (days - 1 - n) * DAY_SECONDS for n in range(days)]
        return [(start, start + DAY_SECONDS) for start in starts]

    def _count_in_windows(  # table and column names are the caller's, never input
        self, table: str, column: str, group: str | None,
        windows: Sequence[tuple[float, float]], where: str, params: Sequence[Any],
    ) -> list[dict[Any, int]]:  # fmt: skip
        """For each ``[low, high)`` window of ``column``, the rows of ``table`` also matching
        ``where`` counted by ``group`` (under the key None without one), in one round trip: a
        ``UNION ALL`` of indexed range counts. Ranges, not ``column`` rounded to a window number
        in SQL, where a cast to integer truncates in SQLite but rounds in PostgreSQL."""
        self.flush()
        key, grouping = ("NULL", "") if group is None else (group, f" GROUP BY {group}")
        sql = " UNION ALL ".join(
            f"SELECT {n}, {key}, COUNT(*) FROM {table} "
            f"WHERE {column} >= ? AND {column} < ?{where}{grouping}"
            for n in range(len(windows))
        )
        args = [arg for low, high in windows for arg in (low, high, *params)]
        counts: list[dict[Any, int]] = [{} for _ in windows]
        for n, value, count in self._db.fetchall(sql, args):
            counts[n][value] = int(count)
        return counts


def _iso_day(start: float) -> str:
    """The UTC date, as ``YYYY-MM-DD``, of the day that began at ``start``."""
    return datetime.fromtimestamp(start, UTC).date().isoformat()


def _answers_of(collection: str) -> tuple[str, list[Any]]:
    """The condition on ``answer_id`` (``<collection>/<hash>``) that keeps a collection's."""
    # "!" escapes LIKE's wildcards the same way in both databases (PostgreSQL's default escape,
    # a backslash, is none in SQLite); SQLite's LIKE ignores ASCII case, moot on lowercase slugs.
    escaped = collection.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return " AND answer_id LIKE ? ESCAPE '!'", [escaped + "/%"]
