"""What asking one question returns: the decision, the confidence and the entries involved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askbot.corpus import FaqEntry
from askbot.retrieve.decision import Decision


@dataclass(frozen=True, slots=True)
class Match:
    """An FAQ entry that a question matched."""

    id: str
    question: str
    text: str
    collection: str

    @classmethod
    def of(cls, entry: FaqEntry) -> Match:
        """The public view of an entry."""
        return cls(entry.id, entry.question, entry.answer, entry.collection)


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another entry the question might have meant, with its own plausibility."""

    id: str
    question: str
    confidence: float
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of asking one question."""

    question: str
    decision: Decision
    confidence: float
    answer: Match | None
    alternatives: list[Alternative]
    score: float = 0.0  # the leading entry's score, which the confidence reads with the margin
    # (entry id, score), best first; the entry askbot leads with first (``question_kind``).
    candidates: list[tuple[str, float]] = field(default_factory=list)
    # The leading score over the best entry asking a different question, or over the next one
    # when the question's kind put the runner-up out of the running.
    margin: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an answer, which the chat API's reply body (``Reply.to_dict``)
        extends."""
        return {
            "decision": self.decision.value,
            "confidence": round(self.confidence, 4),
            "answer": None
            if self.answer is None
            else {
                "id": self.answer.id,
                "question": self.answer.question,
                "text": self.answer.text,
                "collection": self.answer.collection,
            },
            "alternatives": [
                {"id": a.id, "question": a.question, "confidence": round(a.confidence, 4)}
                for a in self.alternatives
            ],
        }
