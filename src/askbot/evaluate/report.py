"""Running a ranker over an evaluation set, and writing what came out.

``evaluate`` drives a ``Ranker`` over a set's queries (in batches, with a progress bar) and
computes the metric dict; ``evaluate_factory`` also runs the AUROC-sim protocol on sets without
out-of-scope queries. ``write_report`` saves JSON, per-query records, a Markdown table and the
plots.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from askbot.evaluate.datasets import EvalSet, hold_out
from askbot.evaluate.metrics import Metrics, compute_metrics, judge
from askbot.evaluate.plots import Outcomes, plot_precision_coverage, plot_reliability
from askbot.evaluate.ranker import Ranker, RankerFactory, Ranking

BATCH_SIZE = 256


@dataclass(frozen=True)
class QueryRecord:
    """One query's labels and what the ranker returned for it."""

    query: str
    relevant: list[str]
    split: str | None
    oos_type: str | None
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

    def outcomes(self) -> Outcomes:
        """(top-1 correct, confidence) per query, for the plots."""
        rankings = [Ranking(r.ids, r.scores, r.confidence) for r in self.records]
        judged = judge([r.relevant for r in self.records], rankings)
        return judged.correct, judged.confidence


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


def format_value(value: float | int | None) -> str:
    """A metric as a table cell: three decimals, integers as is, ``—`` when undefined."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def markdown_table(
    rows: Mapping[str, Metrics],
    columns: Sequence[str],
    *,
    headers: Mapping[str, str] | None = None,
    first: str = "method",
) -> str:
    """A Markdown table with one row per name and one column per metric key."""
    names = [(headers or {}).get(c, c) for c in columns]
    lines = [
        "| " + " | ".join([first, *names]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for name, metrics in rows.items():
        cells = [format_value(metrics.get(c)) for c in columns]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines) + "\n"


# The columns of a report: only those some evaluation actually has a value for are shown.
REPORT_COLUMNS = (
    "recall@1",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "auroc",
    "auroc-sim",
    "auroc-ans",
    "prec@cov50",
    "ece",
    "ece-sim",
    "answer-rate",
    "answer-acc",
    "clarify-rate",
    "clarify-acc",
    "fallback-rate",
    "fallback-acc",
)


def write_report(evaluations: Sequence[Evaluation], out_dir: Path | str) -> dict[str, Path]:
    """Write ``metrics.json``, ``records-<ranker>.jsonl``, ``report.md`` and the PNG plots."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    summary = {e.ranker: {"dataset": e.dataset, **e.metrics} for e in evaluations}
    written["metrics"] = out / "metrics.json"
    written["metrics"].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for e in evaluations:
        path = out / f"records-{_slug(e.ranker)}.jsonl"
        with path.open("w", encoding="utf-8") as file:
            for record in e.records:
                file.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        written[f"records:{e.ranker}"] = path
    columns = [c for c in REPORT_COLUMNS if any(e.metrics.get(c) is not None for e in evaluations)]
    datasets = ", ".join(sorted({e.dataset for e in evaluations}))
    counts = evaluations[0].metrics if evaluations else {}
    heading = (
        f"# Evaluation on {datasets}\n\n"
        f"{counts.get('n', 0)} queries ({counts.get('n-in-scope', 0)} in scope, "
        f"{counts.get('n-oos', 0)} out of scope).\n\n"
    )
    table = markdown_table({e.ranker: e.metrics for e in evaluations}, columns)
    written["markdown"] = out / "report.md"
    written["markdown"].write_text(heading + table, encoding="utf-8")
    curves = {e.ranker: e.outcomes() for e in evaluations}
    written["precision-coverage"] = plot_precision_coverage(curves, out / "precision-coverage.png")
    calibrated = {e.ranker: curves[e.ranker] for e in evaluations if e.calibrated}
    if calibrated:  # a raw score is no probability: no reliability diagram for it
        written["reliability"] = plot_reliability(calibrated, out / "reliability.png")
    return written


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "ranker"
