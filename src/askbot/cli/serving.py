"""Commands that serve: ``serve`` and ``hash-key``."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Annotated

import typer

from askbot import service
from askbot.cli.app import (
    CorpusOption,
    IndexOption,
    ModelOption,
    app,
    err,
    out,
    settings_from,
)
from askbot.cli.building import print_calibrations


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
    watch: Annotated[
        bool | None,
        typer.Option("--watch/--no-watch", help="Rebuild by itself when a corpus file changes."),
    ] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """Build the index if missing or stale, then serve the chat API and widget."""
    from askbot.api.protocol import http_options
    from askbot.api.workers import check_address
    from askbot.api.workers import serve as serve_workers
    from askbot.reload import CorpusWatcher

    settings = settings_from(corpus, index, model)
    overrides = {"host": host, "port": port, "workers": workers, "watch_corpus": watch}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    # Before a build that can take minutes: is the address free? (Port 0 becomes a free port.)
    settings = settings.model_copy(update={"port": check_address(settings.host, settings.port)})
    # Only the manifest: the app loads the index itself (in each worker, and with one worker in
    # this very process), so neither the corpus nor a second index is kept alive here.
    manifest, built = service.ensure_built(settings)
    err.print(
        f"index {'built' if built else 'up to date'}: {manifest.entry_count} entries; "
        f"serving on http://{settings.host}:{settings.port} with {settings.workers} worker(s)",
        soft_wrap=True,
    )
    print_calibrations(err, manifest)
    # Worker processes build their own Settings from the environment: hand ours down.
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            os.environ[f"ASKBOT_{name.upper()}"] = (
                value if isinstance(value, str) else json.dumps(value)
            )
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="askbot-metrics-")
    watcher = CorpusWatcher(settings)  # stats every corpus file: once a second is enough
    if settings.watch_corpus:
        watcher.start()
        err.print(f"watching {settings.corpus_dir}: a changed file is published by itself")
    try:
        serve_workers(
            "askbot.api:app_from_env",
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            pin=settings.pin_workers,
            log_level="warning",
            access_log=False,
            **http_options(settings),
        )
    finally:
        if settings.watch_corpus:
            watcher.stop()


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


@app.command()
def migrate() -> None:
    """Bring the database (ASKBOT_DATABASE_URL, or the SQLite file) to this askbot's schema.

    `askbot serve` does the same at start; this is for a deploy step before it.
    """
    from askbot.store import open_database

    settings = settings_from(None, None, None)
    database = open_database(settings.database_url, settings.db_path)
    try:
        out.print(f"{database.name}: schema version {database.schema_version()}", soft_wrap=True)
    finally:
        database.close()
