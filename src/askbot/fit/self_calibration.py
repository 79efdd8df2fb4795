"""Confidence calibration fitted per collection, at build time, from the FAQ's own alternates.

The default ``Calibration`` was fitted on other FAQs. A collection whose entries carry
alternate phrasings already says what its users' questions look like, so it can calibrate
itself without a single labelled query:

- its alternates are split into ``FOLDS`` folds; each fold in turn leaves the index and is
  asked as questions (the right answer is the entry it came from);
- in each round a fifth of the entries (``HOLD_OUT``) also leave the index, so their
  held-out alternates have no right answer, like questions the FAQ does not cover;
- all of it ``REPEATS`` times with fresh folds and fresh held-out entries, since which few
  entries happen to be held out moves the fit;
- a two-part ``Calibration`` (in scope, and top-1 right if in scope) is fitted on
  (top score, margin), exactly as ``fit.calibration.fit_calibration`` does on labelled queries.

A collection with a phrasing classifier gets one in every round too, fitted on what that
round's index holds, so the scores calibrated are the ones it will serve.

Everything reuses the vectors the build already made: no text is encoded twice. A collection
without enough alternates (``MIN_QUESTIONS``), or too large to re-rank cheaply
(``MAX_ENTRIES``), keeps the model's default. Quality: docs/quality.md; build time:
``benchmarks/bench_self_calibration.py``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.corpus.entries import normalise_question
from askbot.embed import Vectors
from askbot.fit.calibration import ASSUMED_OFF_TOPIC_SHARE, calibration_examples, fit_calibration
from askbot.fit.phrasing import fit_classifier
from askbot.index import FaqIndex, build_index, entry_texts, multilingual_texts
from askbot.retrieve import Calibration, Retriever, calibration_to_dict, default_calibration

FOLDS = 3
REPEATS = 2
HOLD_OUT = ASSUMED_OFF_TOPIC_SHARE  # share of entries left out of each round's index
MIN_QUESTIONS = 150  # held-out alternates needed for two weights and an intercept
MIN_EACH_OUTCOME = 10  # right and out-of-scope examples each, or the fit says nothing
MAX_ENTRIES = 5_000  # beyond this, six extra in-memory indexes cost more than they give
MAX_QUESTIONS_PER_FOLD = 1_000
SEED = 0


class StoredTextVectors:
    """An ``Embedder`` that answers from the vectors an index already holds for its texts."""

    def __init__(self, index: FaqIndex, collections: Sequence[str] | None = None) -> None:
        """``collections``: only their entries' texts are looked up (default: every entry's)."""
        # A multilingual space also holds its entries' translations, embedded the same way.
        self.multilingual = index.manifest.translations_embedded
        embedded = multilingual_texts if self.multilingual else entry_texts
        # Which collections' answers the index split into sentences: a round's index does too.
        self.sentences_in = index.sentence_languages()
        positions: Iterable[int] = range(len(index.entries))
        if collections is not None:
            positions = (int(p) for c in collections for p in index.entries_of(c))
        self._row_of: dict[str, int] = {}
        for position in positions:
            entry = index.entries[position]
            texts = embedded(entry, self.sentences_in.get(entry.collection))
            rows = index.vector_ids_of(position)
            if len(texts) != len(rows):
                raise ValueError(f"index rows do not match the texts of entry {entry.id!r}")
            self._row_of.update(
                (text, int(row)) for (_, text), row in zip(texts, rows, strict=True)
            )
        self._index = index
        self.model_id = index.model_id
        self.dimension = index.manifest.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        """The stored vector of each text (``KeyError`` for a text the index does not hold)."""
        rows = np.fromiter((self._row_of[t] for t in texts), dtype=np.int64, count=len(texts))
        return self._index.vectors_at(rows)


def self_calibrations(
    index: FaqIndex, collections: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """For each collection (of ``collections``, default all) that can calibrate itself, its
    fitted weights (as stored in the manifest); the others are absent and use the model's
    default."""
    collections = index.collection_ids() if collections is None else collections
    if not collections:
        return {}
    embedder = StoredTextVectors(index, collections)
    fitted = {}
    for collection in collections:
        entries = [index.entries[p] for p in index.entries_of(collection)]
        classified = collection in index.classifiers
        calibration, questions = fit_collection(entries, embedder, classified=classified)
        if calibration is not None:
            fitted[collection] = {**calibration_to_dict(calibration), "questions": questions}
    return fitted


def fit_collection(
    entries: Sequence[FaqEntry],
    embedder: StoredTextVectors,
    *,
    min_questions: int = MIN_QUESTIONS,
    classified: bool = False,
) -> tuple[Calibration | None, int]:
    """The calibration one collection's alternates support, and how many questions it used.

    ``classified``: the collection has a phrasing classifier, so each round's index fits one.
    """
    if len(entries) > MAX_ENTRIES:
        return None, 0
    rng = random.Random(SEED)
    if sum(len(e.alternates) for e in entries if len(e.alternates) >= 2) < min_questions:
        return None, 0
    groups = sorted({normalise_question(e.question) for e in entries})
    features: list[npt.NDArray[np.float64]] = []
    labels: list[npt.NDArray[np.int64]] = []
    in_scope: list[npt.NDArray[np.bool_]] = []
    for _ in range(REPEATS):
        folds = [_fold_of_alternates(entry, rng) for entry in entries]
        for fold in range(FOLDS):
            held = set(rng.sample(groups, round(len(groups) * HOLD_OUT)))
            x, y, i = _fold_examples(entries, folds, fold, held, embedder, rng, classified)
            features.append(x)
            labels.append(y)
            in_scope.append(i)
    x, y, i = np.concatenate(features), np.concatenate(labels), np.concatenate(in_scope)
    # Wrong answers to in-scope phrasings may be rare: ``fit_calibration`` then takes their rate.
    if min(int(y.sum()), int((~i).sum())) < MIN_EACH_OUTCOME:
        return None, 0
    calibration = fit_calibration(x, y, i, margin_cap=math.inf)
    # A fit leaves out a feature it would weigh below zero; one whose in-scope part ignores
    # the score cannot tell a question the FAQ answers from one it does not.
    if calibration.in_scope.score_weight == 0:
        return None, 0
    return calibration, len(y)


def _fold_examples(
    entries: Sequence[FaqEntry],
    folds: list[list[int]],
    fold: int,
    held_groups: set[str],
    embedder: StoredTextVectors,
    rng: random.Random,
    classified: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Calibration examples of one round: ``fold``'s alternates asked of an index without
    them and without the entries of ``held_groups`` (whose alternates have no right answer)."""
    kept: list[FaqEntry] = []
    asked: list[tuple[str, str | None]] = []  # (question, group that answers it, if kept)
    for entry, entry_folds in zip(entries, folds, strict=True):
        group = normalise_question(entry.question)
        held = group in held_groups
        if not held:
            kept.append(_without_fold(entry, entry_folds, fold))
        asked += [
            (a, None if held else group)
            for a, f in zip(entry.alternates, entry_folds, strict=False)
            if f == fold
        ]
    if len(asked) > MAX_QUESTIONS_PER_FOLD:
        asked = rng.sample(asked, MAX_QUESTIONS_PER_FOLD)
    # Entries asking one question share the right: any of them answers it.
    answers: dict[str, set[str]] = {}
    for entry in kept:
        answers.setdefault(normalise_question(entry.question), set()).add(entry.id)
    embedded = multilingual_texts if embedder.multilingual else entry_texts
    split = embedder.sentences_in
    vectors = sum(len(embedded(e, split.get(e.collection))) for e in kept)
    index = build_index(
        corpus_from_entries(kept),
        embedder,
        exact_limit=vectors,
        multilingual=embedder.multilingual,
        sentences_in=split,
    )
    if classified:
        # Its collection has a classifier in service, so the round fits one too, whether or
        # not the round's fewer alternates would qualify on their own.
        for collection in index.collection_ids():
            index.set_classifier(collection, fit_classifier(index, collection))
    # Any calibration will do: the examples are the raw (top score, margin) features. The
    # alternates are asked as written: only their stored vectors exist, not a corrected text's.
    retriever = Retriever(
        index,
        embedder,
        calibration=default_calibration(index.model_id),
        spelling=False,
        english=not embedder.multilingual,
    )
    return calibration_examples(
        retriever,
        [question for question, _ in asked],
        [set() if group is None else answers[group] for _, group in asked],
    )


def _without_fold(entry: FaqEntry, folds: list[int], fold: int) -> FaqEntry:
    """The entry without its alternates of ``fold`` (unchanged if it takes part in none)."""
    if not folds:
        return entry
    kept = tuple(a for a, f in zip(entry.alternates, folds, strict=True) if f != fold)
    return replace(entry, alternates=kept)


def _fold_of_alternates(entry: FaqEntry, rng: random.Random) -> list[int]:
    """The fold each of the entry's alternates is asked in; none for fewer than two (an entry
    must keep a phrasing besides its question for its alternates to be worth asking)."""
    count = len(entry.alternates)
    if count < 2:
        return []
    order = rng.sample(range(count), count)
    folds = [0] * count
    for rank, alternate in enumerate(order):
        folds[alternate] = rank % FOLDS
    return folds
