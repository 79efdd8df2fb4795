"""Commands that answer: ``ask`` and ``chat``."""

from __future__ import annotations

import json
import sys
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
from askbot.conversation import Reply, SessionState, new_state
from askbot.retrieve import Answer, Decision


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
    retriever = service.open_service(settings_from(corpus, index, model)).retriever
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


@app.command()
def chat(
    collection: Annotated[str | None, typer.Option(help="Only search this collection.")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
    model: ModelOption = None,
) -> None:
    """A conversation in the terminal, with follow-ups and picks (Ctrl-D or 'quit' to leave)."""
    conversation = service.open_service(settings_from(corpus, index, model)).conversation
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


def print_reply(reply: Reply) -> None:
    """Human-readable rendering of a conversation's reply, options numbered for a pick."""
    confidence = f"[dim](confidence {reply.confidence:.2f})[/dim]"
    if reply.decision is Decision.ANSWER and reply.answer is not None:
        out.print(f"[bold]{escape(reply.answer.question)}[/bold] {confidence}")
        out.print(escape(reply.answer.text))
        if reply.suggestions:
            related = "; ".join(escape(s.question) for s in reply.suggestions)
            out.print(f"[dim]Related: {related}[/dim]")
        return
    out.print(f"{escape(reply.message)} {confidence}")
    for number, option in enumerate(reply.options(), start=1):
        out.print(f"  {number}. {escape(option.question)}")
