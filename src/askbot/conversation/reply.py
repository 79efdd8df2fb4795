"""What askbot says to one message: the ``Reply`` and the suggestions it offers next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from askbot.conversation.languages import ReplyLanguage
from askbot.retrieve import Alternative, Answer, Decision, Match

ENGLISH = ReplyLanguage(None, "en")  # a reply before its language is known

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
    via: str  # "search", "follow-up", "clarification", "more" or "small-talk"
    language: ReplyLanguage = ENGLISH

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
            "language": self.language.to_dict(),
        }

    def options(self) -> list[Alternative | Suggestion]:
        """What a bare "2" picks next: a clarify's alternatives, a fallback's questions."""
        if self.decision is Decision.CLARIFY:
            return list(self.alternatives)
        if self.decision is Decision.FALLBACK:
            return list(self.suggestions)
        return []
