"""Commands that measure: ``eval`` and ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from askbot import service
from askbot.cli.app import (
    BACKENDS,
    IndexOption,
    ModelOption,
    app,
    out,
    settings_from,
)
from askbot.config import Settings
from askbot.embed import active


@app.command()
def report(
    since: Annotated[
        str | None, typer.Option(help="Only questions since: 7d, 24h, 30m or an ISO date.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity at which questions count as the same.")
    ] = 0.75,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Questions that ended in fallback or got unhelpful feedback, grouped, most frequent first."""
    from askbot.store import Journal, open_database
    from askbot.unanswered import parse_since, render_report, unanswered_report

    settings = settings_from(None, index, model)
    start = parse_since(since) if since else None
    if not settings.database_url and not settings.db_path.exists():
        out.print(f"No questions logged yet ({settings.db_path} does not exist).")
        return
    journal = Journal(open_database(settings.database_url, settings.db_path))
    try:
        embedder = service.batch_embedder(settings)
        groups = unanswered_report(journal, embedder, since=start, threshold=threshold)
    finally:
        journal.close()
    print(render_report(groups, width=max(out.width, 80)), end="")


@app.command("eval")
def eval_(
    faq: Annotated[
        Path,
        typer.Option(
            "--faq",
            help="FAQ JSONL (id, question, answer, alternates) or a corpus/ collection file.",
        ),
    ],
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries", help="Queries JSONL: query, relevant (entry ids or questions), split."
        ),
    ] = None,
    dialogues: Annotated[
        Path | None,
        typer.Option(
            "--dialogues",
            help='Dialogues JSONL, one conversation per line: {"turns": [[message, entry '
            'question | "small talk" | null], ...]}; needs a corpus/ collection file.',
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Only queries of this split (e.g. test).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write metrics.json, report.md and plots here.")
    ] = None,
    scoring: Annotated[
        str, typer.Option(help="'default' (askbot) or a BASELINES.md method, e.g. 'MiniLM q-Q'.")
    ] = "default",
    index: IndexOption = None,
    model: ModelOption = None,
    backend: Annotated[
        str | None,
        typer.Option(
            help="Encoder backend: onnx-int8, onnx-fp32 or torch (default: ASKBOT_BACKEND, "
            "the one askbot serve answers with)."
        ),
    ] = None,
    tune: Annotated[
        bool,
        typer.Option("--tune", help="Fine-tune the model on the FAQ first, as `askbot tune` does."),
    ] = False,
    off_topic_share: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=0.999,
            help="Share of off-topic questions the confidence assumes (0: the queries are known "
            "to be in scope). Default: ASKBOT_OFF_TOPIC_SHARE, else as calibrated.",
        ),
    ] = None,
) -> None:
    """Measure a labelled FAQ as askbot serve answers: its queries (recall, MRR, AUROC, ECE)
    and its dialogues (turns right).

    The encoder is the served one (backend and active tune) unless --backend says otherwise.
    """
    if queries is None and dialogues is None:
        raise typer.BadParameter("give --queries, --dialogues or both", param_hint="--queries")
    settings = settings_from(None, index, model)
    if backend is not None:
        if backend not in BACKENDS:
            raise typer.BadParameter(f"one of {', '.join(BACKENDS)}", param_hint="--backend")
        settings = settings.model_copy(update={"backend": backend})
    if off_topic_share is not None:
        settings = settings.model_copy(update={"off_topic_share": off_topic_share})
    if queries is not None:
        _eval_queries(faq, queries, split, out_dir, scoring, settings, tune)
    if dialogues is not None:
        if queries is not None:
            print()
        _eval_dialogues(faq, dialogues, settings)


def _eval_queries(
    faq: Path,
    queries: Path,
    split: str | None,
    out_dir: Path | None,
    scoring: str,
    settings: Settings,
    tune: bool,
) -> None:
    from askbot.evaluate import markdown_table
    from askbot.evaluate.markdown import REPORT_COLUMNS
    from askbot.evaluate.run import run_eval

    result = run_eval(
        faq,
        queries,
        split=split,
        out=out_dir,
        scoring=scoring,
        embedder=service.batch_embedder(settings),
        model=active.active_model(settings),
        backend=settings.backend,
        tune=tune,
        off_topic_share=settings.off_topic_share,
        multilingual=service.multilingual_embedder(settings, 2) if settings.multilingual else None,
    )
    columns = [c for c in REPORT_COLUMNS if result.metrics.get(c) is not None]
    print(markdown_table({result.ranker: result.metrics}, columns), end="")
    by_language = result.by_language()
    if by_language:
        print()
        columns = [c for c in columns if all(m.get(c) is not None for m in by_language.values())]
        print(markdown_table(by_language, columns, first="lang"), end="")


def _eval_dialogues(faq: Path, dialogues: Path, settings: Settings) -> None:
    from askbot.evaluate.dialogues import HEADER, converse, dialogues_of_collection

    collection, turns = dialogues_of_collection(faq, dialogues)  # bad files fail before a build
    embedder = service.batch_embedder(settings)
    conversation = service.in_memory_service(faq, settings, embedder).conversation
    outcomes = converse(conversation, collection, turns)
    print(f"{HEADER}\n{outcomes.row(collection)}")
    if outcomes.missed:
        print("\nturns missed:\n" + "\n".join(f"- {m}" for m in outcomes.missed))
