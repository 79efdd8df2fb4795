"""Running a ranker over an evaluation set, and writing what came out.

``evaluate`` drives a ``Ranker`` over a set's queries (in batches, with a progress bar) and
computes the metric dict; ``evaluate_factory`` also runs the AUROC-sim protocol on sets without
out-of-scope queries. ``write_report`` saves JSON, per-query records, a Markdown table and the
plots, and lists the wrong decisions an editor can act on (an alternate for a missed phrasing,
a clearer question for one that draws the wrong readers).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from askbot.evaluate.datasets import EvalSet, hold_out
from askbot.evaluate.metrics import (
    Metrics,
    compute_metrics,
    decision_correct,
    judge,
    offered_ids,
)
from askbot.evaluate.plots import Outcomes, plot_precision_coverage, plot_reliability
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


def write_report(
    evaluations: Sequence[Evaluation],
    out_dir: Path | str,
    *,
    questions: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``metrics.json``, ``records-<ranker>.jsonl``, ``report.md`` and the PNG plots.

    ``questions`` (entry id → question) lets report.md name entries by their question.
    """
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
    curves = {e.ranker: e.outcomes() for e in evaluations}
    written["precision-coverage"] = plot_precision_coverage(curves, out / "precision-coverage.png")
    plots = "\n![precision-coverage](precision-coverage.png)\n"
    calibrated = {e.ranker: curves[e.ranker] for e in evaluations if e.calibrated}
    if calibrated:  # a raw score is no probability: no reliability diagram for it
        written["reliability"] = plot_reliability(calibrated, out / "reliability.png")
        plots += "![reliability](reliability.png)\n"
    sections = [mistakes_markdown(e, questions or {}) for e in evaluations]
    written["markdown"] = out / "report.md"
    written["markdown"].write_text(heading + table + plots + "".join(sections), encoding="utf-8")
    return written


def mistakes_markdown(evaluation: Evaluation, questions: Mapping[str, str]) -> str:
    """report.md's list of one ranker's wrong decisions ("" for a ranker that does not decide)."""
    if all(r.decision is None for r in evaluation.records):
        return ""
    wrong = evaluation.mistakes()
    slug = _slug(evaluation.ranker)
    lines = [f"\n## Wrong decisions: {evaluation.ranker}\n"]
    if not wrong:
        lines.append("\nNone: every answer, clarification and fallback was right.\n")

    def name(entry_id: str) -> str:
        return _cell(questions.get(entry_id, entry_id))

    def expected(r: QueryRecord) -> str:
        return "; ".join(dict.fromkeys(name(i) for i in r.relevant)) or "*(out of scope)*"

    def top(r: QueryRecord) -> str:
        return name(r.ids[0]) if r.ids else "—"

    def offered(r: QueryRecord) -> str:
        return "; ".join(name(i) for i in offered_ids(r.ids, r.offered))

    kinds: dict[str, tuple[str, str, Callable[[QueryRecord], str]]] = {
        "answer": ("Answered wrongly", "answered with", top),
        "clarify": ("Clarified without offering a right entry", "offered", offered),
        "fallback": ("Fell back on an answerable question", "best-ranked", top),
    }
    for decision, (title, given_header, given) in kinds.items():
        records = wrong.get(decision, [])
        if not records:
            continue
        shown = records[:MISTAKES_SHOWN]
        more = f", the {len(shown)} most confident shown" if len(shown) < len(records) else ""
        lines += [
            f"\n{title}: {len(records)}{more} (all in `records-{slug}.jsonl`).\n\n",
            f"| confidence | question asked | {given_header} | expected |\n|---|---|---|---|\n",
        ]
        lines += [
            f"| {r.confidence:.2f} | {_cell(r.query)} | {given(r)} | {expected(r)} |\n"
            for r in shown
        ]
    return "".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, long text cut."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= 100 else flat[:99] + "…"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "ranker"
