"""Write docs/quality.md: askbot as served against the BM25 / MiniLM baselines on every set.

For every set folder under DATASETS (``../shared/datasets`` by default): the test split where a
set has splits, else all queries (AUROC-sim on sets without out-of-scope queries). Also a
held-out check of the defaults on data they were not developed on, and the plots. askbot's rows
encode with the encoder askbot serves (``askbot.service.batch_embedder``: the ONNX int8 export
of the model unless ``--backend`` says otherwise); the MiniLM baselines with the torch model,
as BASELINES.md defines them.

    python scripts/quality_report.py [DATASETS] [--out docs] [--model M] [--backend B]
        [--cache DIR] [--index-dir DIR] [--no-progress]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import CachingEmbedder, Embedder, load_embedder
from askbot.embed.usem import UsemEmbedder
from askbot.evaluate import (
    EvalSet,
    Evaluation,
    Metrics,
    applicable_baselines,
    baseline_factories,
    default_split,
    evaluate,
    evaluate_factory,
    load_eval_folder,
    markdown_table,
)
from askbot.evaluate.article_faqs import (
    CHECK_LANGUAGES,
    FIT_LANGUAGES,
    PARTS,
    PER_KIND,
    SIZES,
    protocol_table,
)
from askbot.evaluate.askbot_ranker import AskbotRanker, askbot_factory
from askbot.evaluate.datasets import FAQ_FILE
from askbot.evaluate.plots import plot_precision_coverage, plot_reliability
from askbot.evaluate.run import (
    CALIBRATION_SPLIT,
    TunedEmbedders,
    set_calibration,
    split_half,
    tuned_factory,
)
from askbot.fit import phrasing, self_calibration
from askbot.retrieve import SMALL_FAQ_ENTRIES, DecisionPolicy, Scoring, default_calibration
from askbot.service import batch_embedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from article_protocol import CHECK_ARTICLES, DEV_ARTICLES, articles_table
from dialogue_protocol import MULTILINGUAL, dialogues_table
from quality_text import (
    ARTICLES,
    ARTICLES_IN_OTHER_LANGUAGES,
    DIALOGUES,
    DIALOGUES_IN_OTHER_LANGUAGES,
    FITTED_ON_ALTERNATES,
    HEAD,
    HELD_OUT,
    THRESHOLDS,
    TYPOS,
)
from typo_robustness import typo_table

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("onnx-int8", "onnx-fp32", "torch")
# FAQs in the check of build-time fitting: (intents, alternates kept per intent; clinc150 has 9).
# With 2-3 alternates the collection gets a phrasing classifier but too few phrasings to
# calibrate itself.
SUBSET_SHAPES = ((30, 9), (60, 9), (100, 9), (10, 2), (20, 2), (40, 3))
SUBSET_SEEDS = 3
SUBSET_METRICS = ("recall@1", "mrr@10", "auroc", "auroc-ans", "ece")
KNOWN_ORDER = ("stackfaq", "covidfaq", "clinc150")
IN_SCOPE_ROW = "askbot, traffic declared in scope"
HEADERS = {
    "recall@1": "R@1",
    "recall@5": "R@5",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "auroc": "AUROC",
    "auroc-sim": "AUROC-sim",
    "auroc-ans": "AUROC-ans",
    "ece": "ECE",
    "ece-sim": "ECE-sim",
    "answer-rate": "answer",
    "answer-acc": "acc",
    "clarify-rate": "clarify",
    "clarify-acc": "acc ",
    "fallback-rate": "fallback",
    "fallback-acc": "acc  ",
    "decision-acc": "decision acc",
}
RANKING = ["recall@1", "recall@5", "mrr@10", "ndcg@10"]
DECISIONS = [
    "answer-rate",
    "answer-acc",
    "clarify-rate",
    "clarify-acc",
    "fallback-rate",
    "fallback-acc",
    "decision-acc",
]
# The project's quality targets: metric -> (value, higher is better).
TARGETS: dict[str, dict[str, tuple[float, bool]]] = {
    "stackfaq": {"recall@1": (0.965, True), "mrr@10": (0.98, True), "ece": (0.05, False)},
    "covidfaq": {"recall@1": (0.72, True), "mrr@10": (0.82, True), "ece": (0.05, False)},
    "clinc150": {
        "recall@1": (0.88, True),
        "mrr@10": (0.92, True),
        "auroc": (0.96, True),
        "ece": (0.05, False),
    },
}


def set_folders(root: Path) -> list[Path]:
    """Every folder under ``root`` holding an FAQ, known sets first."""
    found = {p.parent.name: p.parent for p in root.glob(f"*/{FAQ_FILE}")}
    known = [found.pop(name) for name in KNOWN_ORDER if name in found]
    return known + [found[name] for name in sorted(found)]


def columns_for(data: EvalSet) -> list[str]:
    """Ranking, abstention, calibration and decision columns for this kind of set."""
    if data.has_oos:
        return [*RANKING, "auroc", "auroc-ans", "ece", *DECISIONS]
    return [*RANKING, "auroc-sim", "auroc-ans", "ece", "ece-sim", *DECISIONS]


def target_lines(name: str, metrics: dict[str, float | int | None]) -> list[str]:
    """One Markdown bullet per target of the set: the value and whether it is met."""
    lines = []
    for key, (goal, higher) in TARGETS.get(name, {}).items():
        got = metrics.get(key)
        if not isinstance(got, float):
            continue
        met = round(got, 3) >= goal if higher else round(got, 3) <= goal
        sign = "≥" if higher else "≤"
        lines.append(f"- {key}: {got:.3f} (target {sign} {goal}) — {'met' if met else 'NOT met'}")
    return lines


def plots(name: str, evaluations: list[Evaluation], folder: Path) -> list[Path]:
    """Reliability diagram of askbot's rows, precision–coverage of every row."""
    folder.mkdir(parents=True, exist_ok=True)
    curves = {e.ranker: e.outcomes() for e in evaluations}
    calibrated = {e.ranker: curves[e.ranker] for e in evaluations if e.calibrated}
    return [
        plot_reliability(calibrated, folder / f"{name}-reliability.png"),
        plot_precision_coverage(curves, folder / f"{name}-precision-coverage.png"),
    ]


