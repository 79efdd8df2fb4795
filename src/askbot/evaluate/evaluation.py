"""Running a ranker over an evaluation set: per-query records and the metric dict.

``evaluate`` drives a ``Ranker`` over a set's queries (in batches, with a progress bar) and
computes the metric dict; ``evaluate_factory`` also runs the AUROC-sim protocol on sets without
out-of-scope queries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from askbot.evaluate.datasets import EvalSet, hold_out
from askbot.evaluate.metrics import (
    Metrics,
    compute_metrics,
    decision_correct,
    judge,
)
from askbot.evaluate.plots import Outcomes
from askbot.evaluate.ranker import Ranker, RankerFactory, Ranking

BATCH_SIZE = 256
# Wrong decisions listed per kind in report.md (most confident first); the records file has all.
MISTAKES_SHOWN = 20


@dataclass(frozen=True)
class QueryRecord:
    """One query's labels and what the ranker returned for it."""

    query: str
    relevant: list[str]
    split: str | None
    oos_type: str | None
    lang: str | None
    ids: list[str]
    scores: list[float]
    confidence: float
    decision: str | None
    offered: list[str] | None


@dataclass(frozen=True)
class Evaluation:
    """Metrics and per-query records of one ranker on one set."""

    ranker: str
    dataset: str
    calibrated: bool
    metrics: Metrics
    records: list[QueryRecord]

    def by_language(self) -> dict[str, Metrics]:
        """The metrics of each language's queries, when the queries carry a ``lang``."""
        languages = sorted({r.lang for r in self.records if r.lang is not None})
        found = {}
        for language in languages:
            mine = [r for r in self.records if r.lang == language]
            found[language] = compute_metrics(
                [r.relevant for r in mine],
                [Ranking(r.ids, r.scores, r.confidence, r.decision, r.offered) for r in mine],
                calibrated=self.calibrated,
                oos_types=[r.oos_type for r in mine],
            )
        return found

    def outcomes(self) -> Outcomes:
        """(top-1 correct, confidence) per query, for the plots."""
        rankings = [Ranking(r.ids, r.scores, r.confidence) for r in self.records]
        judged = judge([r.relevant for r in self.records], rankings)
        return judged.correct, judged.confidence

    def mistakes(self) -> dict[str, list[QueryRecord]]:
        """The records whose decision was wrong, by decision, most confident first."""
        wrong: dict[str, list[QueryRecord]] = {}
        for r in self.records:
            if r.decision is None:
                continue
            ranking = Ranking(r.ids, r.scores, r.confidence, r.decision, r.offered)
            if not decision_correct(r.relevant, ranking, bool(r.relevant)):
                wrong.setdefault(r.decision, []).append(r)
        for records in wrong.values():
            records.sort(key=lambda r: -r.confidence)
        return wrong


def rank_all(
    ranker: Ranker, queries: Sequence[str], *, batch_size: int = BATCH_SIZE, progress: bool = True
) -> list[Ranking]:
    """Rank every query in batches, showing a progress bar on stderr when asked."""
    rankings: list[Ranking] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    console = Console(file=sys.stderr)
    with Progress(*columns, console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task(ranker.name, total=len(queries))
        for start in range(0, len(queries), batch_size):
            batch = queries[start : start + batch_size]
            got = ranker.rank(batch)
            if len(got) != len(batch):
                raise ValueError(
                    f"{ranker.name} returned {len(got)} rankings for {len(batch)} queries"
                )
            rankings.extend(got)
            bar.advance(task, len(batch))
    return rankings


def evaluate(
    ranker: Ranker, dataset: EvalSet, *, batch_size: int = BATCH_SIZE, progress: bool = True
) -> Evaluation:
    """Run ``ranker`` on every query of ``dataset`` and compute its metrics.

    >>> from askbot.evaluate import BM25Ranker, load_eval_folder
    >>> data = load_eval_folder("tests/data/eval", split="test")
    >>> evaluate(BM25Ranker("BM25 q-Q", data.entries, "question"), data).metrics["n"]
    4
    """
    queries = [q.query for q in dataset.queries]
    rankings = rank_all(ranker, queries, batch_size=batch_size, progress=progress)
    relevant = [list(q.relevant) for q in dataset.queries]
    metrics = compute_metrics(
        relevant,
        rankings,
        calibrated=ranker.calibrated,
        oos_types=[q.oos_type for q in dataset.queries],
    )
    records = [
        QueryRecord(
            query=q.query,
            relevant=list(q.relevant),
            split=q.split,
            oos_type=q.oos_type,
            lang=q.lang,
            ids=r.ids,
            scores=r.scores,
            confidence=r.confidence,
            decision=r.decision,
            offered=r.offered,
        )
        for q, r in zip(dataset.queries, rankings, strict=True)
    ]
    return Evaluation(ranker.name, dataset.name, ranker.calibrated, metrics, records)


def evaluate_factory(
    build: RankerFactory,
    dataset: EvalSet,
    *,
    simulate_oos: bool | None = None,
    batch_size: int = BATCH_SIZE,
    progress: bool = True,
) -> Evaluation:
    """Build a ranker over the set's FAQ and evaluate it; add ``auroc-sim`` when simulating OOS.

    ``simulate_oos`` defaults to "the set has no out-of-scope query": a second ranker is built
    over the FAQ minus 20 % of its groups (``hold_out``); ``auroc-sim`` and ``ece-sim`` are its
    AUROC and ECE there.
    """
    result = evaluate(build(dataset.entries), dataset, batch_size=batch_size, progress=progress)
    if simulate_oos is None:
        simulate_oos = not dataset.has_oos
    if not simulate_oos:
        return result
    held = hold_out(dataset)
    sim = evaluate(build(held.entries), held, batch_size=batch_size, progress=progress)
    metrics = dict(result.metrics)
    metrics["auroc-sim"] = sim.metrics["auroc"]
    # Calibration when 20 % of the traffic has no answer in the FAQ, as the default
    # calibration assumes; ``ece`` alone measures it on answerable questions only.
    metrics["ece-sim"] = sim.metrics["ece"]
    metrics["n-sim-oos"] = sim.metrics["n-oos"]
    return Evaluation(result.ranker, result.dataset, result.calibrated, metrics, result.records)
