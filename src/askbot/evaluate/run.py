"""``askbot eval`` as one function: load a set, build the chosen ranker, evaluate, report.

Scoring ``default`` is askbot's own ``Retriever``; any name of ``baseline_factories``
(``"MiniLM q-Q"``, ``"BM25 q-(Q+alts)"``, ...) runs that BASELINES.md baseline instead, which is
how the harness is checked against BASELINES.md. When the set has a ``train`` split with
out-of-scope queries and another split is evaluated, askbot's calibration is refitted on
``train`` (never on the split measured).

The caller passes the encoder: ``askbot eval`` passes the one ``askbot serve`` answers with
(the ONNX export of the active model, tune included), so the figures are those of the service.
With ``tune``, every askbot ranker first fine-tunes the model on the FAQ entries it indexes
(``askbot.embed.tune``: their questions, alternates and answers, never a query), as
``askbot tune`` does for a corpus, and encodes with it on the same backend; the AUROC-sim
ranker, which indexes 80 % of the entries, tunes on those only.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from askbot.config import DEFAULT_MODEL
from askbot.embed import (
    CachingEmbedder,
    Embedder,
    load_embedder,
    model_name,
    resolve_model_path,
)
from askbot.embed.tune import TuneConfig, tune_model
from askbot.errors import ConfigError
from askbot.evaluate.askbot_ranker import AskbotRanker, askbot_factory, faq_entries
from askbot.evaluate.baselines import baseline_factories
from askbot.evaluate.datasets import EvalEntry, EvalSet, hold_out, load_eval_set
from askbot.evaluate.evaluation import Evaluation, evaluate_factory
from askbot.evaluate.markdown import write_report
from askbot.evaluate.ranker import RankerFactory
from askbot.fit import (
    ASSUMED_OFF_TOPIC_SHARE,
    calibration_examples,
    choose_margin_cap,
    fit_calibration,
    prior_weights,
)
from askbot.language import LanguageDetector
from askbot.retrieve import Calibration, default_calibration

DEFAULT_SCORING = "default"
CALIBRATION_SPLIT = "train"
CAP_SPLIT = "dev"  # where the margin cap is chosen (``choose_margin_cap``)
CALIBRATION_SAMPLE = 3000  # labelled questions are plenty for two weights; more only costs time
# Out-of-scope questions a train split needs for askbot's calibration to be refitted on it;
# fewer would make a fifth of the weight rest on a handful of questions.
MIN_REAL_OOS = 50


def split_half(dataset: EvalSet, *, develop: bool, seed: int = 1) -> EvalSet:
    """The development (or the held-out) half of a set's groups, with the queries they answer.

    Defaults are developed on one half and checked on the other, so a gain that exists only
    where it was tuned shows up as a gap between the two.
    """
    groups = sorted({e.group for e in dataset.entries}, key=str)
    chosen = set(random.Random(seed).sample(groups, len(groups) // 2))
    entries = tuple(e for e in dataset.entries if (e.group in chosen) == develop)
    ids = {e.id for e in entries}
    kept = tuple(q for q in dataset.queries if q.in_scope and set(q.relevant) <= ids)
    return replace(
        dataset,
        name=f"{dataset.name}-{'dev' if develop else 'heldout'}-half",
        entries=entries,
        queries=kept,
    )


def fit_set_calibration(
    dataset: EvalSet,
    embedder: Embedder,
    *,
    choose_cap_on: EvalSet | None = None,
    sample: int = CALIBRATION_SAMPLE,
) -> Calibration:
    """Fit askbot's calibration on labelled queries (a train split) with out-of-scope ones,
    weighted to the share every calibration assumes (``prior_weights``).

    With ``choose_cap_on`` (a dev split) the margin cap is chosen there (``choose_margin_cap``),
    on all its queries against the whole FAQ: its own out-of-scope queries are the kind of
    unanswerable traffic the set expects (a dev split with none gets 20 % of its groups held
    out of the index, so their queries become out-of-scope).
    """
    features, labels, in_scope = _labelled_examples(dataset, embedder, sample, hold=False)
    weights = prior_weights(in_scope)
    if choose_cap_on is None:
        return fit_calibration(features, labels, in_scope, weights=weights)
    dev_features, _, dev_in_scope = _labelled_examples(
        choose_cap_on, embedder, None, hold=not choose_cap_on.has_oos
    )
    return choose_margin_cap(
        features, labels, in_scope, dev_features, dev_in_scope, weights=weights
    )


def set_calibration(full: EvalSet, split: str | None, embedder: Embedder) -> Calibration | None:
    """The calibration refitted on ``full``'s train split (cap chosen on dev) for evaluating
    ``split``; none (the FAQ keeps its own) when there is no train split with ``MIN_REAL_OOS``
    out-of-scope queries to fit on.

    Only real out-of-scope queries make a refit worth it: held-out groups as stand-ins are
    *near* misses, scoring high against their siblings, so a fit on them is underconfident on
    the far-off questions real traffic brings.
    """
    if split is None or split == CALIBRATION_SPLIT or CALIBRATION_SPLIT not in full.splits:
        return None
    train = full.select(CALIBRATION_SPLIT)
    if sum(not q.in_scope for q in train.queries) < MIN_REAL_OOS:
        return None
    dev = None
    if CAP_SPLIT in full.splits and split != CAP_SPLIT:
        dev = full.select(CAP_SPLIT)
    return fit_set_calibration(train, embedder, choose_cap_on=dev)


def _labelled_examples(
    dataset: EvalSet, embedder: Embedder, sample: int | None, *, hold: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Calibration features, labels and in-scope flags of ``dataset``'s queries asked of its
    FAQ, with 20 % of the groups held out if ``hold``. ``sample`` caps the in-scope queries
    only: out-of-scope ones are the rare ones, and all are kept."""
    held = hold_out(dataset, fraction=ASSUMED_OFF_TOPIC_SHARE) if hold else dataset
    answerable = [q for q in held.queries if q.in_scope]
    if sample is not None and len(answerable) > sample:
        answerable = random.Random(0).sample(answerable, sample)
    queries = answerable + [q for q in held.queries if not q.in_scope]
    # The features do not depend on the calibration: an explicit one spares fitting the
    # FAQ's self-calibration only to discard it.
    calibration = default_calibration(embedder.model_id)
    retriever = AskbotRanker(held.entries, embedder, calibration=calibration).retriever
    return calibration_examples(
        retriever, [q.query for q in queries], [set(q.relevant) for q in queries]
    )


