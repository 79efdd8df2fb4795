"""The article-FAQ protocol: askbot on many small FAQs, as a news article ships them.

A news article's FAQ has 6-12 entries and its readers ask anything: questions the FAQ answers,
questions on the article's topic that it does not answer, and questions on nothing of the
sort. This cuts many random small FAQs from the shared sets and asks each of them three kinds
of question:

- *answerable*: queries whose relevant entry is in the small FAQ;
- *on-topic unanswerable*: queries of the same set whose entries were left out of it;
- *off-topic*: clinc150's out-of-scope queries.

Sources: covidfaq (one topic), stackfaq (one entry per thread: its top answer) and clinc150
(intents with alternates). ``--part dev`` (the default) uses development data only: the
development half of covidfaq's and stackfaq's groups (``split_half``) and clinc150's dev split;
``--part heldout`` the other halves and clinc150's test split, for a final check only.

It prints, per source and overall: answered right and right entry first (an answer, or the
first option of a clarify) among answerable questions, the clarify rate there, the share of
on-topic unanswerable and off-topic questions declined (fallback), the highest confidence of an
answer given to an unanswerable one, and AUROC of the confidence between answerable and on-topic
unanswerable questions, with the seed and the counts. The encoder is the one askbot serves.

    python scripts/article_protocol.py [--faqs 30] [--seed 0] [--part dev|heldout]
        [--datasets ../shared/datasets] [--backend onnx-int8] [--model M]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import CachingEmbedder, Embedder
from askbot.evaluate import EvalEntry, EvalQuery, EvalSet, load_eval_folder
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.run import split_half
from askbot.retrieve import Answer, Decision
from askbot.service import batch_embedder

REPO = Path(__file__).resolve().parent.parent
SIZES = (6, 12)  # entries per small FAQ, inclusive
PER_KIND = 15  # questions of each kind asked of one FAQ, at most
BACKENDS = ("onnx-int8", "onnx-fp32", "torch")


@dataclass
class Outcomes:
    """What one source's small FAQs did with each kind of question."""

    answerable: list[tuple[Answer, frozenset[str]]] = field(default_factory=list)
    unanswerable: list[Answer] = field(default_factory=list)
    off_topic: list[Answer] = field(default_factory=list)
    faqs: int = 0

    def add(self, other: Outcomes) -> None:
        """Pool another source's outcomes into these."""
        self.answerable += other.answerable
        self.unanswerable += other.unanswerable
        self.off_topic += other.off_topic
        self.faqs += other.faqs

    def row(self, name: str) -> str:
        """One Markdown table row of the protocol's figures."""
        right = [a.decision is Decision.ANSWER and _top(a) in r for a, r in self.answerable]
        first = [_first(a) in r for a, r in self.answerable]
        clarify = [a.decision is Decision.CLARIFY for a, _ in self.answerable]
        declined = [a.decision is Decision.FALLBACK for a in self.unanswerable]
        off = [a.decision is Decision.FALLBACK for a in self.off_topic]
        answered = [a.confidence for a in self.unanswerable if a.decision is Decision.ANSWER]
        scores = [a.confidence for a, _ in self.answerable] + [
            a.confidence for a in self.unanswerable
        ]
        labels = [1] * len(self.answerable) + [0] * len(self.unanswerable)
        auroc = roc_auc_score(labels, scores) if 0 < sum(labels) < len(labels) else float("nan")
        cells = [
            name,
            str(self.faqs),
            f"{len(self.answerable)}/{len(self.unanswerable)}/{len(self.off_topic)}",
            _share(right),
            _share(first),
            _share(clarify),
            _share(declined),
            f"{max(answered):.2f}" if answered else "—",
            _share(off),
            f"{auroc:.3f}",
        ]
        return "| " + " | ".join(cells) + " |"


HEADER = (
    "| source | FAQs | questions (ans/unans/off) | answered right | right first | clarify "
    "| declined unanswerable | top conf. answering unanswerable | declined off-topic "
    "| AUROC ans vs unans |\n|---|---|---|---|---|---|---|---|---|---|"
)


def _share(flags: Sequence[bool]) -> str:
    return f"{np.mean(flags):.3f}" if flags else "—"


def _top(answer: Answer) -> str | None:
    return answer.answer.id if answer.answer is not None else None


def _first(answer: Answer) -> str | None:
    """The entry a reader sees first: the answer, or a clarify's first option."""
    if answer.decision is Decision.ANSWER:
        return _top(answer)
    if answer.decision is Decision.CLARIFY and answer.alternatives:
        return answer.alternatives[0].id
    return None


