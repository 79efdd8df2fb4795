"""The ``askbot`` command: a thin face over the library.

Every failure reaches the user as one readable line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from askbot import engine
from askbot.config import Settings
from askbot.errors import AskbotError
from askbot.index import Manifest
from askbot.retrieve import Answer, Decision

app = typer.Typer(
    help="askbot: answers free-form questions from curated FAQs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

CorpusOption = Annotated[
    Path | None,
    typer.Option("--corpus", help="Corpus folder (default: ASKBOT_CORPUS_DIR or corpus/)."),
]
IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Index folder (default: ASKBOT_INDEX_DIR or index/).")
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="Model folder or package (default: ASKBOT_MODEL).")
]


def settings_from(corpus: Path | None, index: Path | None, model: str | None) -> Settings:
    """Settings from the environment, with command-line options taking precedence."""
    overrides = {"corpus_dir": corpus, "index_dir": index, "model": model}
    return Settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr, fed by a ``progress(done, total)`` callback."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


@app.command()
def build(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the index is fresh.")] = False,
) -> None:
    """(Re)build the index when the corpus or model changed, and report counts."""
    settings = settings_from(corpus, index, model)
    with _progress_bar("embedding") as progress:
        loaded, built_index, built = engine.build(settings, force=force, progress=progress)
    manifest = built_index.manifest
    state = "built" if built else "up to date"
    out.print(
        f"index {state}: {len(loaded.collections)} collection(s), {manifest.entry_count} entries, "
        f"{manifest.vector_count} vectors, model {manifest.model_id} -> {settings.index_dir}"
    )
    _print_calibrations(out, manifest)


def _print_calibrations(console: Console, manifest: Manifest) -> None:
    """A line per collection that fitted a phrasing classifier or its own calibration on its
    alternates."""
    for collection in manifest.classifiers:
        console.print(
            f"scores of {collection}: with a classifier fitted on its alternate phrasings",
            soft_wrap=True,
        )
    for collection, weights in manifest.calibrations.items():
        console.print(
            f"confidence of {collection}: calibrated on {int(weights['questions'])} of its own "
            "alternate phrasings",
            soft_wrap=True,
        )


@app.command()
def tune(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the FAQ's pairs.")] = 1,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to the untuned model and rebuild.")
    ] = False,
) -> None:
    """Fine-tune the model on the corpus's own questions, alternates and answers; rebuild."""
    from askbot.tune import TuneConfig

    settings = settings_from(corpus, index, model)
    if reset:
        was = engine.reset_tune(settings)
        out.print("tune removed" if was else "no tune was active")
    else:
        with _progress_bar("tuning") as progress:
            folder = engine.tune(settings, config=TuneConfig(epochs=epochs), progress=progress)
        out.print(f"tuned model -> {folder}", soft_wrap=True)
    with _progress_bar("embedding") as progress:
        _, built_index, _ = engine.build(settings, progress=progress)
    out.print(f"index built with {built_index.manifest.model_id}", soft_wrap=True)


