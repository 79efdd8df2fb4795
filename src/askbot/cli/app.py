"""The ``askbot`` command: a thin face over the library.

Every failure reaches the user as one readable line on stderr and a non-zero exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from askbot.config import Settings
from askbot.errors import AskbotError

app = typer.Typer(
    help="askbot: answers free-form questions from curated FAQs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
BACKENDS = ("onnx-int8", "onnx-fp32", "torch")

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
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
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


def escape(text: str) -> str:
    """Keep FAQ text literal in rich output (no markup injection)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


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