def one_per_group(dataset: EvalSet) -> EvalSet:
    """Each group's first entry only (a stackfaq thread's top answer), as an article has it."""
    seen: set[str | int] = set()
    kept = []
    for entry in dataset.entries:
        if entry.group not in seen:
            seen.add(entry.group)
            kept.append(entry)
    ids = {e.id for e in kept}
    queries = tuple(
        replace(q, relevant=tuple(r for r in q.relevant if r in ids))
        for q in dataset.queries
        if not q.in_scope or any(r in ids for r in q.relevant)
    )
    return replace(dataset, entries=tuple(kept), queries=queries)


def sources(datasets: Path, part: str) -> tuple[dict[str, EvalSet], list[EvalQuery]]:
    """The sets small FAQs are cut from, and the off-topic queries, for ``part``."""
    develop = part == "dev"
    clinc = load_eval_folder(datasets / "clinc150")
    clinc_part = clinc.select("dev" if develop else "test")
    cut = {
        "covidfaq": split_half(load_eval_folder(datasets / "covidfaq"), develop=develop),
        "stackfaq": one_per_group(
            split_half(load_eval_folder(datasets / "stackfaq"), develop=develop)
        ),
        "clinc150": replace(clinc_part, queries=tuple(q for q in clinc_part.queries if q.in_scope)),
    }
    return cut, [q for q in clinc_part.queries if not q.in_scope]


def draw_faq(
    dataset: EvalSet, off_topic: list[EvalQuery], rng: random.Random
) -> tuple[list[EvalEntry], list[EvalQuery], list[EvalQuery], list[EvalQuery]]:
    """One small FAQ cut from ``dataset``, with its answerable, on-topic unanswerable and
    off-topic questions."""
    size = rng.randint(*SIZES)
    chosen: list[EvalEntry] = rng.sample(list(dataset.entries), min(size, len(dataset.entries)))
    ids = {e.id for e in chosen}
    inside = [q for q in dataset.queries if q.in_scope and set(q.relevant) <= ids]
    outside = [q for q in dataset.queries if q.in_scope and not set(q.relevant) & ids]
    answerable = rng.sample(inside, min(PER_KIND, len(inside)))
    unanswerable = rng.sample(outside, min(PER_KIND, len(outside)))
    away = rng.sample(off_topic, min(PER_KIND, len(off_topic)))
    return chosen, answerable, unanswerable, away


def ask_small_faqs(
    dataset: EvalSet,
    off_topic: list[EvalQuery],
    embedder: Embedder,
    *,
    faqs: int,
    rng: random.Random,
) -> Outcomes:
    """Cut ``faqs`` small FAQs from ``dataset`` and ask each its three kinds of question."""
    outcomes = Outcomes()
    for _ in range(faqs):
        chosen, answerable, unanswerable, away = draw_faq(dataset, off_topic, rng)
        if not answerable:
            continue
        retriever = AskbotRanker(chosen, embedder).retriever
        answers = retriever.ask_many([q.query for q in answerable + unanswerable + away])
        n, m = len(answerable), len(unanswerable)
        outcomes.answerable += [
            (a, frozenset(q.relevant)) for a, q in zip(answers[:n], answerable, strict=True)
        ]
        outcomes.unanswerable += answers[n : n + m]
        outcomes.off_topic += answers[n + m :]
        outcomes.faqs += 1
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--faqs", type=int, default=30, help="small FAQs cut from each source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", choices=BACKENDS, default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-protocol-") as scratch:
        index_dir = args.index_dir or Path(scratch)
        settings = Settings(model=args.model, backend=args.backend, index_dir=index_dir)
        embedder = CachingEmbedder(batch_embedder(settings), capacity=None)
        cut, off_topic = sources(args.datasets, args.part)
        rng = random.Random(args.seed)
        total = Outcomes()
        rows = []
        for name, dataset in cut.items():
            outcomes = ask_small_faqs(dataset, off_topic, embedder, faqs=args.faqs, rng=rng)
            rows.append(outcomes.row(name))
            total.add(outcomes)
    print(
        f"article-FAQ protocol: part {args.part}, seed {args.seed}, {args.faqs} FAQs of "
        f"{SIZES[0]}-{SIZES[1]} entries per source, up to {PER_KIND} questions of each kind "
        f"per FAQ; encoder {embedder.model_id}\n"
    )
    print(HEADER)
    print("\n".join([*rows, total.row("all")]))


if __name__ == "__main__":
    main()