@app.command()
def ask(
    question: Annotated[
        str | None,
        typer.Argument(help="The question; omit to read one question per line from stdin."),
    ] = None,
    collection: Annotated[str | None, typer.Option(help="Only search this collection.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (JSONL for stdin).")] = False,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Answer one question, or every line of stdin."""
    retriever = engine.open_retriever(settings_from(corpus, index, model))
    if question is not None:
        questions = [question]
    else:
        questions = [line.strip() for line in sys.stdin if line.strip()]
    for start in range(0, len(questions), 64):
        for answer in retriever.ask_many(questions[start : start + 64], collection):
            if as_json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            else:
                print_answer(answer)


def print_answer(answer: Answer) -> None:
    """Human-readable rendering of an answer."""
    confidence = f"[dim](confidence {answer.confidence:.2f})[/dim]"
    if answer.decision is Decision.ANSWER and answer.answer is not None:
        out.print(f"[bold]{escape(answer.answer.question)}[/bold] {confidence}")
        out.print(escape(answer.answer.text))
    elif answer.decision is Decision.CLARIFY:
        out.print(f"Did you mean… {confidence}")
        for number, alternative in enumerate(answer.alternatives, start=1):
            out.print(f"  {number}. {escape(alternative.question)}")
    else:
        out.print(f"I don't know: nothing in the FAQ matches well enough. {confidence}")
        if answer.alternatives:
            out.print(f"[dim]Closest: {escape(answer.alternatives[0].question)}[/dim]")


def escape(text: str) -> str:
    """Keep FAQ text literal in rich output (no markup injection)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@app.command()
def chat(
    collection: Annotated[str | None, typer.Option(help="Only search this collection.")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """An interactive conversation in the terminal (Ctrl-D or 'quit' to leave)."""
    retriever = engine.open_retriever(settings_from(corpus, index, model))
    out.print("[dim]Ask a question (Ctrl-D or 'quit' to leave).[/dim]")
    while True:
        try:
            message = input("you> ").strip()
        except EOFError:
            out.print()
            return
        if message.lower() in {"quit", "exit"}:
            return
        if message:
            print_answer(retriever.ask(message, collection))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Build the index if missing or stale, then serve the chat API and widget."""
    from askbot.api.workers import check_address
    from askbot.api.workers import serve as serve_workers

    settings = settings_from(corpus, index, model)
    overrides = {"host": host, "port": port, "workers": workers}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    # Before a build that can take minutes: is the address free? (Port 0 becomes a free port.)
    settings = settings.model_copy(update={"port": check_address(settings.host, settings.port)})
    # Only the manifest: the app loads the index itself (in each worker, and with one worker in
    # this very process), so neither the corpus nor a second index is kept alive here.
    manifest, built = engine.ensure_built(settings)
    err.print(
        f"index {'built' if built else 'up to date'}: {manifest.entry_count} entries; "
        f"serving on http://{settings.host}:{settings.port} with {settings.workers} worker(s)",
        soft_wrap=True,
    )
    _print_calibrations(err, manifest)
    # Worker processes build their own Settings from the environment: hand ours down.
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            os.environ[f"ASKBOT_{name.upper()}"] = (
                value if isinstance(value, str) else json.dumps(value)
            )
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="askbot-metrics-")
    serve_workers(
        "askbot.api:app_from_env",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        pin=settings.pin_workers,
        log_level="warning",
        access_log=False,
    )


@app.command()
def report(
    since: Annotated[
        str | None, typer.Option(help="Only questions since: 7d, 24h, 30m or an ISO date.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Cosine similarity at which questions count as the same.")
    ] = 0.75,
    model: ModelOption = None,
) -> None:
    """Questions that ended in fallback or got unhelpful feedback, grouped, most frequent first."""
    from askbot.embed import load_embedder
    from askbot.report import parse_since, render_report, unanswered_report
    from askbot.store import Journal

    settings = settings_from(None, None, model)
    start = parse_since(since) if since else None
    if not settings.db_path.exists():
        out.print(f"No questions logged yet ({settings.db_path} does not exist).")
        return
    journal = Journal(settings.db_path)
    try:
        groups = unanswered_report(
            journal, load_embedder(settings.model), since=start, threshold=threshold
        )
    finally:
        journal.close()
    print(render_report(groups, width=max(out.width, 80)), end="")


@app.command()
def reload(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Rebuild the index if the corpus changed; running servers swap it in without downtime.

    A corpus error is reported as ``file:line: problem`` and the old index keeps serving.
    """
    from askbot.api.reload import rebuild

    settings = settings_from(corpus, index, model)
    build_id = rebuild(settings, wait=True)
    out.print(
        f"index {build_id} in service; running workers load it within "
        f"{settings.reload_poll_seconds:g} s"
    )


@app.command("hash-key")
def hash_key(
    key: Annotated[
        str | None, typer.Argument(help="The key to hash; omit to generate a new random one.")
    ] = None,
) -> None:
    """Print an API key's hash for ASKBOT_API_KEYS / ASKBOT_ADMIN_KEY_HASH (new key if none)."""
    from askbot.api.security import hash_key as digest
    from askbot.api.security import new_key

    if key is None:
        key = new_key()
        out.print(f"key:  {key}", soft_wrap=True)
    out.print(f"hash: {digest(key)}", soft_wrap=True)


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
        Path,
        typer.Option(
            "--queries", help="Queries JSONL: query, relevant (entry ids or questions), split."
        ),
    ],
    split: Annotated[
        str | None, typer.Option(help="Only queries of this split (e.g. test).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write metrics.json, report.md and plots here.")
    ] = None,
    scoring: Annotated[
        str, typer.Option(help="'default' (askbot) or a BASELINES.md method, e.g. 'MiniLM q-Q'.")
    ] = "default",
    model: ModelOption = None,
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
    """Measure retrieval on a labelled FAQ: recall, MRR, nDCG, AUROC, ECE, decisions."""
    from askbot.evaluate import markdown_table
    from askbot.evaluate.report import REPORT_COLUMNS
    from askbot.evaluate.run import run_eval

    settings = settings_from(None, None, model)
    result = run_eval(
        faq,
        queries,
        split=split,
        out=out_dir,
        scoring=scoring,
        model=settings.model,
        tune=tune,
        off_topic_share=settings.off_topic_share if off_topic_share is None else off_topic_share,
    )
    columns = [c for c in REPORT_COLUMNS if result.metrics.get(c) is not None]
    print(markdown_table({result.ranker: result.metrics}, columns), end="")


def main() -> None:
    """Console-script entry point: run the app, turning errors into one line."""
    try:
        app()
    except AskbotError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
