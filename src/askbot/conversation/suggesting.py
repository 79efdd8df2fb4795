"""What askbot offers a reader next: after an answer, its follow-ups and closest unseen
neighbours; after a fallback, the closest guesses and then the collection's opening questions;
after small talk, the opening questions.

Every list is cut to a few items before it is built, so a fallback in a collection of any size
costs the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from askbot.conversation.reply import Suggestion
from askbot.conversation.state import SessionState
from askbot.corpus import FaqEntry, normalise_question
from askbot.retrieve import Answer, Retriever

SUGGESTIONS = 3  # offered after an answer or small talk
FALLBACK_SUGGESTIONS = 6  # offered after a fallback, instead of a dead end
# Entries whose neighbours a Suggester remembers before starting over.
_RELATED_MEMO_SIZE = 20_000


@dataclass
class Suggester:
    """The questions to offer next, from one index.

    It lives exactly as long as its retriever's index (a reload makes a new one), so its memos
    never go stale. Without them every answer re-normalised every question of its collection
    and re-ranked its neighbours.
    """

    retriever: Retriever
    _by_question: dict[tuple[str, str], FaqEntry] | None = field(
        default=None, init=False, repr=False
    )
    _related: dict[tuple[str, int], list[FaqEntry]] = field(
        default_factory=dict, init=False, repr=False
    )

    def after_answer(self, entry: FaqEntry, state: SessionState) -> list[Suggestion]:
        """Follow-ups first, then the closest questions the reader has not seen yet."""
        shown = set(state.get("shown", [])) | {entry.id}
        pool = self.follow_ups(entry) + self.related_to(entry.id, SUGGESTIONS + 3)
        picked: dict[str, Suggestion] = {}
        for candidate in pool:
            if candidate.id not in shown and candidate.id not in picked:
                picked[candidate.id] = Suggestion(candidate.id, candidate.question)
        return list(picked.values())[:SUGGESTIONS]

    def after_fallback(self, scope: str | None, answer: Answer) -> list[Suggestion]:
        """The collection's questions (the one in scope, or the closest), its closest guesses
        first, so that a question askbot was unsure of still leads to its entry."""
        guesses = [e for a in answer.alternatives if (e := self.retriever.index.entry(a.id))]
        collection = scope if scope is not None else (guesses[0].collection if guesses else None)
        closest = [Suggestion(e.id, e.question) for e in guesses if e.collection == collection]
        chosen = {s.id for s in closest}
        opening = self.opening(collection, None, FALLBACK_SUGGESTIONS + len(closest))
        return (closest + [s for s in opening if s.id not in chosen])[:FALLBACK_SUGGESTIONS]

    def opening(
        self, collection: str | None, state: SessionState | None, limit: int
    ) -> list[Suggestion]:
        """The first ``limit`` questions of a collection, skipping those the session was shown."""
        if collection is None:
            return []
        shown = set(state.get("shown", [])) if state else set()
        index = self.retriever.index
        entries = (index.entries[int(p)] for p in index.entries_of(collection))
        unseen = (Suggestion(e.id, e.question) for e in entries if e.id not in shown)
        return list(islice(unseen, limit))

    def follow_ups(self, entry: FaqEntry) -> list[FaqEntry]:
        """The entries ``entry`` names as its follow-ups, by id or by question."""
        found = []
        for reference in entry.follow_ups:
            target = self.retriever.index.entry(reference) or self._question_lookup().get(
                (entry.collection, normalise_question(reference))
            )
            if target is not None and target.id != entry.id:
                found.append(target)
        return found

    def related_to(self, entry_id: str, limit: int) -> list[FaqEntry]:
        """``Retriever.related``, remembered: the same index always gives the same neighbours."""
        key = (entry_id, limit)
        found = self._related.get(key)
        if found is None:
            if len(self._related) >= _RELATED_MEMO_SIZE:
                self._related.clear()  # a crude bound; entries answered often come back quickly
            found = self._related[key] = self.retriever.related(entry_id, limit=limit)
        return found

    def _question_lookup(self) -> dict[tuple[str, str], FaqEntry]:
        """(collection, normalised question) -> entry; the last entry wins, as in the corpus."""
        if self._by_question is None:
            self._by_question = {
                (e.collection, normalise_question(e.question)): e
                for e in self.retriever.index.entries
            }
        return self._by_question