class TunedEmbedders:
    """Tuned copies of a model, one per distinct set of FAQ entries, kept in ``workdir``, each
    encoding on ``backend`` (``torch``, ``onnx-fp32`` or ``onnx-int8``) as serving would."""

    def __init__(
        self,
        model: str,
        workdir: Path,
        config: TuneConfig | None = None,
        *,
        backend: str = "torch",
    ) -> None:
        self._base = resolve_model_path(model)
        self._name = model_name(model)
        self._workdir = workdir
        self._config = config
        self._backend = backend
        self._tuned: dict[str, Embedder] = {}

    def for_entries(self, entries: Sequence[EvalEntry]) -> Embedder:
        """The model tuned on ``entries`` (tuned on first use)."""
        key = hashlib.sha256("\n".join(e.id for e in entries).encode()).hexdigest()[:16]
        if key not in self._tuned:
            folder = tune_model(
                # Named after the base model, as ``askbot tune`` names its folders, so the
                # tuned model keeps its base's default calibration (``default_calibration``).
                self._base,
                faq_entries(entries),
                self._workdir / f"{self._name}-{key}",
                config=self._config,
            )
            self._tuned[key] = CachingEmbedder(self._encoder(folder), capacity=None)
        return self._tuned[key]

    def _encoder(self, folder: Path) -> Embedder:
        if self._backend == "torch":
            return load_embedder(str(folder))
        from askbot.embed.onnx_export import export_onnx
        from askbot.embed.onnx_runtime import OnnxEmbedder

        precision = self._backend.removeprefix("onnx-")
        export = export_onnx(
            folder, folder / f"onnx-{precision}", quantize=precision == "int8", name=folder.name
        )
        return OnnxEmbedder(export, threads=2)


