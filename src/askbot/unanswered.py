"""The editors' report: questions askbot could not answer well, grouped by meaning.

A question lands in the report when it ended in ``fallback``, or when a reader marked its answer
unhelpful, unless an editor has since taught or dismissed its wording (``askbot.store.triage``).
Similar questions are grouped (agglomerative clustering on cosine distance), and the biggest
groups come first: each is a candidate for a new FAQ entry, or an alternate phrasing of an
existing one. ``picks_report`` lists the other signal: readers who, asked "did you mean…?",
picked an entry, which tells what their own words meant.

>>> groups = unanswered_report(journal, embedder, since=parse_since("7d"))  # doctest: +SKIP
>>> print(render_report(groups))  # doctest: +SKIP
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table
from rich.text import Text

from askbot.embed import Embedder, Vectors
from askbot.errors import ConfigError
from askbot.retrieve import Decision
from askbot.store import ClarifyPick, Journal, QuestionRecord, normalise, wording_key

FALLBACK = "fallback"
UNHELPFUL = "unhelpful"
MAX_EXAMPLES = 5
# Distinct wordings grouped at most: clustering needs memory and time in their square, and the
# question log is written by anyone, so only the most frequent (then most recent) are grouped.
MAX_WORDINGS = 2000

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class ReportGroup:
    """Questions that mean about the same thing, and why askbot failed them."""

    representative: str  # the most central question of the group
    count: int  # questions asked (each logged question once, whatever its reasons)
    examples: tuple[str, ...]  # up to MAX_EXAMPLES other phrasings, most frequent first
    reasons: Mapping[str, int]  # {"fallback": n, "unhelpful": m}; one question may count in both
    last_seen: float  # Unix time of the latest fallback or unhelpful verdict in the group
    answer_ids: tuple[str, ...] = ()  # answers judged unhelpful, most often first
    collection: str | None = None  # the collection most of its questions were asked of
    wordings: tuple[str, ...] = ()  # every distinct wording in the group, most frequent first
    comments: tuple[str, ...] = ()  # readers' comments on the unhelpful answers, newest first


class Report(list[ReportGroup]):
    """The groups, biggest first, and how much the ``MAX_WORDINGS`` bound left out."""

    grouped_wordings: int = 0
    left_out_wordings: int = 0
    left_out_questions: int = 0


@dataclass
class _Item:
    """One logged question that failed, with every reason it failed."""

    record: QuestionRecord
    reasons: set[str] = field(default_factory=set)
    last_seen: float = 0.0
    unhelpful_answers: list[str] = field(default_factory=list)
    comments: list[tuple[float, str]] = field(default_factory=list)


def parse_since(text: str, *, now: float | None = None) -> float:
    """Unix time from ``7d``, ``24h``, ``30m``, ``90s``, ``2w`` (ago) or an ISO date/time.

    An ISO value without a time zone is local time.

    >>> parse_since("24h", now=100_000.0)
    13600.0
    """
    span = _SPAN.match(text)
    if span:
        amount, unit = float(span.group(1)), span.group(2).lower()
        return (time.time() if now is None else now) - amount * _UNIT_SECONDS[unit]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"cannot read {text!r} as a time: use 7d, 24h, 30m or an ISO date like 2024-05-01"
        ) from None
    # A naive datetime's timestamp() is taken in local time, which is what a person typed.
    return moment.timestamp()


def unanswered_report(
    journal: Journal,
    embedder: Embedder,
    *,
    since: float | None = None,
    threshold: float = 0.75,
    max_wordings: int = MAX_WORDINGS,
) -> Report:
    """Fallback and unhelpfully answered questions since ``since``, grouped, biggest first.

    ``threshold`` is the cosine similarity at which questions count as the same: groups merge
    while the average similarity between their members stays at or above it. Only the
    ``max_wordings`` most frequent distinct wordings are grouped; the report counts the rest.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"similarity threshold must be in (0, 1], got {threshold}")
    items = _failed_questions(journal, since, journal.triage.hidden_until())
    if not items:
        return Report()

    # Embed and cluster each distinct wording once, weighted by how often it was asked.
    by_text: dict[str, list[_Item]] = {}
    for item in items:
        by_text.setdefault(normalise(item.record.question), []).append(item)
    ranked = sorted(
        by_text, key=lambda t: (-len(by_text[t]), -max(i.last_seen for i in by_text[t]), t)
    )
    texts, left_out = ranked[:max_wordings], ranked[max_wordings:]
    vectors = embedder.encode([by_text[text][0].record.question for text in texts])
    weights = np.array([len(by_text[text]) for text in texts], dtype=np.float32)
    labels = _cluster(vectors, 1.0 - threshold)

    groups = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        groups.append(
            _group([by_text[texts[i]] for i in members], vectors[members], weights[members])
        )
    groups.sort(key=lambda g: (-g.count, -g.last_seen, g.representative))
    report = Report(groups)
    report.grouped_wordings = len(texts)
    report.left_out_wordings = len(left_out)
    report.left_out_questions = sum(len(by_text[text]) for text in left_out)
    return report


