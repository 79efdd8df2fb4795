"""Commands that answer: ``ask`` and ``chat``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from askbot import service
from askbot.cli.app import (
    CorpusOption,
    IndexOption,
    ModelOption,
    app,
    escape,
    out,
    settings_from,
)
from askbot.config import Settings
from askbot.conversation import Conversation, Reply, SessionState, Suggestion, new_state
from askbot.errors import UnknownCollectionError
from askbot.retrieve import Alternative, Decision, Match


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
    """Answer one question, or every line of stdin, each as the first message of a chat."""
    conversation = conversation_for(settings_from(corpus, index, model), collection)
    if question is not None:
        questions = [question]
    else:
        questions = [line.strip() for line in sys.stdin if line.strip()]
    for text in questions:
        # A first message, as a reader's on the article's page: in any language, small talk
        # included, a pronoun read against the collection's title.
        reply, _ = conversation.reply(new_state(collection), text, collection)
        if as_json:
            print(json.dumps(reply.to_dict(), ensure_ascii=False), flush=True)
        else:
            print_reply(reply)


def print_match(match: Match, confidence: float) -> None:
    """An answered entry: its question, the confidence and the answer text."""
    out.print(f"[bold]{escape(match.question)}[/bold] [dim](confidence {confidence:.2f})[/dim]")
    out.print(escape(match.text))


def print_options(
    message: str, confidence: float, options: Sequence[Alternative | Suggestion]
) -> None:
    """A message and its numbered options, which a reply of their number picks."""
    out.print(f"{escape(message)} [dim](confidence {confidence:.2f})[/dim]")
    for number, option in enumerate(options, start=1):
        out.print(f"  {number}. {escape(option.question)}")


@app.command()
def chat(
    collection: Annotated[str | None, typer.Option(help="Only search this collection.")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """A conversation in the terminal, with follow-ups and picks (Ctrl-D or 'quit' to leave)."""
    conversation = conversation_for(settings_from(corpus, index, model), collection)
    state: SessionState = new_state(collection)
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
            reply, state = conversation.reply(state, message, collection)
            print_reply(reply)


def conversation_for(settings: Settings, collection: str | None) -> Conversation:
    """The saved index's conversation; an unknown ``collection`` is an error before any message
    (small talk would otherwise answer without searching it)."""
    opened = service.open_service(settings)
    known = opened.index.collection_ids()
    if collection is not None and collection not in known:
        raise UnknownCollectionError(collection, known)
    return opened.conversation


def print_reply(reply: Reply) -> None:
    """Human-readable rendering of a conversation's reply, options numbered for a pick."""
    if reply.decision is Decision.ANSWER and reply.answer is not None:
        print_match(reply.answer, reply.confidence)
        if reply.suggestions:
            related = "; ".join(escape(s.question) for s in reply.suggestions)
            out.print(f"[dim]Related: {related}[/dim]")
        return
    print_options(reply.message, reply.confidence, reply.options())