def tuned_factory(
    tuned: TunedEmbedders,
    *,
    calibration: Calibration | None = None,
    off_topic_share: float | None = None,
    multilingual: Embedder | None = None,
    context: str | None = None,
) -> RankerFactory:
    """Like ``askbot_factory``, but each ranker's model is first tuned on its entries (the
    multilingual encoder is not tuned)."""
    detector = LanguageDetector() if multilingual is not None else None
    return lambda entries: AskbotRanker(
        entries,
        tuned.for_entries(entries),
        "askbot + tune",
        calibration=calibration,
        off_topic_share=off_topic_share,
        multilingual=multilingual,
        detector=detector,
        context=context,
    )


def ranker_factory(
    scoring: str,
    embedder: Embedder,
    *,
    full: EvalSet,
    split: str | None,
    off_topic_share: float | None = None,
    multilingual: Embedder | None = None,
) -> RankerFactory:
    """The factory for ``scoring`` (``default`` or a baseline name) to evaluate ``split``;
    askbot's confidence assumes ``off_topic_share`` if given (``Calibration.off_topic_share``)."""
    if scoring == DEFAULT_SCORING:
        calibration = set_calibration(full, split, embedder)
        return askbot_factory(
            embedder,
            calibration=calibration,
            off_topic_share=off_topic_share,
            multilingual=multilingual,
            context=full.title,
        )
    factories = baseline_factories(embedder)
    if scoring not in factories:
        known = ", ".join([DEFAULT_SCORING, *factories])
        raise ConfigError(f"unknown scoring {scoring!r} (one of: {known})")
    return factories[scoring]


def run_eval(
    faq: Path,
    queries: Path,
    *,
    split: str | None = None,
    out: Path | None = None,
    scoring: str = DEFAULT_SCORING,
    embedder: Embedder,
    progress: bool = True,
    tune: bool = False,
    model: str = DEFAULT_MODEL,
    backend: str = "torch",
    off_topic_share: float | None = None,
    multilingual: Embedder | None = None,
) -> Evaluation:
    """Evaluate ``scoring`` on an FAQ and its queries; write the report to ``out`` if given.

    ``embedder`` encodes; with ``tune``, ``model`` is tuned per FAQ and encodes on ``backend``;
    ``multilingual`` answers the queries in other languages, as serving does.
    """
    full = load_eval_set(faq, queries)
    data = full.select(split)
    if not tune:
        cached = CachingEmbedder(embedder, capacity=None)
        build = ranker_factory(
            scoring,
            cached,
            full=full,
            split=split,
            off_topic_share=off_topic_share,
            multilingual=CachingEmbedder(multilingual, capacity=None) if multilingual else None,
        )
        result = evaluate_factory(build, data, progress=progress)
    else:
        if scoring != DEFAULT_SCORING:
            raise ConfigError("--tune applies to askbot's own scoring only")
        with tempfile.TemporaryDirectory(prefix="askbot-tune-") as workdir:
            tuned = TunedEmbedders(model, Path(workdir), backend=backend)
            # The model tuned on the whole FAQ, as serving would use it.
            calibration = set_calibration(full, split, tuned.for_entries(data.entries))
            build = tuned_factory(
                tuned,
                calibration=calibration,
                off_topic_share=off_topic_share,
                multilingual=multilingual,
                context=full.title,
            )
            result = evaluate_factory(build, data, progress=progress)
    if out is not None:
        write_report([result], out, questions={e.id: e.question for e in full.entries})
    return result
