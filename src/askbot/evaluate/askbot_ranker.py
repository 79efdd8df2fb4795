"""askbot's own ``Retriever`` as a ``Ranker``, so the harness measures what users get.

The FAQ entries become one in-memory collection (``corpus_from_entries`` + ``build_index``);
each query goes through ``Retriever.ask_many``, so scoring (with the phrasing classifier a
collection with many alternates fits at build time), calibration (a collection's own, fitted
at build time from its alternates, when it has enough of them) and the decision policy are
exactly those of ``askbot ask`` and the chat API. A ``clarify`` offers the alternatives the
user would see. Given a multilingual encoder, the FAQ is embedded with it too, and a query that
the language detector reads as another language than English is asked there, as in serving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.embed import Embedder
from askbot.evaluate.datasets import EvalEntry
from askbot.evaluate.ranker import RankerFactory, Ranking
from askbot.fit import fit_classifiers, self_calibrations
from askbot.index import FaqIndex, build_index
from askbot.language import LanguageDetector
from askbot.retrieve import Answer, Calibration, Decision, DecisionPolicy, Retriever, Scoring

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
        multilingual: Embedder | None = None,
        detector: LanguageDetector | None = None,
        as_large_faq: bool = False,
        spelling: bool = True,
    ) -> None:
        """``as_large_faq``: answers are not split into sentences, whatever the FAQ's size, as
        in a collection of more than ``SMALL_FAQ_ENTRIES`` entries. ``spelling``: the queries are
        English: their typos are corrected before ``embedder`` reads them, and their opening
        words may settle a close call (off when it is the multilingual encoder, whose queries
        are not English)."""
        self._name = name
        corpus = corpus_from_entries(faq_entries(entries))
        # Fit only what is used: an explicit calibration overrides a self-calibration, and a
        # scoring without the classifier has no use for one (nor its self-calibration's rounds).
        classifies = scoring is None or scoring.classifier_weight > 0

        def retriever(
            index: FaqIndex, encoder: Embedder, own: Calibration | None, *, spelling: bool = True
        ) -> Retriever:
            if classifies:
                for collection, weights in fit_classifiers(index).items():
                    index.set_classifier(collection, weights)
            if own is None:
                index.manifest = replace(index.manifest, calibrations=self_calibrations(index))
            return Retriever(
                index,
                encoder,
                scoring=scoring,
                calibration=own,
                policy=policy,
                off_topic_share=off_topic_share,
                spelling=spelling,
                english=spelling,
            )

        split: dict[str, str] | None = {} if as_large_faq else None
        self.retriever = retriever(
            build_index(corpus, embedder, sentences_in=split),
            embedder,
            calibration,
            spelling=spelling,
        )
        # A calibration fitted on the served encoder's scores does not fit the other's.
        self.multilingual = (
            retriever(
                build_index(corpus, multilingual, multilingual=True, sentences_in=split),
                multilingual,
                None,
                spelling=False,
            )
            if multilingual is not None
            else None
        )
        self.detector = detector or (LanguageDetector() if multilingual is not None else None)

    @property
    def name(self) -> str:
        """Label for tables."""
        return self._name

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        """Ask every query; ids and scores are the retriever's candidates, best first."""
        rankings = []
        for answer in self._answers(list(queries)):
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

    def _answers(self, queries: list[str]) -> list[Answer]:
        """Each query asked in its space: English ones in the served encoder's, others in the
        multilingual one (when there is one)."""
        if self.multilingual is None or self.detector is None:
            return self.retriever.ask_many(queries)
        other = [(self.detector.detect(q).language or "en") != "en" for q in queries]
        english = iter(
            self.retriever.ask_many([q for q, o in zip(queries, other, strict=True) if not o])
        )
        foreign = iter(
            self.multilingual.ask_many([q for q, o in zip(queries, other, strict=True) if o])
        )
        return [next(foreign) if o else next(english) for o in other]


def askbot_factory(
    embedder: Embedder,
    name: str = "askbot",
    *,
    calibration: Calibration | None = None,
    off_topic_share: float | None = None,
    multilingual: Embedder | None = None,
) -> RankerFactory:
    """A factory building an ``AskbotRanker`` over whatever entries the harness passes."""
    detector = LanguageDetector() if multilingual is not None else None
    return lambda entries: AskbotRanker(
        entries,
        embedder,
        name,
        calibration=calibration,
        off_topic_share=off_topic_share,
        multilingual=multilingual,
        detector=detector,
    )