def section(
    data: EvalSet,
    embedder: Embedder,
    baseline_embedder: Embedder,
    tuned: TunedEmbedders,
    out: Path,
    progress: bool,
    multilingual: Embedder,
) -> str:
    """The Markdown section of one set: table, targets, plots."""
    full = data
    split = default_split(data)
    data = data.select(split)
    factories = baseline_factories(baseline_embedder, bm25_statistics=data.entries)
    evaluations = [
        evaluate_factory(factories[name], data, progress=progress)
        for name in applicable_baselines(data)
    ]
    default = evaluate_factory(
        askbot_factory(embedder, multilingual=multilingual), data, progress=progress
    )
    evaluations.append(default)
    targeted = [default]  # rows whose targets are listed
    tuned_calibration = None
    calibration = set_calibration(full, split, embedder)
    if calibration is not None:
        name = f"askbot, calibrated on {CALIBRATION_SPLIT}"
        refitted = evaluate_factory(
            askbot_factory(embedder, name, calibration=calibration, multilingual=multilingual),
            data,
            progress=progress,
        )
        evaluations.append(refitted)
        targeted.append(refitted)
        tuned_calibration = set_calibration(full, split, tuned.for_entries(data.entries))
    if not data.has_oos:
        # Traffic known to be in scope, as these queries are, declared so (--off-topic-share 0).
        declared = evaluate_factory(
            askbot_factory(embedder, IN_SCOPE_ROW, off_topic_share=0.0, multilingual=multilingual),
            data,
            progress=progress,
        )
        evaluations.append(declared)
        targeted.append(declared)
    tuned_result = evaluate_factory(
        tuned_factory(tuned, calibration=tuned_calibration, multilingual=multilingual),
        data,
        progress=progress,
    )
    evaluations.append(tuned_result)
    targeted.append(tuned_result)
    n_in = sum(q.in_scope for q in data.queries)
    title = f"## {data.name} ({split or 'all'} queries: {n_in} in scope, "
    title += f"{len(data.queries) - n_in} out of scope)\n\n"
    table = markdown_table(
        {e.ranker: e.metrics for e in evaluations}, columns_for(data), headers=HEADERS
    )
    table += language_table(evaluations)
    images = plots(data.name, evaluations, out / "quality")
    links = "\n".join(f"![{p.stem}](quality/{p.name})" for p in images)
    note = ""
    for row in targeted:
        targets = "\n".join(target_lines(data.name, dict(row.metrics)))
        if targets:
            note += f"Targets, for **{row.ranker}**:\n\n{targets}\n\n"
    return f"{title}{table}\n{note}{links}\n\n"


def language_table(evaluations: list[Evaluation]) -> str:
    """Recall@1 of every row in each language, when the queries carry one."""
    by_row = {e.ranker: e.by_language() for e in evaluations}
    languages = sorted({lang for rows in by_row.values() for lang in rows})
    if not languages:
        return ""
    rows = {
        lang: {ranker: found[lang]["recall@1"] for ranker, found in by_row.items()}
        for lang in languages
    }
    table = markdown_table(rows, list(by_row), first="R@1 by language")
    return f"\n{table}"


