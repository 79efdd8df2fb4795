"""What the editors' desk shows, from the journal and the change logs: the overview's charts
with the tables of their numbers, and the rows of its history tables (changes, dismissals)."""

from __future__ import annotations

from dataclasses import dataclass

from askbot.corpus.taught import Change
from askbot.store import Handling
from askbot.web.charts import data_table, histogram, stacked_bars

DECISION_COLOURS = {"answer": "#1a7f37", "clarify": "#9a6700", "fallback": "#cf222e"}
FEEDBACK_COLOURS = {"helpful": "#1a7f37", "unhelpful": "#cf222e"}


def charts(
    decisions: list[tuple[str, dict[str, int]]],
    feedback: list[tuple[str, dict[str, int]]],
    confidence: list[tuple[float, float, int]],
) -> list[tuple[str, str, str]]:
    """Each chart's title, SVG and the table of its numbers."""
    days = [day for day, _ in decisions]
    bins = [f"{low:.1f}–{high:.1f}" for low, high, _ in confidence]
    confidence_title = "Confidence of askbot's replies"
    return [
        _daily("Questions per day, by decision", days, decisions, DECISION_COLOURS),
        _daily("Feedback per day", days, feedback, FEEDBACK_COLOURS),
        (
            confidence_title,
            histogram(confidence_title, confidence, "#0969da"),
            data_table(
                confidence_title,
                ["confidence", "questions"],
                [[label, count] for label, (_, _, count) in zip(bins, confidence, strict=True)],
            ),
        ),
    ]


def _daily(
    title: str, days: list[str], counts: list[tuple[str, dict[str, int]]], colours: dict[str, str]
) -> tuple[str, str, str]:
    """A stacked chart of daily counts per series, and its table."""
    series = {name: [day_counts[name] for _, day_counts in counts] for name in colours}
    rows: list[list[str | int]] = [
        [day, *(series[name][i] for name in colours)] for i, day in enumerate(days)
    ]
    return (
        title,
        stacked_bars(title, days, series, colours),
        data_table(title, ["day", *colours], rows),
    )


def totals(
    decisions: list[tuple[str, dict[str, int]]], feedback: list[tuple[str, dict[str, int]]]
) -> dict[str, int]:
    """The period's totals: questions by decision, verdicts by kind, and all questions."""
    totals = {name: sum(counts[name] for _, counts in decisions) for name in DECISION_COLOURS}
    totals |= {name: sum(counts[name] for _, counts in feedback) for name in FEEDBACK_COLOURS}
    totals["questions"] = sum(totals[name] for name in DECISION_COLOURS)
    return totals


@dataclass(frozen=True, slots=True)
class _Done:
    """One row of the desk's history tables: a change taught, or a group dismissed."""

    id: str | int
    at: float
    by: str
    what: str
    undo_label: str
    undone_at: float | None
    undone_by: str | None


def changed(change: Change) -> _Done:
    """A taught change as a history row."""
    what = (
        f"“{change.question}” as a wording of {change.entry_id}"
        if change.action == "alternate"
        else f"new entry “{change.question}”"
    )
    return _Done(
        change.id, change.made_at, change.by, f"{what} in {change.collection}",
        f"Undo: {change.question}", change.undone_at, change.undone_by,
    )  # fmt: skip


def dismissed_row(handling: Handling) -> _Done:
    """A dismissal as a history row."""
    n = len(handling.wordings)
    where = f" in {handling.collection}" if handling.collection else ""
    return _Done(
        handling.id, handling.handled_at, handling.editor,
        f"“{handling.representative}” ({n} wording{'s' * (n != 1)}){where}",
        f"Undo dismissal: {handling.representative}", handling.undone_at, handling.undone_by,
    )  # fmt: skip
