"""askbot's own ``Retriever`` as a ``Ranker``, so the harness measures what users get.

The FAQ entries become one in-memory collection (``corpus_from_entries`` + ``build_index``);
each query goes through ``Retriever.ask_many``, so scoring (with the phrasing classifier a
collection with many alternates fits at build time), calibration (a collection's own, fitted
at build time from its alternates, when it has enough of them) and the decision policy are
exactly those of ``askbot ask`` and the chat API. A ``clarify`` offers the alternatives the
user would see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.embed import Embedder
from askbot.evaluate.datasets import EvalEntry
from askbot.evaluate.ranker import RankerFactory, Ranking
from askbot.fit import fit_classifiers, self_calibrations
from askbot.index import build_index
from askbot.retrieve import Calibration, Decision, DecisionPolicy, Retriever, Scoring

COLLECTION = "eval"


def faq_entries(entries: Sequence[EvalEntry]) -> list[FaqEntry]:
    """An evaluation FAQ as one askbot collection."""
    return [
        FaqEntry(
            id=e.id,
            collection=COLLECTION,
            question=e.question,
            answer=e.answer,
            alternates=e.alternates,
        )
        for e in entries
    ]


class AskbotRanker:
    """Ranks an evaluation FAQ with askbot's ``Retriever`` (calibrated, with decisions)."""

    calibrated = True

    def __init__(
        self,
        entries: Sequence[EvalEntry],
        embedder: Embedder,
        name: str = "askbot",
        *,
        scoring: Scoring | None = None,
        calibration: Calibration | None = None,
        policy: DecisionPolicy | None = None,
        off_topic_share: float | None = None,
    ) -> None:
        self._name = name
        # Fit only what is used: an explicit calibration overrides a self-calibration, and a
        # scoring without the classifier has no use for one (nor its self-calibration's rounds).
        classifies = scoring is None or scoring.classifier_weight > 0
        index = build_index(corpus_from_entries(faq_entries(entries)), embedder)
        if classifies:
            for collection, weights in fit_classifiers(index).items():
                index.set_classifier(collection, weights)
        if calibration is None:
            index.manifest = replace(index.manifest, calibrations=self_calibrations(index))
        self.retriever = Retriever(
            index,
            embedder,
            scoring=scoring,
            calibration=calibration,
            policy=policy,
            off_topic_share=off_topic_share,
        )

    @property
    def name(self) -> str:
        """Label for tables."""
        return self._name

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        """Ask every query; ids and scores are the retriever's candidates, best first."""
        rankings = []
        for answer in self.retriever.ask_many(list(queries)):
            offered = None
            if answer.decision is Decision.CLARIFY:
                # The clarify question lists the alternatives (one entry per question), best
                # first, top candidate included.
                offered = [a.id for a in answer.alternatives]
            rankings.append(
                Ranking(
                    ids=[i for i, _ in answer.candidates],
                    scores=[s for _, s in answer.candidates],
                    confidence=answer.confidence,
                    decision=answer.decision.value,
                    offered=offered,
                )
            )
        return rankings


def askbot_factory(
    embedder: Embedder,
    name: str = "askbot",
    *,
    calibration: Calibration | None = None,
    off_topic_share: float | None = None,
) -> RankerFactory:
    """A factory building an ``AskbotRanker`` over whatever entries the harness passes."""
    return lambda entries: AskbotRanker(
        entries, embedder, name, calibration=calibration, off_topic_share=off_topic_share
    )
