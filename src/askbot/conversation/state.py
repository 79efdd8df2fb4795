"""A conversation's state: a plain JSON-able dict that any ``SessionStore`` keeps between turns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from askbot.conversation.reply import Reply

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


def remembered(state: SessionState, message: str, reply: Reply, at: float) -> SessionState:
    """``state`` after ``reply`` to ``message`` at ``at``: the turn kept, the answer counted as
    shown, its options pending for a pick, the reader's language carried on."""
    turn = {
        "message": message,
        "understood_as": reply.understood_as,
        "decision": reply.decision.value,
        "answer_id": reply.answer.id if reply.answer else None,
        "answer_question": reply.answer.question if reply.answer else None,
        "confidence": round(reply.confidence, 4),
        "via": reply.via,
        "at": at,
    }
    shown = list(state.get("shown", []))
    if reply.answer is not None and reply.answer.id not in shown:
        shown.append(reply.answer.id)
    pending = [{"id": o.id, "question": o.question} for o in reply.options()]
    turns = [*state.get("turns", []), turn][-MAX_TURNS_KEPT:]
    language = reply.language.detected or state.get("language")
    return {
        **state,
        "turns": turns,
        "pending": pending,
        "shown": shown[-MAX_SHOWN_KEPT:],
        "language": language,
    }
