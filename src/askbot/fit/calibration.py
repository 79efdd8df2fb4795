"""Fitting ``Calibration``: P(in scope) and P(top-1 right | in scope), each a logistic
regression on (top score, margin).

Examples come from labelled questions asked of a ``Retriever`` (a set's train/dev split, or
questions whose entries were held out of the index, which become out-of-scope: label 0).
A probability depends on how often questions are unanswerable. A calibration fitted on one
FAQ assumes a fifth are (``ASSUMED_OFF_TOPIC_SHARE``), and ``prior_weights`` makes labelled
questions with another share count as if they had that one. The share a calibration was
fitted under is stored with it, so the traffic's own share can replace it when it is known
(``Calibration.off_topic_share``).

The margin cap trades two goods. Uncapped, a large margin over a weak runner-up raises the
confidence, which best predicts "top-1 is right" among in-scope questions; capped, only a
*small* margin lowers it, so an out-of-scope question far from everything but nearer one entry
than the others no longer looks answerable. ``choose_margin_cap`` picks the cap on labelled
development questions, by how well the confidence separates in-scope from out-of-scope.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import numpy as np
import numpy.typing as npt

from askbot.retrieve import Calibration, Logistic, Retriever

MARGIN_CAPS = (math.inf, 0.2, 0.1, 0.05)  # candidates of ``choose_margin_cap``, loosest first
# A tighter cap must beat a looser one by more than this AUROC: a tie keeps the margin's power.
CAP_AUROC_GAIN = 0.002
# Share of out-of-scope questions a calibration fitted on one FAQ assumes: a collection's own
# (``self_calibration`` holds this share of its entries out) and one refitted on a train split.
ASSUMED_OFF_TOPIC_SHARE = 0.2


def calibration_examples(
    retriever: Retriever,
    questions: Sequence[str],
    relevant: Sequence[AbstractSet[str]],
    *,
    batch_size: int = 256,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Features (top score, margin), labels (top-1 among ``relevant``) and in-scope flags
    (``relevant`` is not empty) of each question."""
    rows: list[tuple[float, float]] = []
    labels: list[int] = []
    for start in range(0, len(questions), batch_size):
        batch = list(questions[start : start + batch_size])
        for answer, right in zip(
            retriever.ask_many(batch), relevant[start : start + batch_size], strict=True
        ):
            top = answer.candidates[0][0] if answer.candidates else None
            rows.append((answer.score, answer.margin))
            labels.append(int(top is not None and top in right))
    in_scope = np.array([bool(right) for right in relevant], dtype=bool)
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, 2),
        np.asarray(labels, dtype=np.int64),
        in_scope,
    )


def fit_calibration(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    in_scope: npt.NDArray[np.bool_],
    *,
    margin_cap: float | None = None,
    weights: npt.NDArray[np.float64] | None = None,
) -> Calibration:
    """The ``Calibration`` that best predicts ``labels`` (top-1 right) and ``in_scope`` from
    ``features``, each example counting ``weights`` times (once each when ``None``)."""
    if in_scope.all() or not in_scope.any():
        raise ValueError("calibration needs in-scope and out-of-scope questions")
    cap = math.inf if margin_cap is None else margin_cap
    features = np.column_stack([features[:, 0], np.minimum(features[:, 1], cap)])
    weights = np.ones(len(labels)) if weights is None else weights
    fitted_share = float(weights[~in_scope].sum() / weights.sum())
    return Calibration(
        in_scope=_fit_logistic(features, in_scope.astype(np.int64), weights),
        right_if_in_scope=_fit_logistic(features[in_scope], labels[in_scope], weights[in_scope]),
        fitted_off_topic_share=fitted_share,
        margin_cap=cap,
    )


def _fit_logistic(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
) -> Logistic:
    if len(set(labels.tolist())) < 2:
        # Every in-scope question right (a small FAQ's train split can manage it): the scores
        # say nothing about the rare miss, so the rate alone, with half a miss and half a hit
        # added so that it is never 0 or 1.
        hits = float(weights[labels == 1].sum())
        misses = float(weights[labels == 0].sum())
        share = (hits + 0.5) / (hits + misses + 1.0)
        return Logistic(
            intercept=math.log(share / (1 - share)), score_weight=0.0, margin_weight=0.0
        )
    # Mild regularisation: two features and thousands of examples, so the fit is stable.
    from sklearn.linear_model import LogisticRegression  # a second to import: only to fit

    # Confidence must never fall as the score or the margin grows. A feature the fit weighs
    # below zero says nothing there (the weight is noise around 0, and its sign can flip from
    # one machine's vectors to another's): it is left out and the rest fitted again.
    kept = [0, 1]
    while True:
        model = LogisticRegression(C=10.0).fit(features[:, kept], labels, sample_weight=weights)
        negative = [k for k, w in zip(kept, model.coef_[0], strict=True) if w < 0]
        if not negative:
            break
        kept = [k for k in kept if k not in negative]
        if not kept:
            share = float(weights[labels == 1].sum() / weights.sum())
            return Logistic(math.log(share / (1 - share)), 0.0, 0.0)
    weight = dict(zip(kept, model.coef_[0].tolist(), strict=True))
    return Logistic(
        intercept=float(model.intercept_[0]),
        score_weight=weight.get(0, 0.0),
        margin_weight=weight.get(1, 0.0),
    )


def choose_margin_cap(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    in_scope: npt.NDArray[np.bool_],
    dev_features: npt.NDArray[np.float64],
    dev_in_scope: npt.NDArray[np.bool_],
    *,
    weights: npt.NDArray[np.float64] | None = None,
) -> Calibration:
    """Fit on (``features``, ``labels``, ``in_scope``, ``weights``) with the cap of
    ``MARGIN_CAPS`` that, on the dev questions, best separates in-scope (``dev_in_scope``) from
    out-of-scope by confidence."""
    from sklearn.metrics import roc_auc_score

    if dev_in_scope.all() or not dev_in_scope.any():
        raise ValueError("choosing a margin cap needs in-scope and out-of-scope dev questions")
    best: tuple[float, Calibration] | None = None
    for cap in MARGIN_CAPS:
        calibration = fit_calibration(features, labels, in_scope, margin_cap=cap, weights=weights)
        confidence = [calibration.probability(s, m) for s, m in dev_features]
        auroc = float(roc_auc_score(dev_in_scope, confidence))
        if best is None or auroc > best[0] + CAP_AUROC_GAIN:
            best = (auroc, calibration)
    assert best is not None
    return best[1]


def prior_weights(
    in_scope: npt.NDArray[np.bool_], off_topic_share: float = ASSUMED_OFF_TOPIC_SHARE
) -> npt.NDArray[np.float64]:
    """Example weights under which out-of-scope questions make ``off_topic_share`` of the total.

    A train split may hold a handful of real out-of-scope questions among thousands (clinc150:
    100 of 13,600); fitted as they come, the calibration would learn that almost every question
    is answerable and be overconfident on real traffic.
    """
    if in_scope.all() or not in_scope.any():
        raise ValueError("prior weights need in-scope and out-of-scope questions")
    share_in = float(in_scope.mean())
    weights: npt.NDArray[np.float64] = np.where(
        in_scope, (1 - off_topic_share) / share_in, off_topic_share / (1 - share_in)
    )
    return weights
