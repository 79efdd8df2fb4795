"""The evaluation metrics, computed by hand on toy rankings: ranking, abstention, calibration
and decisions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from askbot.evaluate import (
    Ranking,
    compute_metrics,
    expected_calibration_error,
)


def rank(ids: Sequence[str], confidence: float = 0.5, **kw: object) -> Ranking:
    """A ranking whose scores simply descend."""
    return Ranking(list(ids), [1.0 - i / 100 for i in range(len(ids))], confidence, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- ranking metrics


def test_ranking_metrics_by_hand() -> None:
    relevant = [["a"], ["b"], ["a", "c"], ["x", "y"]]
    rankings = [
        rank(["a", "b", "c"]),  # hit at 1: RR 1, nDCG 1
        rank(["a", "c", "b"]),  # hit at 3: RR 1/3; DCG 1/log2(4) = .5, IDCG 1 -> .5
        # hits at 2 and 7: RR 1/2; DCG 1/log2(3) + 1/log2(8) = .63093 + .33333 = .96426,
        # IDCG over min(2, 10) = 2 relevant: 1 + .63093 -> .59124
        rank(["b", "a", "d", "e", "f", "g", "c"]),
        # y at 1, x never returned: RR 1; DCG 1, IDCG still 1 + .63093 -> .61315
        rank(["y", "b"]),
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    assert m["recall@1"] == pytest.approx((1 + 0 + 0 + 1) / 4)
    assert m["recall@5"] == pytest.approx(1.0)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 2 + 1) / 4)
    ideal2 = 1 + 1 / math.log2(3)
    expected_ndcg = (1 + 0.5 + (1 / math.log2(3) + 1 / 3) / ideal2 + 1 / ideal2) / 4
    assert m["ndcg@10"] == pytest.approx(expected_ndcg)  # = .67610
    assert m["ndcg@10"] == pytest.approx(0.67610, abs=1e-5)
    assert m["n-in-scope"] == 4 and m["n-oos"] == 0
    assert m["auroc"] is None  # no OOS query: undefined, not 0 or 1


def test_nothing_counts_past_rank_ten_and_recall5_is_any_relevant() -> None:
    ids = [f"e{i}" for i in range(11)]
    relevant = [["e10"], ["e3", "e4", "e9"]]
    m = compute_metrics(relevant, [rank(ids), rank(ids)], calibrated=False)
    # Query 1: its entry sits at rank 11 -> 0 everywhere. Query 2: first hit at rank 4.
    assert m["recall@5"] == pytest.approx(0.5)  # one relevant in the top 5 is enough
    assert m["mrr@10"] == pytest.approx((0 + 1 / 4) / 2)
    # DCG ranks 4, 5, 10; IDCG ranks 1..3.
    dcg = 1 / math.log2(5) + 1 / math.log2(6) + 1 / math.log2(11)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@10"] == pytest.approx((0 + dcg / idcg) / 2)


def test_order_given_by_the_ranker_is_kept_even_when_scores_tie() -> None:
    # Equal scores: the ranker's own order (entry order for baselines) decides, not the ids.
    tied = Ranking(["z", "a"], [0.7, 0.7], 0.7)
    m = compute_metrics([["a"]], [tied], calibrated=False)
    assert m["recall@1"] == 0.0
    assert m["mrr@10"] == pytest.approx(0.5)


# ---------------------------------------------------------------- abstention metrics


def test_auroc_auroc_ans_and_precision_at_coverage_by_hand() -> None:
    relevant = [["a"], ["a"], [], []]
    rankings = [
        rank(["a"], 0.9),  # in scope, correct
        rank(["b"], 0.6),  # in scope, wrong
        rank(["a"], 0.7),  # OOS
        rank(["a"], 0.2),  # OOS
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    # In-scope {.9, .6} vs OOS {.7, .2}: .9>.7, .9>.2, .6<.7, .6>.2 -> 3 of 4 pairs.
    assert m["auroc"] == pytest.approx(0.75)
    # Correct {.9} vs wrong-or-OOS {.6, .7, .2}: every pair ordered -> 1.
    assert m["auroc-ans"] == pytest.approx(1.0)
    # Top n // 2 = 2 by confidence: .9 (correct), .7 (OOS, wrong) -> 1/2.
    assert m["prec@cov50"] == pytest.approx(0.5)
    assert m["recall@1"] == pytest.approx(0.5)  # over in-scope queries only
    assert m["ece"] is None  # raw scores are no probabilities


def test_auroc_counts_tied_confidences_half() -> None:
    m = compute_metrics([["a"], []], [rank(["a"], 0.5), rank(["a"], 0.5)], calibrated=False)
    assert m["auroc"] == pytest.approx(0.5)


def test_auroc_per_oos_type_when_several_kinds() -> None:
    relevant = [["a"], [], []]
    rankings = [rank(["a"], 0.5), rank(["a"], 0.4), rank(["a"], 0.6)]
    m = compute_metrics(relevant, rankings, calibrated=False, oos_types=[None, "id", "ood"])
    assert m["auroc[id]"] == pytest.approx(1.0)
    assert m["auroc[ood]"] == pytest.approx(0.0)
    assert m["auroc"] == pytest.approx(0.5)


# ---------------------------------------------------------------- calibration


def test_ece_of_a_perfectly_calibrated_toy_is_zero() -> None:
    # 10 answers at .8 with 8 right, 10 at .3 with 3 right: each bin's accuracy = confidence.
    confidence = np.array([0.8] * 10 + [0.3] * 10)
    correct = np.array([True] * 8 + [False] * 2 + [True] * 3 + [False] * 7)
    assert expected_calibration_error(correct, confidence) == pytest.approx(0.0)


def test_ece_of_an_overconfident_toy() -> None:
    # 10 at .9 with 5 right (gap .4), 10 at .2 with 2 right (gap 0) -> (10*.4 + 10*0)/20 = .2
    confidence = np.array([0.9] * 10 + [0.2] * 10)
    correct = np.array([True] * 5 + [False] * 5 + [True] * 2 + [False] * 8)
    assert expected_calibration_error(correct, confidence) == pytest.approx(0.2)
    # All in one bin and all wrong: ECE = mean confidence.
    assert expected_calibration_error(np.zeros(4, bool), np.full(4, 0.75)) == pytest.approx(0.75)


def test_ece_counts_oos_as_incorrect() -> None:
    # Two confident "answers" to OOS queries: accuracy 0 at confidence .9 -> ECE .9.
    m = compute_metrics([[], []], [rank(["a"], 0.9), rank(["a"], 0.9)], calibrated=True)
    assert m["ece"] == pytest.approx(0.9)


def test_ece_rejects_a_raw_score_passed_as_probability() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compute_metrics([["a"]], [rank(["a"], 3.2)], calibrated=True)


# ---------------------------------------------------------------- decisions


def test_decision_mix_and_accuracy() -> None:
    relevant = [["a"], [], ["b"], ["d"], ["c"], [], []]
    rankings = [
        rank(["a", "b"], decision="answer"),  # right: top-1 relevant
        rank(["a", "b"], decision="answer"),  # wrong: OOS answered
        rank(["a", "b", "c"], decision="clarify", offered=["a", "b"]),  # right: b offered
        rank(["a", "b", "c", "d"], decision="clarify"),  # wrong: d is 4th, default offers 3
        rank(["a", "b", "c"], decision="clarify", offered=["a", "b"]),  # wrong: c not offered
        rank(["a"], decision="fallback"),  # right: OOS
        rank(["a"], decision="fallback"),  # right: OOS
    ]
    m = compute_metrics(relevant, rankings, calibrated=False)
    assert m["answer-rate"] == pytest.approx(2 / 7)
    assert m["answer-acc"] == pytest.approx(0.5)
    assert m["clarify-rate"] == pytest.approx(3 / 7)
    assert m["clarify-acc"] == pytest.approx(1 / 3)
    assert m["fallback-rate"] == pytest.approx(2 / 7)
    assert m["fallback-acc"] == pytest.approx(1.0)
    assert m["decision-acc"] == pytest.approx(4 / 7)


def test_no_decision_keys_for_rankers_that_do_not_decide() -> None:
    m = compute_metrics([["a"]], [rank(["a"])], calibrated=False)
    assert not any(k.endswith("-rate") for k in m)


def test_ranking_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="scores"):
        Ranking(["a", "b"], [1.0], 1.0)
    with pytest.raises(ValueError, match="decision"):
        Ranking(["a"], [1.0], 1.0, decision="maybe")