def _failed_questions(
    journal: Journal, since: float | None, hidden_until: Mapping[str, float]
) -> list[_Item]:
    """Each failed question once with its reasons, less the failures editors have handled."""

    def handled(question: str, at: float) -> bool:
        return at <= hidden_until.get(wording_key(question), -1.0)

    items: dict[int, _Item] = {}
    for fallback in journal.questions(since=since, decisions={Decision.FALLBACK.value}):
        if handled(fallback.question, fallback.asked_at):
            continue
        item = items.setdefault(fallback.id, _Item(fallback))
        item.reasons.add(FALLBACK)
        item.last_seen = max(item.last_seen, fallback.asked_at)
    for verdict in journal.feedback(since=since, helpful=False):
        # Feedback names a session and an answer; the question it judged is the latest one
        # in that session that got that answer. Feedback on nothing logged is skipped.
        record = journal.answered_question(
            session_id=verdict.session_id, answer_id=verdict.answer_id, before=verdict.created_at
        )
        if record is None or handled(record.question, verdict.created_at):
            continue
        item = items.setdefault(record.id, _Item(record))
        item.reasons.add(UNHELPFUL)
        item.last_seen = max(item.last_seen, verdict.created_at)
        item.unhelpful_answers.append(verdict.answer_id)
        if verdict.comment:
            item.comments.append((verdict.created_at, verdict.comment))
    return list(items.values())


def _cluster(vectors: Vectors, distance_threshold: float) -> npt.NDArray[np.intp]:
    if len(vectors) < 2:  # scikit-learn needs two samples to cluster
        return np.zeros(len(vectors), dtype=np.intp)
    from sklearn.cluster import AgglomerativeClustering

    # Average linkage: a group is kept together by its members' mean similarity, so one
    # borderline question cannot chain two unrelated topics the way single linkage would.
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance_threshold
    )
    return np.asarray(model.fit_predict(vectors), dtype=np.intp)


def _group(
    wordings: Sequence[list[_Item]], vectors: Vectors, weights: npt.NDArray[np.float32]
) -> ReportGroup:
    # Most central wording: highest occurrence-weighted similarity to the whole group
    # (vectors are unit length, so a dot product is a cosine).
    centrality = vectors @ (weights @ vectors)
    order = sorted(
        range(len(wordings)),
        key=lambda i: (-len(wordings[i]), -max(it.last_seen for it in wordings[i])),
    )
    centre = int(np.argmax(centrality))
    items = [item for same in wordings for item in same]
    reasons = Counter(reason for item in items for reason in item.reasons)
    answers = Counter(answer for item in items for answer in item.unhelpful_answers)
    collections = Counter(item.record.collection for item in items)
    comments = sorted((c for item in items for c in item.comments), reverse=True)
    return ReportGroup(
        representative=_display(wordings[centre]),
        count=len(items),
        examples=tuple(_display(wordings[i]) for i in order if i != centre)[:MAX_EXAMPLES],
        reasons={FALLBACK: reasons[FALLBACK], UNHELPFUL: reasons[UNHELPFUL]},
        last_seen=max(item.last_seen for item in items),
        answer_ids=tuple(answer for answer, _ in answers.most_common()),
        collection=collections.most_common(1)[0][0],
        wordings=tuple(_display(wordings[i]) for i in order),
        comments=tuple(comment for _, comment in comments),
    )


