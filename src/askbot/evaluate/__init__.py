"""Offline evaluation: datasets, rankers, metrics, reports and plots.

>>> from askbot.evaluate import load_eval_folder, default_split  # doctest: +SKIP
>>> data = load_eval_folder("../shared/datasets/clinc150", split="test")  # doctest: +SKIP
"""

from askbot.evaluate.baselines import (
    BM25Ranker,
    DenseRanker,
    applicable_baselines,
    baseline_factories,
)
from askbot.evaluate.datasets import (
    EvalEntry,
    EvalQuery,
    EvalSet,
    default_split,
    hold_out,
    load_eval_folder,
    load_eval_set,
)
from askbot.evaluate.evaluation import Evaluation, QueryRecord, evaluate, evaluate_factory
from askbot.evaluate.markdown import markdown_table, write_report
from askbot.evaluate.metrics import Metrics, compute_metrics, expected_calibration_error
from askbot.evaluate.ranker import Ranker, RankerFactory, Ranking

__all__ = [
    "BM25Ranker",
    "DenseRanker",
    "EvalEntry",
    "EvalQuery",
    "EvalSet",
    "Evaluation",
    "Metrics",
    "QueryRecord",
    "Ranker",
    "RankerFactory",
    "Ranking",
    "applicable_baselines",
    "baseline_factories",
    "compute_metrics",
    "default_split",
    "evaluate",
    "evaluate_factory",
    "expected_calibration_error",
    "hold_out",
    "load_eval_folder",
    "load_eval_set",
    "markdown_table",
    "write_report",
]
