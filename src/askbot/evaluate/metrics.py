"""Retrieval, abstention and calibration metrics, as a plain dict.

Definitions follow the shared BASELINES.md:

- ``recall@1`` top-1 entry is relevant; ``recall@5`` at least one relevant entry in the top 5
  (success@5, "any relevant"); ``mrr@10`` reciprocal rank of the first relevant entry, 0 past
  rank 10; ``ndcg@10`` binary gains, ideal DCG over min(|relevant|, 10). These four average over
  in-scope queries only, in the order the ranker returned (its tie-breaking is kept).
- ``auroc`` confidence separating in-scope (positive) from out-of-scope queries;
  ``auroc[<type>]`` the same against one ``oos_type`` only (when a set has several).
  ``auroc-ans`` positive = in-scope and top-1 correct, negative = OOS or top-1 wrong.
  Tied confidences count half, as in ``sklearn.metrics.roc_auc_score``.
- ``prec@cov50`` share of correct top-1 answers among the half of all queries (``n // 2``) with
  the highest confidence; OOS queries count as wrong. Equal confidences keep query order.
- ``ece`` expected calibration error of confidence read as P(top-1 correct), OOS = incorrect,
  over ``ECE_BINS`` = 10 equal-width bins (the bins of ``sklearn.calibration.calibration_curve``
  with ``strategy="uniform"``: right-closed, so 0.1 falls in the first bin). ``None`` when the
  ranker's confidence is a raw score rather than a probability.
- decision mix: ``answer-rate``, ``clarify-rate``, ``fallback-rate`` (shares of all queries) and
  ``answer-acc``, ``clarify-acc``, ``fallback-acc`` (accuracy within each decision), with
  ``decision-acc`` over all decided queries. A decision is correct when: ``answer`` — the top-1
  entry is relevant; ``clarify`` — a relevant entry is among the alternatives offered
  (``Ranking.offered``, default the first ``CLARIFY_K`` = 3 ids); ``fallback`` — the query is
  out-of-scope. Present only when the ranker makes decisions.

A metric that cannot be computed on the data (no OOS query for ``auroc``) is ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.calibration import calibration_curve
from sklearn.metrics import ndcg_score, roc_auc_score

from askbot.evaluate.ranker import DECISIONS, Ranking

ECE_BINS = 10
CLARIFY_K = 3
CUTOFF = 10  # the deepest rank any metric looks at (mrr@10, ndcg@10)

Metrics = dict[str, float | int | None]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Judged:
    """Per-query facts every metric is computed from."""

    in_scope: Bools
    hits: Bools  # (n, CUTOFF): is the entry at rank j relevant?
    missing: npt.NDArray[np.int64]  # relevant entries not in the top CUTOFF
    correct: Bools  # top-1 relevant (false for every OOS query)
    confidence: Floats


def judge(relevant: Sequence[Sequence[str]], rankings: Sequence[Ranking]) -> Judged:
    """Match every ranking against its relevant ids."""
    if len(relevant) != len(rankings):
        raise ValueError(f"{len(relevant)} label sets but {len(rankings)} rankings")
    n = len(rankings)
    hits = np.zeros((n, CUTOFF), dtype=bool)
    missing = np.zeros(n, dtype=np.int64)
    for i, (rel, ranking) in enumerate(zip(relevant, rankings, strict=True)):
        wanted = set(rel)
        top = ranking.ids[:CUTOFF]
        hits[i, : len(top)] = [entry in wanted for entry in top]
        missing[i] = len(wanted) - int(hits[i].sum())
    in_scope = np.array([bool(rel) for rel in relevant], dtype=bool)
    confidence = np.array([r.confidence for r in rankings], dtype=np.float64)
    return Judged(in_scope, hits, missing, hits[:, 0].copy(), confidence)


def compute_metrics(
    relevant: Sequence[Sequence[str]],
    rankings: Sequence[Ranking],
    *,
    calibrated: bool,
    oos_types: Sequence[str | None] | None = None,
) -> Metrics:
    """Every metric of the module docstring for one run.

    >>> from askbot.evaluate.ranker import Ranking
    >>> m = compute_metrics([["a"], []], [Ranking(["a"], [0.9], 0.9), Ranking(["a"], [0.2], 0.2)],
    ...                     calibrated=True)
    >>> m["recall@1"], m["auroc"]
    (1.0, 1.0)
    """
    j = judge(relevant, rankings)
    out: Metrics = {
        "n": len(rankings),
        "n-in-scope": int(j.in_scope.sum()),
        "n-oos": int((~j.in_scope).sum()),
    }
    out.update(_ranking_metrics(j))
    out["auroc"] = _auroc(j.in_scope, j.confidence)
    if oos_types is not None:
        kinds = sorted(
            {t or "oos" for t, ins in zip(oos_types, j.in_scope, strict=True) if not ins}
        )
        if len(kinds) > 1:
            for kind in kinds:
                keep = j.in_scope | np.array([(t or "oos") == kind for t in oos_types])
                out[f"auroc[{kind}]"] = _auroc(j.in_scope[keep], j.confidence[keep])
    out["auroc-ans"] = _auroc(j.correct, j.confidence)
    out["prec@cov50"] = precision_at_coverage(j.correct, j.confidence, 0.5)
    out["ece"] = expected_calibration_error(j.correct, j.confidence) if calibrated else None
    out.update(_decision_metrics(relevant, rankings, j.in_scope))
    return out


def _ranking_metrics(j: Judged) -> Metrics:
    keys = ("recall@1", "recall@5", "mrr@10", "ndcg@10")
    if not j.in_scope.any():
        return dict.fromkeys(keys)
    hits, missing = j.hits[j.in_scope], j.missing[j.in_scope]
    found = hits.any(axis=1)
    first = hits.argmax(axis=1)  # rank (0-based) of the first relevant entry, when found
    reciprocal = np.where(found, 1.0 / (first + 1), 0.0)
    return {
        "recall@1": float(hits[:, 0].mean()),
        "recall@5": float(hits[:, :5].any(axis=1).mean()),
        "mrr@10": float(reciprocal.mean()),
        "ndcg@10": _ndcg(hits, missing),
    }


def _ndcg(hits: Bools, missing: npt.NDArray[np.int64]) -> float:
    # sklearn's ndcg_score wants a gain per candidate: the top CUTOFF as ranked, then the
    # relevant entries the ranker did not return, scored below all of them, so they count in
    # the ideal DCG (over min(|relevant|, 10)) but never in the DCG. Distinct descending scores
    # make ``ignore_ties`` exact and keep the ranker's own order.
    width = CUTOFF + max(1, int(missing.max()))
    y_true = np.zeros((len(hits), width), dtype=np.float64)
    y_true[:, :CUTOFF] = hits
    y_true[:, CUTOFF:] = np.arange(width - CUTOFF) < missing[:, None]
    y_score = np.broadcast_to(np.arange(width, 0, -1, dtype=np.float64), y_true.shape)
    return float(ndcg_score(y_true, y_score, k=CUTOFF, ignore_ties=True))


def _auroc(positive: Bools, confidence: Floats) -> float | None:
    if positive.all() or not positive.any():
        return None  # AUROC needs both classes
    return float(roc_auc_score(positive, confidence))


def precision_coverage(correct: Bools, confidence: Floats) -> tuple[Floats, Floats]:
    """Coverage k/n and precision of the k most confident answers, for k = 1..n."""
    order = np.argsort(-confidence, kind="stable")  # equal confidence: keep query order
    kept = np.arange(1, len(order) + 1, dtype=np.float64)
    precision = np.cumsum(correct[order]) / kept
    return kept / len(order), precision


def precision_at_coverage(correct: Bools, confidence: Floats, coverage: float) -> float | None:
    """Share of correct answers among the ``int(coverage * n)`` most confident queries."""
    k = int(coverage * len(correct))
    if k == 0:
        return None
    _, precision = precision_coverage(correct, confidence)
    return float(precision[k - 1])


def reliability(
    correct: Bools, confidence: Floats, n_bins: int = ECE_BINS
) -> tuple[Floats, Floats, npt.NDArray[np.int64]]:
    """Mean confidence, accuracy and count of each non-empty equal-width bin."""
    # pos_label given explicitly: with one class only (all right or all wrong) sklearn
    # cannot infer it.
    prob_true, prob_pred = calibration_curve(
        correct.astype(np.int64), confidence, n_bins=n_bins, strategy="uniform", pos_label=1
    )
    # The same right-closed binning calibration_curve uses, for the bin weights it omits.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=n_bins)
    return prob_pred, prob_true, counts[counts > 0]


def expected_calibration_error(
    correct: Bools, confidence: Floats, n_bins: int = ECE_BINS
) -> float | None:
    """Count-weighted mean gap between confidence and accuracy over equal-width bins."""
    if len(correct) == 0:
        return None
    if confidence.min() < 0.0 or confidence.max() > 1.0:
        raise ValueError("a calibrated confidence must lie in [0, 1]")
    prob_pred, prob_true, counts = reliability(correct, confidence, n_bins)
    return float(np.sum(counts * np.abs(prob_true - prob_pred)) / counts.sum())


def _decision_metrics(
    relevant: Sequence[Sequence[str]], rankings: Sequence[Ranking], in_scope: Bools
) -> Metrics:
    decided = [i for i, r in enumerate(rankings) if r.decision is not None]
    if not decided:
        return {}
    out: Metrics = {}
    right_all: list[bool] = []
    for decision in DECISIONS:
        chosen = [i for i in decided if rankings[i].decision == decision]
        right = [decision_correct(relevant[i], rankings[i], bool(in_scope[i])) for i in chosen]
        right_all.extend(right)
        out[f"{decision}-rate"] = len(chosen) / len(rankings)
        out[f"{decision}-acc"] = float(np.mean(right)) if right else None
    out["decision-acc"] = float(np.mean(right_all))
    return out


def decision_correct(relevant: Sequence[str], ranking: Ranking, in_scope: bool) -> bool:
    """Whether a decided query's decision was right (the ``<decision>-acc`` of the module)."""
    if ranking.decision == "fallback":
        return not in_scope
    if ranking.decision == "clarify":
        return bool(set(offered_ids(ranking.ids, ranking.offered)) & set(relevant))
    return bool(ranking.ids) and ranking.ids[0] in relevant


def offered_ids(ids: Sequence[str], offered: Sequence[str] | None) -> list[str]:
    """The ids a clarify shows: ``offered`` when the ranker says, else the first ``CLARIFY_K``."""
    return list(ids[:CLARIFY_K] if offered is None else offered)