def _display(same: list[_Item]) -> str:
    return _spelling([item.record.question for item in same])


def _spelling(questions: Sequence[str]) -> str:
    """The spelling readers used most often for one wording (ties: the first seen)."""
    return Counter(" ".join(question.split()) for question in questions).most_common(1)[0][0]


@dataclass(frozen=True, slots=True)
class PickGroup:
    """Readers who, asked "did you mean…?", picked the same entry: what their words meant."""

    collection: str | None
    entry_id: str
    count: int  # picks
    wordings: tuple[tuple[str, int], ...]  # what they had asked, and how often, most first
    last_seen: float


def picks_report(journal: Journal, *, since: float | None = None) -> list[PickGroup]:
    """Clarify picks since ``since`` by picked entry, most picked first, less the wordings
    editors have taught or dismissed since."""
    hidden_until = journal.triage.hidden_until()
    by_entry: dict[tuple[str | None, str], dict[str, list[ClarifyPick]]] = {}
    for pick in journal.clarify_picks(since=since):
        if pick.asked_at <= hidden_until.get(wording_key(pick.question), -1.0):
            continue
        same_entry = by_entry.setdefault((pick.collection, pick.entry_id), {})
        same_entry.setdefault(normalise(pick.question), []).append(pick)
    groups = []
    for (collection, entry_id), by_text in by_entry.items():
        ranked = sorted(
            by_text.values(), key=lambda same: (-len(same), -max(p.asked_at for p in same))
        )
        groups.append(
            PickGroup(
                collection=collection,
                entry_id=entry_id,
                count=sum(len(same) for same in ranked),
                wordings=tuple(
                    (_spelling([p.question for p in same]), len(same)) for same in ranked
                ),
                last_seen=max(p.asked_at for same in ranked for p in same),
            )
        )
    groups.sort(key=lambda g: (-g.count, -g.last_seen, g.entry_id))
    return groups


def render_report(groups: Sequence[ReportGroup], *, width: int = 100) -> str:
    """The report as a plain-text table, biggest group first, ready to print."""
    if not groups:
        return "No questions ended in fallback or got unhelpful feedback in this period.\n"
    total = sum(group.count for group in groups)
    table = Table(
        title=f"{total} unanswered question{'s' * (total != 1)} in {len(groups)} "
        f"group{'s' * (len(groups) != 1)}",
        show_lines=True,
    )
    table.add_column("#", justify="right")
    table.add_column("asked", justify="right")
    table.add_column("question (and other phrasings)", ratio=1)
    table.add_column("why")
    table.add_column("last seen")
    for rank, group in enumerate(groups, 1):
        # Text objects, not markup strings: a reader's "[bold]" must print as typed.
        question = Text(group.representative)
        for example in group.examples:
            question.append(f"\n  · {example}")
        why = [f"{reason} {n}" for reason, n in group.reasons.items() if n]
        why += [f"→ {answer}" for answer in group.answer_ids[:3]]
        table.add_row(
            str(rank), str(group.count), question, Text("\n".join(why)), _when(group.last_seen)
        )
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, highlight=False).print(table)
    if isinstance(groups, Report) and groups.left_out_wordings:
        buffer.write(
            f"Not grouped: {groups.left_out_questions} rarer question"
            f"{'s' * (groups.left_out_questions != 1)} in {groups.left_out_wordings} other "
            f"wording{'s' * (groups.left_out_wordings != 1)}: only the "
            f"{groups.grouped_wordings} most frequent wordings are grouped.\n"
        )
    return buffer.getvalue()


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")
