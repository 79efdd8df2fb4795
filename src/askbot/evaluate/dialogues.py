"""Multi-turn conversations, labelled turn by turn, and how many turns askbot gets right.

A dialogue file (``<collection>.dialogues.jsonl``) holds one conversation per line::

    {"turns": [["when can i see it?", "When is the best time to see the comet?"],
               ["thanks!", "small talk"], ["who discovered it?", null]]}

Each turn is the reader's message and what it means: the question of the collection's entry it
asks for, ``"small talk"`` for a greeting, thanks or goodbye, or ``null`` for a question the
FAQ does not answer. A turn is *right* when askbot answers that entry, replies in kind to small
talk, or declines (a fallback) what the FAQ does not answer; *right first* also counts a "did
you mean…?" whose first option is the entry meant. Every conversation starts afresh, through
the ``Conversation`` the chat API serves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from askbot.conversation import Conversation, Reply, new_state
from askbot.corpus import load_collection
from askbot.errors import CorpusError
from askbot.evaluate.datasets import read_objects
from askbot.retrieve import Decision

SMALL_TALK = "small talk"
KINDS = ("entry", SMALL_TALK, "unanswerable")
DIALOGUES_SUFFIX = ".dialogues.jsonl"

Turn = tuple[str, str | None]  # (message, the entry's question / SMALL_TALK / None)


def load_dialogues(path: Path, questions: Sequence[str]) -> list[list[Turn]]:
    """The dialogues of ``path``, each turn's label checked against the FAQ's ``questions``;
    a malformed line is a ``CorpusError`` naming the file and line."""
    known = set(questions)
    dialogues = []
    for line, obj in read_objects(path):
        turns = obj.get("turns")
        if not isinstance(turns, list) or not turns:
            raise CorpusError(path, line, "'turns' must be a non-empty list of [message, label]")
        dialogue: list[Turn] = []
        for turn in turns:
            if not (
                isinstance(turn, list)
                and len(turn) == 2
                and isinstance(turn[0], str)
                and (turn[1] is None or isinstance(turn[1], str))
            ):
                raise CorpusError(path, line, f"a turn must be [message, label], got {turn!r}")
            message, label = turn
            if label is not None and label != SMALL_TALK and label not in known:
                raise CorpusError(path, line, f"{label!r} is no question of the FAQ")
            dialogue.append((message, label))
        dialogues.append(dialogue)
    return dialogues


def kind_of(label: str | None) -> str:
    """Which kind of turn a label names."""
    if label is None:
        return "unanswerable"
    return SMALL_TALK if label == SMALL_TALK else "entry"


def judge(reply: Reply, label: str | None) -> tuple[bool, bool]:
    """(right, right first) for one turn's reply."""
    if label is None:
        declined = reply.decision is Decision.FALLBACK and reply.via != "small-talk"
        return declined, declined
    if label == SMALL_TALK:
        return reply.via == "small-talk", reply.via == "small-talk"
    answered = reply.answer is not None and reply.answer.question == label
    offered = (
        reply.decision is Decision.CLARIFY
        and bool(reply.alternatives)
        and reply.alternatives[0].question == label
    )
    return answered, answered or offered


@dataclass
class DialogueOutcomes:
    """Turns counted by kind, right and right first, and the turns missed."""

    counts: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)

    def add(self, other: DialogueOutcomes) -> None:
        """Pool another article's outcomes into these."""
        self.counts.update(other.counts)
        self.missed += other.missed

    def row(self, name: str) -> str:
        """One Markdown table row (``HEADER``)."""
        turns = self.counts["turns"]
        shares = [f"{self.counts[f'{k} right']}/{self.counts[f'{k} turns']}" for k in KINDS]
        right, first = self.counts["right"] / turns, self.counts["first"] / turns
        return f"| {name} | {turns} | {right:.3f} | {first:.3f} | {' | '.join(shares)} |"


HEADER = (
    "| article | turns | right | right first | entry turns answered | small talk replied "
    "| unanswerable declined |\n|---|---|---|---|---|---|---|"
)


def converse(
    conversation: Conversation, collection: str, dialogues: Sequence[Sequence[Turn]]
) -> DialogueOutcomes:
    """Hold each dialogue with ``conversation`` on ``collection`` and judge every turn."""
    outcomes = DialogueOutcomes()
    for dialogue in dialogues:
        state = new_state(collection)
        for message, label in dialogue:
            reply, state = conversation.reply(state, message, collection)
            right, first = judge(reply, label)
            kind = kind_of(label)
            outcomes.counts.update(["turns", f"{kind} turns"])
            outcomes.counts.update(
                ["right"] * right + ["first"] * first + [f"{kind} right"] * right
            )
            if not right:
                said = reply.answer.question if reply.answer else reply.decision.value
                outcomes.missed.append(
                    f"{collection}: {message!r} -> {said} ({reply.via}, {reply.confidence:.2f})"
                )
    return outcomes


def dialogues_of_collection(faq: Path, dialogues: Path) -> tuple[str, list[list[Turn]]]:
    """The id of the collection of the corpus file ``faq`` and its ``dialogues`` (a
    ``.dialogues.jsonl``), their labels checked against its questions."""
    collection = load_collection(faq)
    questions = [e.question for e in collection.entries]
    return collection.id, load_dialogues(dialogues, questions)
