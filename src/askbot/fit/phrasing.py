"""Fitting per-collection phrasing classifiers: which of its entries does a question ask?

An intent-style FAQ gives each entry many phrasings ("reset my PIN", "I forgot my PIN", ...).
Nearest-phrasing cosine looks at one phrasing at a time; a multinomial logistic regression
(scikit-learn) over all of a collection's phrasing vectors learns which directions of the
embedding separate its entries from one another, the standard few-shot intent classifier over
a frozen sentence encoder. ``Retriever`` blends its probability into each entry's score
(``Scoring.classifier_weight``, ``askbot.retrieve.phrasing``).

It is fitted at build time from the vectors the index already holds (no text is encoded
again, no query is used) for a collection of ``MIN_ENTRIES`` or more that gives almost every
entry two or more alternates (``MIN_SHARE_WITH_ALTERNATES``) and is small enough to fit in
seconds (``MAX_ENTRIES``). The other collections score as before. ``C`` and the blend weight
were chosen on clinc150's own alternates, each third in turn held out of the index and asked
(docs/quality.md); quality on other FAQs: the same page; build time:
``benchmarks/bench_self_calibration.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from askbot.corpus import FaqEntry
from askbot.index import ClassifierWeights, FaqIndex, VectorKind

# Two alternates per entry are enough: on FAQs of 10-30 clinc150 intents with 2 or 4 each,
# asked clinc150 dev, the classifier raised recall@1, MRR and AUROC in every draw. With 5
# entries it was a coin toss, so smaller collections score by their cosines alone.
MIN_ENTRIES = 10
MIN_SHARE_WITH_ALTERNATES = 0.8  # entries with at least 2; an entry without would be starved
# Classes: the fit's time grows with classes x phrasings, and self-calibration fits six more
# (docs/performance.md).
MAX_ENTRIES = 500
C = 10.0  # inverse L2 strength; 10-100 were best on held-out alternates, 1 underfits
# Stop when no weight's gradient of the mean loss exceeds this over the number of classes. The
# gradient per weight shrinks with the classes: scikit-learn's fixed default (1e-4, what this
# gives at 150) stopped a 2,000-entry fit before its first step, with every weight 0.
TOLERANCE_TIMES_CLASSES = 0.015
MAX_ITERATIONS = 1_000


def can_classify(entries: list[FaqEntry]) -> bool:
    """Whether a collection's entries give a classifier enough phrasings to learn from."""
    if not MIN_ENTRIES <= len(entries) <= MAX_ENTRIES:
        return False
    with_alternates = [e for e in entries if len(e.alternates) >= 2]
    return len(with_alternates) >= MIN_SHARE_WITH_ALTERNATES * len(entries)


def fit_classifiers(
    index: FaqIndex, collections: Sequence[str] | None = None
) -> dict[str, ClassifierWeights]:
    """A classifier for each collection of ``index`` (of ``collections``, default all) that can
    have one."""
    return {
        collection: fit_classifier(index, collection)
        for collection in (index.collection_ids() if collections is None else collections)
        if can_classify([index.entries[p] for p in index.entries_of(collection)])
    }


def fit_classifier(index: FaqIndex, collection: str) -> ClassifierWeights:
    """Fit one collection's classifier on its question and alternate vectors.

    Its classes are the collection's entries in index order; returns one row per entry,
    the coefficients then the intercept.
    """
    positions = index.entries_of(collection)
    ids, owner = index.vector_ids_of_many(positions)
    phrasing = index.rows[ids, 1] <= VectorKind.ALTERNATE  # its question and alternates
    x, y = index.vectors_at(ids[phrasing]), owner[phrasing]
    tolerance = TOLERANCE_TIMES_CLASSES / len(positions)
    from sklearn.linear_model import LogisticRegression  # a second to import: only to fit

    model = LogisticRegression(C=C, tol=tolerance, max_iter=MAX_ITERATIONS).fit(x, y)
    coef = model.coef_.astype(np.float32)
    intercept = model.intercept_.astype(np.float32)
    if len(positions) == 2:
        # A binary fit is one logit difference; as two softmax rows it is ±half of it.
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    return np.column_stack([coef, intercept])
