"""Conversations: follow-ups understood in context, clarifications picked, no dead ends.

A ``Conversation`` turns (session state, message) into (``Reply``, new state). The state is a
plain JSON-able dict so any ``SessionStore`` (SQLite, Redis) can keep it between requests and
across worker processes:

- After a ``clarify``, the reader can pick an alternative by number ("2", "the second"), by its
  id, or by (nearly) its text, and gets that answer.
- An elliptical follow-up ("and what about China?", "why?") is asked twice in one encoder call:
  as typed, and prefixed with the previous turn's question. The reading with the higher
  confidence wins; the contextual reading skips the entry just answered, since a follow-up
  asks for something new.
- "tell me more" moves to the entry's follow-ups or its closest unseen neighbour.
- A ``fallback`` offers the collection's questions instead of a dead end.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from askbot.corpus import FaqEntry, normalise_question
from askbot.embed import Vectors
from askbot.retrieve import Alternative, Answer, Decision, Match, Retriever

SessionState = dict[str, Any]

MAX_TURNS_KEPT = 20
SUGGESTIONS = 3
FALLBACK_SUGGESTIONS = 6

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
_PICK = re.compile(r"^\s*(?:(?:number|option|no\.?|#)\s*)?(\d{1,2})\s*[.)]?\s*$", re.I)
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|last)\b(?:\s+(?:one|option))?", re.I)
_MORE = re.compile(
    r"^\s*(tell me more|more( please)?|go on|continue|and\??|what else\??|anything else\??)"
    r"[\s.!?]*$",
    re.I,
)
# Openings and pronouns that make a message lean on the previous turn.
_CONNECTIVE = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what about|what if|why|how come|"
    r"really|is that|does that|will that|would that)\b",
    re.I,
)
_ANAPHORA = re.compile(r"\b(it|this|that|these|those|they|them|their|he|she|there)\b", re.I)
_ELLIPTICAL_MAX_WORDS = 8
# Entries whose neighbours a Conversation remembers before starting over.
_RELATED_MEMO_SIZE = 20_000
CONTEXT_WEIGHT_MESSAGE = 0.6

MESSAGES = {
    "clarify": "Did you mean one of these? Reply with a number or pick one.",
    "fallback": "Sorry, I don't know the answer to that. Here are questions I can answer:",
    "more": "That's all I have on this. Related questions:",
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A question to offer the reader next."""

    id: str
    question: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What askbot says to one message."""

    decision: Decision
    confidence: float
    answer: Match | None
    alternatives: list[Alternative]
    suggestions: list[Suggestion]
    message: str
    understood_as: str  # the question actually searched (differs for follow-ups)
    via: str  # "search", "follow-up", "clarification" or "more"

    def to_dict(self) -> dict[str, Any]:
        """The chat API's reply body (without the session id)."""
        base = Answer(
            self.understood_as, self.decision, self.confidence, self.answer, self.alternatives
        ).to_dict()
        return {
            **base,
            "suggestions": [{"id": s.id, "question": s.question} for s in self.suggestions],
            "message": self.message,
            "understood_as": self.understood_as,
            "via": self.via,
        }


def new_state(collection: str | None) -> SessionState:
    """The state of a conversation that has not started yet."""
    return {"collection": collection, "turns": [], "pending": [], "shown": []}


def _with_defaults(state: SessionState, collection: str | None) -> SessionState:
    """``state`` completed with a new conversation's fields, scoped to ``collection`` if given."""
    state = {**new_state(collection), **state}
    if collection is not None:
        state["collection"] = collection
    return state


def _search_texts(state: SessionState, message: str) -> list[str]:
    """What a search encodes: the message, and the previous question if it leans on it."""
    previous = _previous_question(state)
    return [message, previous] if previous and is_elliptical(message) else [message]


def is_elliptical(message: str) -> bool:
    """Whether a message probably leans on the previous turn for its meaning."""
    words = message.split()
    if len(words) > _ELLIPTICAL_MAX_WORDS * 2:
        return False
    return bool(_CONNECTIVE.match(message)) or (
        len(words) <= _ELLIPTICAL_MAX_WORDS and bool(_ANAPHORA.search(message))
    )


