"""askbot's own ``Retriever`` as a ``Ranker``, so the harness measures what users get.

The FAQ entries become one in-memory collection (``corpus_from_entries`` + ``build_index``);
each query goes through ``Retriever.ask_many``, so scoring (with the phrasing classifier a
collection with many alternates fits at build time), calibration (a collection's own, fitted
at build time from its alternates, when it has enough of them) and the decision policy are
exactly those of ``askbot ask`` and the chat API. A ``clarify`` offers the alternatives the
user would see. Given a multilingual encoder, the FAQ is embedded with it too, and a query that
the language detector reads as another language than English is asked there, as in serving.
Given the collection's title (``context``), each query is read as the chat reads a reader's
first message on the article: one that leans on it ("why are they getting closer?") and does
not answer on its own is also read against the title, and the reading with the higher
confidence counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from askbot.conversation.reading import (
    contextual_reading,
    contextual_texts,
    focus,
    is_elliptical,
    stands_alone,
)
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
        context: str | None = None,
    ) -> None:
        """``as_large_faq``: answers are not split into sentences, whatever the FAQ's size, as
        in a collection of more than ``SMALL_FAQ_ENTRIES`` entries. ``spelling``: the queries are
        English: their typos are corrected before ``embedder`` reads them, and a query given
        without its language is read as English when a close call is settled (off when it is
        the multilingual encoder, whose queries are read in the language detected). ``context``:
        the title (else summary) of the article the FAQ is under."""
        self._name = name
        self.context = context or None
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
        for answer in self.answers(list(queries)):
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

    def answers(self, queries: list[str]) -> list[Answer]:
        """Each query asked in its space: English ones in the served encoder's, others in the
        multilingual one (when there is one); read in context when it leans on the article."""
        languages = [self._language(q) for q in queries]
        answers: dict[int, Answer] = {}
        for space, asked in self._spaces(languages):
            spoken = [languages[i] for i in asked]
            replies = space.ask_many([queries[i] for i in asked], languages=spoken)
            for i, answer in zip(asked, replies, strict=True):
                answers[i] = self._in_context(space, answer, languages[i])
        return [answers[i] for i in range(len(queries))]

    def _language(self, query: str) -> str | None:
        """The query's language as the chat detects it; ``None`` (the space's own reading)
        without a multilingual space."""
        if self.multilingual is None or self.detector is None:
            return None
        return self.detector.detect(query).language or "en"

    def _spaces(self, languages: list[str | None]) -> list[tuple[Retriever, list[int]]]:
        """Which queries (by position) each space answers."""
        if self.multilingual is None:
            return [(self.retriever, list(range(len(languages))))]
        english = [i for i, language in enumerate(languages) if language == "en"]
        other = [i for i, language in enumerate(languages) if language != "en"]
        return [(self.retriever, english), (self.multilingual, other)]

    def _in_context(self, space: Retriever, bare: Answer, language: str | None) -> Answer:
        """``bare``, or its question read against the article's title when it leans on it and
        does not answer on its own, whichever is the more confident (``Conversation``)."""
        question = bare.question  # as the retriever spelled it
        if (
            self.context is None
            or stands_alone(bare, None)  # a first message: nothing answered before it
            or not is_elliptical(question, language, first=True)
        ):
            return bare
        texts = contextual_texts(question, self.context, language)
        reading = contextual_reading(*space.embedder.encode(texts))
        read = space.answer_vector(focus(question, language), reading, language=language)
        return read if read.confidence > bare.confidence else bare


def askbot_factory(
    embedder: Embedder,
    name: str = "askbot",
    *,
    calibration: Calibration | None = None,
    off_topic_share: float | None = None,
    multilingual: Embedder | None = None,
    context: str | None = None,
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
        context=context,
    )
