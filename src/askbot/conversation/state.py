"""A conversation's state: a plain JSON-able dict that any ``SessionStore`` keeps between turns."""

from __future__ import annotations

from typing import Any

SessionState = dict[str, Any]

MAX_TURNS_KEPT = 20
MAX_SHOWN_KEPT = 100


def new_state(collection: str | None) -> SessionState:
    """The state of a conversation that has not started yet."""
    return {"collection": collection, "turns": [], "pending": [], "shown": []}


def with_defaults(state: SessionState, collection: str | None) -> SessionState:
    """``state`` completed with a new conversation's fields, scoped to ``collection`` if given."""
    state = {**new_state(collection), **state}
    if collection is not None:
        state["collection"] = collection
    return state


def last_answered(state: SessionState) -> str | None:
    """The id of the entry most recently answered, if any."""
    for turn in reversed(state.get("turns", [])):
        if turn.get("answer_id"):
            return str(turn["answer_id"])
    return None


def previous_question(state: SessionState) -> str | None:
    """The previous turn's subject: the question it answered, else what the reader typed.

    Small talk ("hi", "thanks!") has no subject: the turn before it is the previous one.
    """
    for turn in reversed(state.get("turns", [])):
        if turn.get("via") != "small-talk":
            return str(turn.get("answer_question") or turn.get("understood_as") or turn["message"])
    return None
