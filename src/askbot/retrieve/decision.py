"""The three things askbot can do with a question, and the thresholds that choose one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    """What askbot does with a question."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    """Thresholds on confidence that pick answer, clarify or fallback."""

    answer_threshold: float = 0.5  # answer when P(correct) is at least this
    clarify_margin: float = 0.07  # top two closer than this in score are "too close to separate"
    clarify_threshold: float = 0.2  # ...and each must be at least this plausible on its own
    # ...unless only one of the two asks for what the question asks (a reason, a time...).
    question_kinds: bool = True

    def decide(self, confidence: float, plausibility: Sequence[float], margin: float) -> Decision:
        """Pick the decision for a ranked candidate list."""
        if (
            len(plausibility) >= 2
            and margin < self.clarify_margin
            and min(plausibility[0], plausibility[1]) >= self.clarify_threshold
        ):
            return Decision.CLARIFY
        if confidence >= self.answer_threshold:
            return Decision.ANSWER
        return Decision.FALLBACK
