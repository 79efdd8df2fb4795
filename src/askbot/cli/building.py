"""Commands that make the index: ``build``, ``tune``, ``reload``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from askbot import service
from askbot.cli.app import (
    CorpusOption,
    IndexOption,
    ModelOption,
    app,
    out,
    progress_bar,
    settings_from,
)
from askbot.embed import active
from askbot.index import Manifest


@app.command()
def build(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the index is fresh.")] = False,
) -> None:
    """(Re)build the index when the corpus or model changed, and report counts."""
    settings = settings_from(corpus, index, model)
    with progress_bar("embedding") as progress:
        loaded, built_index, built = service.build(settings, force=force, progress=progress)
    manifest = built_index.manifest
    state = "built" if built else "up to date"
    out.print(
        f"index {state}: {len(loaded.collections)} collection(s), {manifest.entry_count} entries, "
        f"{manifest.vector_count} vectors, model {manifest.model_id} -> {settings.index_dir}"
    )
    if built:
        spaces = [manifest.vectors_encoded]
        if built_index.multilingual is not None:
            spaces.append(built_index.multilingual.manifest.vectors_encoded)
        out.print(f"encoded {' + '.join(map(str, spaces))} text(s) new since the last build")
        if manifest.extended_from:
            out.print(
                f"extended build {manifest.extended_from} "
                f"({manifest.dead_vectors} vector(s) of changed or removed entries left unused)",
                soft_wrap=True,
            )
    print_calibrations(out, manifest)


def print_calibrations(console: Console, manifest: Manifest) -> None:
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
    from askbot.embed.tune import TuneConfig

    settings = settings_from(corpus, index, model)
    if reset:
        was = active.reset_tune(settings)
        out.print("tune removed" if was else "no tune was active")
    else:
        with progress_bar("tuning") as progress:
            folder = active.tune(settings, config=TuneConfig(epochs=epochs), progress=progress)
        out.print(f"tuned model -> {folder}", soft_wrap=True)
    with progress_bar("embedding") as progress:
        _, built_index, _ = service.build(settings, progress=progress)
    out.print(f"index built with {built_index.manifest.model_id}", soft_wrap=True)


@app.command()
def reload(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Rebuild the index if the corpus changed; running servers swap it in without downtime.

    A corpus error is reported as ``file:line: problem`` and the old index keeps serving.
    """
    from askbot.reload import rebuild

    settings = settings_from(corpus, index, model)
    build_id = rebuild(settings, wait=True)
    out.print(
        f"index {build_id} in service; running workers load it within "
        f"{settings.reload_poll_seconds:g} s"
    )