def held_out_section(root: Path, embedder: Embedder, progress: bool) -> str:
    """askbot's default on data its defaults were not developed on, beside the halves they were."""
    rows = {}
    for name in ("stackfaq", "covidfaq"):
        if not (root / name / FAQ_FILE).exists():
            continue
        data = load_eval_folder(root / name)
        for develop in (True, False):
            part = split_half(data, develop=develop)
            rows[part.name] = evaluate_factory(
                askbot_factory(embedder), part, progress=progress
            ).metrics
    if (root / "clinc150" / FAQ_FILE).exists():
        dev = load_eval_folder(root / "clinc150").select("dev")
        rows["clinc150 dev"] = evaluate(
            AskbotRanker(dev.entries, embedder), dev, progress=progress
        ).metrics
    columns = [*RANKING, "auroc", "auroc-sim", "ece", "answer-rate", "answer-acc"]
    return markdown_table(rows, columns, headers=HEADERS, first="data")


def fitted_on_alternates_section(root: Path, embedder: Embedder, progress: bool) -> str:
    """Scoring and confidence with and without what a collection fits on its own alternates
    (phrasing classifier, self-calibration), on FAQs made of a few clinc150 intents each.

    Each FAQ keeps a random subset of the intents; its test queries are those intents' own plus
    clinc150's out-of-scope test queries, so the unanswerable share varies with the size.
    """
    if not (root / "clinc150" / FAQ_FILE).exists():
        return ""
    full = load_eval_folder(root / "clinc150")
    test = full.select("test")
    default = default_calibration(embedder.model_id)
    rows: dict[str, Metrics] = {}
    wins = dict.fromkeys(SUBSET_METRICS, 0)
    for (size, alternates), seed in itertools.product(SUBSET_SHAPES, range(SUBSET_SEEDS)):
        kept = set(random.Random(seed).sample([e.id for e in full.entries], size))
        data = replace(
            test,
            name=f"{size} intents × {alternates} alternates, draw {seed}",
            entries=tuple(
                replace(e, alternates=e.alternates[:alternates])
                for e in full.entries
                if e.id in kept
            ),
            queries=tuple(q for q in test.queries if set(q.relevant) <= kept),
        )
        own = evaluate(AskbotRanker(data.entries, embedder), data, progress=progress).metrics
        without = AskbotRanker(
            data.entries, embedder, scoring=Scoring(classifier_weight=0.0), calibration=default
        )
        base = evaluate(without, data, progress=progress).metrics
        rows[data.name] = {"oos": round(float(own["n-oos"] or 0) / float(own["n"] or 1), 2)}
        for metric in SUBSET_METRICS:
            rows[data.name] |= {f"{metric} plain": base[metric], f"{metric} fitted": own[metric]}
            mine, theirs = float(own[metric] or 0), float(base[metric] or 0)
            wins[metric] += mine < theirs if metric == "ece" else mine > theirs
    columns = ["oos", *(f"{m} {c}" for m in SUBSET_METRICS for c in ("plain", "fitted"))]
    table = markdown_table(rows, columns, first="FAQ")
    summary = ", ".join(f"{m} in {n} of {len(rows)}" for m, n in wins.items())
    return (
        FITTED_ON_ALTERNATES.format(summary=summary, min_questions=self_calibration.MIN_QUESTIONS)
        + table
        + "\n"
    )


def article_section(
    root: Path, embedder: CachingEmbedder, multilingual: Embedder, settings: Settings
) -> str:
    """The article-FAQ protocol on both parts, in English and in other languages, and the
    repo's article FAQs with their readers' questions and their dialogues.

    The dialogues are encoded afresh, as ``scripts/dialogue_protocol.py`` and a server encode
    them: an int8 vector moves a little with the batch it was encoded in (one activation scale
    per call), and a cached one was encoded among other texts."""
    served = embedder.inner
    text = ""
    for part in PARTS:
        table = protocol_table(root, part, embedder)
        text += f"**{part}** (draw 0, 30 FAQs per source):\n\n{table}\n\n"
    article = default_calibration(multilingual.model_id).for_size(SMALL_FAQ_ENTRIES)
    text += ARTICLES_IN_OTHER_LANGUAGES.format(
        fit=", ".join(FIT_LANGUAGES), check=", ".join(CHECK_LANGUAGES), article=article
    )
    for part in PARTS:
        table = protocol_table(root, part, multilingual, languages=True)
        text += f"**{part}** in other languages (draw 0, 30 FAQs per language):\n\n{table}\n\n"
    return (
        text
        + "The development articles, asked their readers' questions:\n\n"
        + articles_table(embedder, articles=DEV_ARTICLES)
        + "\n\nThe check articles, asked their readers' questions:\n\n"
        + articles_table(embedder)
        + DIALOGUES
        + "The development articles:\n\n"
        + dialogues_table(served, DEV_ARTICLES, settings)[0]
        + "\n\nThe check articles:\n\n"
        + dialogues_table(served, CHECK_ARTICLES, settings)[0]
        + DIALOGUES_IN_OTHER_LANGUAGES
        + "The development articles, in other languages:\n\n"
        + dialogues_table(served, DEV_ARTICLES, settings, MULTILINGUAL)[0]
        + "\n\nThe check articles, in other languages:\n\n"
        + dialogues_table(served, CHECK_ARTICLES, settings, MULTILINGUAL)[0]
        + TYPOS
        + typo_table(embedder)
    )


