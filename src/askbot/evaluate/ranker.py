"""The interface the harness drives: anything that ranks FAQ entries for a batch of queries.

Baselines (``evaluate.baselines``) and askbot's own retriever both plug in as a ``Ranker``; the
harness builds one per FAQ through a ``RankerFactory``, because the AUROC-sim protocol needs a
second ranker over the FAQ with some entries held out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from askbot.evaluate.datasets import EvalEntry

DECISIONS = ("answer", "clarify", "fallback")


@dataclass(frozen=True)
class Ranking:
    """One query's result: entry ids best first, their scores, a confidence and a decision.

    ``confidence`` is a probability in [0, 1] when the ranker is ``calibrated``, else any raw
    score where higher means surer (a baseline's top-1 score). ``decision`` is one of
    ``answer``/``clarify``/``fallback`` or ``None`` for rankers that do not decide.
    ``offered`` is the ids a ``clarify`` shows the user (``None``: the leading ids, as many as
    the harness default).
    """

    ids: list[str]
    scores: list[float]
    confidence: float
    decision: str | None = None
    offered: list[str] | None = None

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.scores):
            raise ValueError(f"{len(self.ids)} ids but {len(self.scores)} scores")
        if self.decision is not None and self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {self.decision!r}")


@runtime_checkable
class Ranker(Protocol):
    """Ranks the FAQ entries it was built over, for many queries at once."""

    @property
    def name(self) -> str:
        """A short label for tables (``MiniLM q-Q``, ``askbot``)."""
        ...

    @property
    def calibrated(self) -> bool:
        """True when ``Ranking.confidence`` is a probability (so ECE applies)."""
        ...

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        """Return one ``Ranking`` per query, in order."""
        ...


# Builds a ranker over some FAQ entries (all of them, or what ``hold_out`` left).
RankerFactory = Callable[[Sequence[EvalEntry]], Ranker]
