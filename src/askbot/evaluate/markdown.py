"""Writing what an evaluation found: Markdown tables, ``report.md``, records and plots.

``write_report`` saves JSON, per-query records, a Markdown table and the plots, and lists the
wrong decisions an editor can act on (an alternate for a missed phrasing, a clearer question
for one that draws the wrong readers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from askbot.evaluate.evaluation import MISTAKES_SHOWN, Evaluation, QueryRecord
from askbot.evaluate.metrics import Metrics, offered_ids
from askbot.evaluate.plots import plot_precision_coverage, plot_reliability


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
