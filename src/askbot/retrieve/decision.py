"""The three things askbot can do with a question, and the thresholds that choose one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from askbot.index import SMALL_FAQ_ENTRIES


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
    # In an article-sized FAQ, at this confidence the top is answered even with a close
    # runner-up: the calibration has already weighed the margin (``for_size``).
    sure_threshold: float = 0.6

    def for_size(self, entries: int) -> DecisionPolicy:
        """The policy as a collection of ``entries`` reads it. Only an article-sized one answers
        over a close runner-up when sure: a large FAQ's close entries are often near-twins,
        and there the reader's choice beats a confident pick."""
        if entries <= SMALL_FAQ_ENTRIES:
            return self
        return replace(self, sure_threshold=math.inf)

    def decide(self, confidence: float, plausibility: Sequence[float], margin: float) -> Decision:
        """Pick the decision for a ranked candidate list."""
        if confidence >= self.sure_threshold:
            return Decision.ANSWER
        if (
            len(plausibility) >= 2
            and margin < self.clarify_margin
            and min(plausibility[0], plausibility[1]) >= self.clarify_threshold
        ):
            return Decision.CLARIFY
        if confidence >= self.answer_threshold:
            return Decision.ANSWER
        return Decision.FALLBACK