def keeps_own_calibration(data: EvalSet, embedder: Embedder) -> bool:
    """Whether askbot's build of this FAQ keeps a calibration fitted on its own alternates."""
    index = AskbotRanker(data.entries, embedder).retriever.index
    return bool(index.manifest.calibrations)


def cached(embedder: Embedder, cache: Path | None) -> CachingEmbedder:
    """``embedder`` remembering every vector, read from and kept in ``cache`` (a folder)."""
    wrapped = CachingEmbedder(embedder, capacity=None)
    if cache is not None:
        wrapped.load(cache_file(cache, embedder))
    return wrapped


def cache_file(cache: Path, embedder: Embedder) -> Path:
    """One file per encoder: the same text has other vectors on another backend."""
    return cache / (embedder.model_id.replace("@", "-").replace("/", "-") + ".pkl")


def main(argv: list[str] | None = None) -> int:
    """Evaluate every set and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "datasets", nargs="?", type=Path, default=REPO.parent / "shared" / "datasets"
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="askbot's model")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="onnx-int8", help="askbot's encoder, as served"
    )
    parser.add_argument("--cache", type=Path, help="folder of text embeddings, reused between runs")
    parser.add_argument(
        "--index-dir", type=Path, help="where the ONNX export is kept (default: a temporary one)"
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    progress = not args.no_progress
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="askbot-quality-") as workdir:
        settings = Settings(
            model=args.model, backend=args.backend, index_dir=args.index_dir or Path(workdir)
        )
        embedder = cached(batch_embedder(settings), args.cache)
        # The MiniLM baselines are defined on the torch model (BASELINES.md).
        baseline_embedder = cached(load_embedder(DEFAULT_MODEL), args.cache)
        multilingual = cached(UsemEmbedder(threads=2), args.cache)
        tuned = TunedEmbedders(args.model, Path(workdir) / "tuned", backend=args.backend)
        sets = [load_eval_folder(folder) for folder in set_folders(args.datasets)]
        sections = [
            section(data, embedder, baseline_embedder, tuned, args.out, progress, multilingual)
            for data in sets
        ]
        calibrating = [data.name for data in sets if keeps_own_calibration(data, embedder)]
        held = held_out_section(args.datasets, embedder, progress)
        own = fitted_on_alternates_section(args.datasets, embedder, progress)
        articles = article_section(args.datasets, embedder, multilingual, settings)
    if args.cache:
        for used in (embedder, baseline_embedder, multilingual):
            used.save(cache_file(args.cache, used.inner))
    calibration = default_calibration(embedder.model_id)
    text = HEAD.format(
        encoder=f"`{embedder.model_id}` ({args.backend})",
        baseline_encoder=f"`{baseline_embedder.model_id}` (torch)",
        backend=args.backend,
        scoring=Scoring(),
        calibration=calibration,
        in_scope=calibration.in_scope,
        right=calibration.right_if_in_scope,
        policy=DecisionPolicy(),
        min_questions=self_calibration.MIN_QUESTIONS,
        min_entries=phrasing.MIN_ENTRIES,
        classifier_c=phrasing.C,
        score_share=1 - Scoring().classifier_weight,
        folds=self_calibration.FOLDS,
        hold_out=self_calibration.HOLD_OUT,
        repeats=self_calibration.REPEATS,
        self_calibrated=", ".join(calibrating) or "none",
        multilingual=f"`{multilingual.model_id}`",
    )
    text += "".join(sections)
    clinc = "its own" if "clinc150" in calibrating else "the default"
    text += (
        HELD_OUT.format(clinc_calibration=clinc)
        + held
        + own
        + ARTICLES.format(
            small=SMALL_FAQ_ENTRIES,
            sizes=SIZES,
            per_kind=PER_KIND,
            article=calibration.for_size(SMALL_FAQ_ENTRIES),
        )
        + articles
        + "\n"
        + THRESHOLDS.format(policy=DecisionPolicy())
    )
    command = "python scripts/quality_report.py"
    if args.model != DEFAULT_MODEL or args.backend != "onnx-int8":
        command += f" --model {args.model} --backend {args.backend}"
    text += f"\n_Generated by `{command}` in {time.perf_counter() - started:.0f} s._\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.out / 'quality.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