@dataclass
class Conversation:
    """Answers messages in the context of a session's earlier turns."""

    retriever: Retriever
    _clock: Any = field(default=time.time, repr=False)
    # Per-index memos: a Conversation lives exactly as long as its retriever's index (a reload
    # makes a new one), and both answers below depend on the index alone. Without them every
    # answer re-normalised every question of its collection and re-ranked its neighbours.
    _by_question: dict[tuple[str, str], FaqEntry] | None = field(
        default=None, init=False, repr=False
    )
    _related: dict[tuple[str, int], list[FaqEntry]] = field(
        default_factory=dict, init=False, repr=False
    )

    def reply(
        self,
        state: SessionState,
        message: str,
        collection: str | None = None,
        *,
        embedded: Mapping[str, Vectors] | None = None,
    ) -> tuple[Reply, SessionState]:
        """Answer ``message`` given ``state``; returns the reply and the updated state.

        ``embedded`` may hold the vectors of ``texts_to_embed``'s texts, encoded beforehand
        (the API awaits them without blocking its event loop); a text missing is encoded here.
        """
        state = _with_defaults(state, collection)
        reply = (
            self._pick(state, message)
            or self._more(state, message)
            or self._search(state, message, state["collection"], embedded or {})
        )
        return reply, self._remember(state, message, reply)

    def texts_to_embed(
        self, state: SessionState, message: str, collection: str | None = None
    ) -> list[str]:
        """The texts ``reply`` will encode for this message: none if it needs no search."""
        state = _with_defaults(state, collection)
        if self._pick(state, message) or self._more(state, message):
            return []
        return _search_texts(state, message)

    # -- the three ways a message is understood --------------------------------------------

    def _pick(self, state: SessionState, message: str) -> Reply | None:
        pending: list[dict[str, str]] = state.get("pending") or []
        if not pending:
            return None
        chosen = _choose(pending, message)
        if chosen is None:
            return None
        entry = self._entry(chosen)
        if entry is None:
            return None
        # The reader chose it explicitly: as sure as askbot can be.
        return self._answer_reply(entry, 1.0, [], message, "clarification", state)

    def _more(self, state: SessionState, message: str) -> Reply | None:
        last = _last_answered(state)
        if last is None or not _MORE.match(message):
            return None
        shown = set(state.get("shown", []))
        entry = self._entry(last)
        if entry is None:
            return None
        following = [e for e in self._follow_ups(entry) if e.id not in shown]
        following += [e for e in self._related_to(entry.id, 5) if e.id not in shown]
        if following:
            return self._answer_reply(following[0], 1.0, [], message, "more", state)
        suggestions = self._suggest(entry, state)
        return Reply(
            Decision.FALLBACK, 0.0, None, [], suggestions, MESSAGES["more"], message, "more"
        )

    def _search(
        self,
        state: SessionState,
        message: str,
        scope: str | None,
        embedded: Mapping[str, Vectors],
    ) -> Reply:
        texts = _search_texts(state, message)
        if all(text in embedded for text in texts):
            vectors = np.stack([embedded[text] for text in texts])
        else:
            vectors = self.retriever.embedder.encode(texts)
        answers = [self.retriever.answer_vector(message, vectors[0], scope)]
        readings = [message]
        if len(texts) > 1:
            # The follow-up's own words lead; the previous subject fills in what it leaves out.
            mixed = CONTEXT_WEIGHT_MESSAGE * vectors[0] + (1 - CONTEXT_WEIGHT_MESSAGE) * vectors[1]
            mixed /= np.linalg.norm(mixed) or 1.0
            last = _last_answered(state)
            contextual = f"{message} ({texts[1]})"
            exclude = frozenset({last}) if last else frozenset()
            answers.append(self.retriever.answer_vector(contextual, mixed, scope, exclude=exclude))
            readings.append(contextual)
        best = max(range(len(answers)), key=lambda i: answers[i].confidence)
        answer = answers[best]
        via = "follow-up" if best > 0 else "search"
        if answer.decision is Decision.ANSWER and answer.answer is not None:
            entry = self._entry(answer.answer.id)
            assert entry is not None  # the retriever only returns indexed entries
            return self._answer_reply(
                entry, answer.confidence, answer.alternatives, readings[best], via, state
            )
        if answer.decision is Decision.CLARIFY:
            return Reply(
                Decision.CLARIFY,
                answer.confidence,
                None,
                answer.alternatives,
                [],
                MESSAGES["clarify"],
                readings[best],
                via,
            )
        return Reply(
            Decision.FALLBACK,
            answer.confidence,
            None,
            answer.alternatives,
            self._collection_questions(scope, answer),
            MESSAGES["fallback"],
            readings[best],
            via,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _answer_reply(
        self,
        entry: FaqEntry,
        confidence: float,
        alternatives: list[Alternative],
        understood_as: str,
        via: str,
        state: SessionState,
    ) -> Reply:
        return Reply(
            Decision.ANSWER,
            confidence,
            Match.of(entry),
            alternatives,
            self._suggest(entry, state),
            entry.answer,
            understood_as,
            via,
        )

    def _entry(self, entry_id: str) -> FaqEntry | None:
        try:
            return self.retriever.index.entries[self.retriever.index.position_of(entry_id)]
        except KeyError:
            return None  # the index was rebuilt without it since the state was saved

    def _follow_ups(self, entry: FaqEntry) -> list[FaqEntry]:
        found = []
        for reference in entry.follow_ups:
            target = self._entry(reference) or self._question_lookup().get(
                (entry.collection, normalise_question(reference))
            )
            if target is not None and target.id != entry.id:
                found.append(target)
        return found

    def _question_lookup(self) -> dict[tuple[str, str], FaqEntry]:
        """(collection, normalised question) -> entry; the last entry wins, as in the corpus."""
        if self._by_question is None:
            self._by_question = {
                (e.collection, normalise_question(e.question)): e
                for e in self.retriever.index.entries
            }
        return self._by_question

    def _related_to(self, entry_id: str, limit: int) -> list[FaqEntry]:
        """``Retriever.related``, remembered: the same index always gives the same neighbours."""
        key = (entry_id, limit)
        found = self._related.get(key)
        if found is None:
            if len(self._related) >= _RELATED_MEMO_SIZE:
                self._related.clear()  # a crude bound; entries answered often come back quickly
            found = self._related[key] = self.retriever.related(entry_id, limit=limit)
        return found

    def _suggest(self, entry: FaqEntry, state: SessionState) -> list[Suggestion]:
        """Follow-ups first, then the closest questions the reader has not seen yet."""
        shown = set(state.get("shown", [])) | {entry.id}
        pool = self._follow_ups(entry) + self._related_to(entry.id, SUGGESTIONS + 3)
        picked: dict[str, Suggestion] = {}
        for candidate in pool:
            if candidate.id not in shown and candidate.id not in picked:
                picked[candidate.id] = Suggestion(candidate.id, candidate.question)
        return list(picked.values())[:SUGGESTIONS]

    def _collection_questions(self, scope: str | None, answer: Answer) -> list[Suggestion]:
        """After a fallback: the questions of the collection in scope (or the closest one)."""
        collection = scope
        if collection is None and answer.alternatives:
            entry = self._entry(answer.alternatives[0].id)
            collection = entry.collection if entry else None
        if collection is None:
            return []
        positions = self.retriever.index.entries_of(collection)[:FALLBACK_SUGGESTIONS]
        entries = [self.retriever.index.entries[int(p)] for p in positions]
        return [Suggestion(e.id, e.question) for e in entries]

    def _remember(self, state: SessionState, message: str, reply: Reply) -> SessionState:
        turn = {
            "message": message,
            "understood_as": reply.understood_as,
            "decision": reply.decision.value,
            "answer_id": reply.answer.id if reply.answer else None,
            "answer_question": reply.answer.question if reply.answer else None,
            "confidence": round(reply.confidence, 4),
            "at": self._clock(),
        }
        shown = list(state.get("shown", []))
        if reply.answer is not None and reply.answer.id not in shown:
            shown.append(reply.answer.id)
        # What a bare "2" refers to next: the offered alternatives, or the fallback's questions.
        options: list[Alternative | Suggestion] = []
        if reply.decision is Decision.CLARIFY:
            options = list(reply.alternatives)
        elif reply.decision is Decision.FALLBACK:
            options = list(reply.suggestions)
        pending = [{"id": o.id, "question": o.question} for o in options]
        turns = [*state.get("turns", []), turn][-MAX_TURNS_KEPT:]
        return {**state, "turns": turns, "pending": pending, "shown": shown[-100:]}


def _last_answered(state: SessionState) -> str | None:
    for turn in reversed(state.get("turns", [])):
        if turn.get("answer_id"):
            return str(turn["answer_id"])
    return None


def _previous_question(state: SessionState) -> str | None:
    """The previous turn's subject: the question it answered, else what the reader typed."""
    turns = state.get("turns", [])
    if not turns:
        return None
    last = turns[-1]
    return str(last.get("answer_question") or last.get("understood_as") or last["message"])


def _choose(pending: list[dict[str, str]], message: str) -> str | None:
    """Which pending alternative a message picks: by number, ordinal, id or text."""
    text = message.strip()
    number: int | None = None
    if match := _PICK.match(text):
        number = int(match.group(1))
    elif match := _ORDINAL.search(text):
        number = _ORDINALS[match.group(1).lower()]
    if number is not None:
        if number == -1:
            return pending[-1]["id"]
        return pending[number - 1]["id"] if 1 <= number <= len(pending) else None
    for option in pending:
        if text == option["id"]:
            return option["id"]
    wanted = normalise_question(text)
    scored = [
        (difflib.SequenceMatcher(None, wanted, normalise_question(o["question"])).ratio(), o["id"])
        for o in pending
    ]
    ratio, best = max(scored)
    return best if ratio >= 0.85 else None
