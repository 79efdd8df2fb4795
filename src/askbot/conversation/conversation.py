"""Conversations: follow-ups understood in context, clarifications picked, no dead ends.

A ``Conversation`` turns (session state, message) into (``Reply``, new state); ``reply_async``
is the same for a coroutine, awaiting the encoder without blocking the event loop.

- After a ``clarify``, the reader can pick an alternative by number ("2", "the second"), by its
  id, or by (nearly) its text, and gets that answer.
- Small talk as a whole ("hi", "thanks!", "who are you?", "a human please", "¡gracias!") gets a
  ``SmallTalk`` line in its language and the collection's questions, as a ``fallback`` of
  confidence 0 ``via`` "small-talk".
  A pleasantry in front of a question ("thanks - and what about trade?") is dropped.
- A message that answers on its own with another entry than the last one stands alone.
- Otherwise an elliptical message ("and what about China?", "why?", "why are they...?") is also
  read in context, in a second encoder call: its subject ("China?") followed by the context
  (the previous turn's question; on a first turn, the collection's title), minus a share of
  the context alone, so that the context says what the message is about without pulling the
  reading back to it. The reading with the higher confidence wins. The contextual one skips
  the entry just answered, since a follow-up usually asks for something new, unless the
  message on its own is closest to that entry too ("and the buses?" after the entry on schools
  and transport).
- "tell me more" moves to the entry's follow-ups or its closest unseen neighbour.
- A ``fallback`` offers the collection's questions, the closest first, instead of a dead end.
- A message in another language than English (or to a collection in another language; a
  message too short to tell keeps the conversation's language) is searched in the multilingual
  space, when the index has one; the reply comes in the reader's
  language where a translation file gives it, else with a note naming the answer's language.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from askbot.conversation.languages import ReplyLanguage
from askbot.conversation.localising import ReplyLocaliser
from askbot.conversation.reading import (
    asks_for_more,
    choose,
    contextual_reading,
    contextual_texts,
    focus,
    is_elliptical,
    stands_alone,
)
from askbot.conversation.reply import MESSAGES, Reply
from askbot.conversation.smalltalk import SmallTalk, small_talk_of, strip_pleasantries
from askbot.conversation.state import (
    SessionState,
    last_answered,
    previous_question,
    remembered,
    with_defaults,
)
from askbot.conversation.suggesting import SUGGESTIONS, Suggester
from askbot.corpus import FaqEntry
from askbot.embed import Vectors, encode_async
from askbot.language import LanguageDetector
from askbot.retrieve import Alternative, Answer, Decision, Match, Retriever


@dataclass(frozen=True, slots=True)
class _Turn:
    """One message, read once: a reply already decided (pick, more, small talk), or the question
    to search and, for an elliptical one, the context it may lean on.
    """

    state: SessionState
    message: str
    reply: Reply | None
    texts: list[str]
    context: str | None = None
    retriever: Retriever | None = None  # the space the texts are searched in
    detected: str | None = None  # the message's language, when it could be told
    reader: str = "en"  # the language to answer in: detected, else the page's, else English


@dataclass
class Conversation:
    """Answers messages in the context of a session's earlier turns."""

    retriever: Retriever
    small_talk: SmallTalk = field(default_factory=SmallTalk)
    # The same entries in the multilingual encoder's space, and what tells a message's language.
    multilingual: Retriever | None = None
    detector: LanguageDetector | None = None
    _clock: Any = field(default=time.time, repr=False)
    _suggester: Suggester = field(init=False, repr=False)
    _localising: ReplyLocaliser | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # A Conversation lives exactly as long as its retriever's index, as its memos must.
        self._suggester = Suggester(self.retriever)

    def reply(
        self,
        state: SessionState,
        message: str,
        collection: str | None = None,
        *,
        page_language: str | None = None,
    ) -> tuple[Reply, SessionState]:
        """Answer ``message`` given ``state``; returns the reply and the updated state.

        ``page_language``: the language of the page the reader is on, used to answer when the
        message's own is too short to tell.
        """
        turn = self._read(state, message, collection, page_language)
        if turn.reply is not None or turn.retriever is None:
            return self._finish(turn, turn.reply)
        encoder = turn.retriever.embedder
        bare = self._ask(turn, encoder.encode(turn.texts)[0])
        texts = self._contextual_texts(turn, bare)
        vectors = encoder.encode(texts) if texts else None
        return self._finish(turn, self._search(turn, bare, vectors))

    async def reply_async(
        self,
        state: SessionState,
        message: str,
        collection: str | None = None,
        *,
        page_language: str | None = None,
    ) -> tuple[Reply, SessionState]:
        """``reply`` for a coroutine: the event loop runs on while the message encodes."""
        turn = self._read(state, message, collection, page_language)
        if turn.reply is not None or turn.retriever is None:
            return self._finish(turn, turn.reply)
        encoder = turn.retriever.embedder
        bare = self._ask(turn, (await encode_async(encoder, turn.texts))[0])
        texts = self._contextual_texts(turn, bare)
        vectors = await encode_async(encoder, texts) if texts else None
        return self._finish(turn, self._search(turn, bare, vectors))

    def _read(
        self,
        state: SessionState,
        message: str,
        collection: str | None,
        page_language: str | None = None,
    ) -> _Turn:
        """Decide once how the message is understood: a pick, "more", or a search of texts."""
        state = with_defaults(state, collection)
        detected = self.detector.detect(message).language if self.detector else None
        # A message too short to tell ("Und Japan?") keeps the conversation's language.
        language = detected or state.get("language")
        reader = language or page_language or "en"
        decided = (
            self._pick(state, message)
            or self._more(state, message)
            or self._small_talk(state, message, state.get("language") or page_language)
        )
        if decided is not None:
            return _Turn(state, message, decided, [], detected=detected, reader=reader)
        retriever = self._space(language, state["collection"])
        question = retriever.spelled(strip_pleasantries(message))
        # What an elliptical question leans on: the previous question, else the article's title.
        previous = previous_question(state)
        context = None
        if is_elliptical(question, reader, first=previous is None):
            context = previous if previous is not None else self._title(state)
        return _Turn(state, message, None, [question], context, retriever, detected, reader)

    def _space(self, detected: str | None, collection: str | None) -> Retriever:
        """The English space for an English question to English FAQs (the collection in scope,
        else every one), else the multilingual space when the index has one. A message too
        short to tell its language counts as English."""
        if self.multilingual is None or self._localiser().all_english(detected, collection):
            return self.retriever
        return self.multilingual

    def _localiser(self) -> ReplyLocaliser:
        if self._localising is None:
            self._localising = ReplyLocaliser(self.retriever.index)
        return self._localising

    def _title(self, state: SessionState) -> str | None:
        """The title (else the summary) of the collection in scope, if any."""
        collection = self._scope(state)  # an index of one article needs no collection named
        for candidate in self.retriever.index.collections:
            if candidate.id == collection:
                return candidate.title or candidate.summary or None
        return None

    def _finish(self, turn: _Turn, reply: Reply | None) -> tuple[Reply, SessionState]:
        assert reply is not None  # a turn without a reply has a space to search
        reply = self._localiser().localise(reply, turn.detected, turn.reader)
        return reply, remembered(turn.state, turn.message, reply, self._clock())

    # -- the ways a message is understood ----------------------------------------------------

    def _pick(self, state: SessionState, message: str) -> Reply | None:
        pending: list[dict[str, str]] = state.get("pending") or []
        if not pending:
            return None
        chosen = choose(pending, message)
        if chosen is None:
            return None
        entry = self._entry(chosen)
        if entry is None:
            return None
        # The reader chose it explicitly: as sure as askbot can be.
        return self._answer_reply(entry, 1.0, [], message, "clarification", state)

    def _more(self, state: SessionState, message: str) -> Reply | None:
        last = last_answered(state)
        if last is None or not asks_for_more(message):
            return None
        shown = set(state.get("shown", []))
        entry = self._entry(last)
        if entry is None:
            return None
        following = [e for e in self._suggester.follow_ups(entry) if e.id not in shown]
        following += [e for e in self._suggester.related_to(entry.id, 5) if e.id not in shown]
        if following:
            return self._answer_reply(following[0], 1.0, [], message, "more", state)
        suggestions = self._suggester.after_answer(entry, state)
        return Reply(
            Decision.FALLBACK, 0.0, None, [], suggestions, MESSAGES["more"], message, "more"
        )

    def _small_talk(self, state: SessionState, message: str, preferred: str | None) -> Reply | None:
        # As typed first: the English speller would not know "gracias"; then spelled ("thnaks").
        found = small_talk_of(message, preferred)
        if found is None and (spelled := self.retriever.spelled(message)) != message:
            found = small_talk_of(spelled, preferred)
        if found is None:
            return None
        kind, language = found
        scope = self._scope(state)
        talk = self.small_talk.of(scope)
        suggestions = self._suggester.opening(scope, state, SUGGESTIONS)
        # The phrase tells its language better than a detector can tell from a word or two.
        spoken = ReplyLanguage(language, talk.language_of(kind, language))
        said = talk.reply_to(kind, language)
        return Reply(
            Decision.FALLBACK, 0.0, None, [], suggestions, said, message, "small-talk", spoken
        )

    def _ask(self, turn: _Turn, vector: npt.NDArray[np.float32]) -> Answer:
        """The question as typed (less any pleasantry in front), on its own."""
        assert turn.retriever is not None  # only a turn to search is asked
        return turn.retriever.answer_vector(
            turn.texts[0], vector, turn.state["collection"], language=turn.reader
        )

    def _contextual_texts(self, turn: _Turn, bare: Answer) -> list[str]:
        """What to encode for the reading in context; nothing when the question stands alone.

        A second encoder call, made only for the elliptical questions that need it: most
        questions answer on their own and pay for one text.
        """
        if turn.context is None or stands_alone(bare, last_answered(turn.state)):
            return []
        return contextual_texts(turn.texts[0], turn.context, turn.reader)

    def _search(self, turn: _Turn, bare: Answer, vectors: Vectors | None) -> Reply:
        state, texts = turn.state, turn.texts
        scope: str | None = state["collection"]
        last = last_answered(state)
        answers = [bare]
        readings = [texts[0]]
        if vectors is not None:
            reading = contextual_reading(vectors[0], vectors[1])
            exclude = frozenset({last}) if last and not _still_on(bare, last) else frozenset()
            # Words are matched on the subject alone: the context's words would pull back too.
            subject = focus(texts[0], turn.reader)
            assert turn.retriever is not None  # only a turn to search is searched
            read = turn.retriever.answer_vector(
                subject, reading, scope, exclude=exclude, language=turn.reader
            )
            answers.append(read)
            readings.append(f"{texts[0]} ({turn.context})")
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
            self._suggester.after_fallback(scope, answer),
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
            self._suggester.after_answer(entry, state),
            entry.answer,
            understood_as,
            via,
        )

    def _entry(self, entry_id: str) -> FaqEntry | None:
        return self.retriever.index.entry(entry_id)

    def _scope(self, state: SessionState) -> str | None:
        """The collection in scope: the session's, or the index's only one."""
        ids = self.retriever.index.collection_ids()
        return state["collection"] or (ids[0] if len(ids) == 1 else None)


def _still_on(answer: Answer, last: str) -> bool:
    """Whether a message, read on its own, is closest to the entry just answered."""
    return bool(answer.candidates) and answer.candidates[0][0] == last
