"""``askbot import``: save web pages that carry a schema.org FAQPage into the corpus."""

from __future__ import annotations

from typing import Annotated

import typer

from askbot.cli.app import CorpusOption, app, err, escape, out, settings_from
from askbot.errors import AskbotError, CorpusError
from askbot.fetching import fetch, import_page, sitemap_urls


@app.command("import")
def import_pages(
    urls: Annotated[list[str], typer.Argument(help="Pages (or sitemaps with --sitemap).")],
    corpus: CorpusOption = None,
    sitemap: Annotated[
        bool, typer.Option("--sitemap", help="Each URL is a sitemap.xml: import its pages.")
    ] = False,
) -> None:
    """Save web pages with a schema.org FAQPage into the corpus, one .html file each."""
    folder = settings_from(corpus, None, None).corpus_dir
    folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    pages: list[str] = []
    for url in urls:
        if not sitemap:
            pages.append(url)
            continue
        try:
            found = sitemap_urls(fetch(url)[0])
        except AskbotError as exc:
            err.print(f"error: {escape(url)}: {escape(str(exc))}", soft_wrap=True)
            failed += 1
            continue
        out.print(f"sitemap {escape(url)}: {len(found)} page(s)", soft_wrap=True)
        pages.extend(found)
    taken: set[str] = set()
    for url in pages:
        try:
            path, count = import_page(url, folder, taken)
        except AskbotError as exc:
            reason = str(exc)
            if isinstance(exc, CorpusError):  # it names the URL as a path: keep the problem
                reason = exc.problem if exc.line is None else f"line {exc.line}: {exc.problem}"
            err.print(f"error: {escape(url)}: {escape(reason)}", soft_wrap=True)
            failed += 1
            continue
        out.print(
            f"written {escape(str(path))} ({count} questions) <- {escape(url)}", soft_wrap=True
        )
    if failed:
        raise typer.Exit(1)
