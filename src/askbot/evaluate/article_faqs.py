"""Small FAQs cut from the shared sets, as a news article ships them, with three kinds of question.

A news article's FAQ has 6-12 entries and its readers ask anything. ``draw_faq`` cuts one such
FAQ from a set and picks its questions:

- *answerable*: queries whose relevant entry is in the small FAQ;
- *on-topic unanswerable*: queries of the same set whose entries were left out of it;
- *off-topic*: clinc150's out-of-scope queries.

``sources`` gives the sets they are cut from: covidfaq (one topic), stackfaq (one entry per
thread: its top answer) and clinc150 (intents with alternates). Part ``dev`` is development data
only (the development half of covidfaq's and stackfaq's groups, ``split_half``, and clinc150's
dev split); ``heldout`` the other halves and clinc150's test split. ``scripts/article_protocol.py``
reports on them; ``scripts/fit_calibration.py`` fits the article-sized calibration on them.

``language_sources`` does the same for the multilingual encoder: xsid's intents (English
phrasings) asked in one language at a time, the languages of part ``dev`` (``FIT_LANGUAGES``)
apart from those of ``heldout`` (``CHECK_LANGUAGES``). xsid has no off-topic questions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from askbot.embed import Embedder
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.datasets import EvalEntry, EvalQuery, EvalSet, load_eval_folder
from askbot.evaluate.run import split_half
from askbot.retrieve import Answer, Calibration, Decision

SIZES = (6, 12)  # entries per small FAQ, inclusive
PER_KIND = 15  # questions of each kind asked of one FAQ, at most
PARTS = ("dev", "heldout")

# xsid's languages that the multilingual encoder knows, split: the article-sized calibration of
# the multilingual space is fitted on the first, checked on the second.
FIT_LANGUAGES = ("ar", "de", "it", "tr")
CHECK_LANGUAGES = ("nl", "zh", "ja")

SmallFaq = tuple[list[EvalEntry], list[EvalQuery], list[EvalQuery], list[EvalQuery]]


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
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}")
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


def language_sources(datasets: Path, part: str) -> dict[str, EvalSet]:
    """xsid asked in each language of ``part``, one set per language (no off-topic queries)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}")
    xsid = load_eval_folder(datasets / "xsid")
    languages = FIT_LANGUAGES if part == "dev" else CHECK_LANGUAGES
    return {
        language: replace(xsid, queries=tuple(q for q in xsid.queries if q.lang == language))
        for language in languages
    }


def protocol_sources(
    datasets: Path, part: str, languages: bool = False
) -> tuple[dict[str, EvalSet], list[EvalQuery]]:
    """``sources``, or with ``languages`` the multilingual encoder's (``language_sources``,
    no off-topic queries)."""
    return (language_sources(datasets, part), []) if languages else sources(datasets, part)


def draw_faq(dataset: EvalSet, off_topic: list[EvalQuery], rng: random.Random) -> SmallFaq:
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


def ask_small_faqs(
    dataset: EvalSet,
    off_topic: list[EvalQuery],
    embedder: Embedder,
    *,
    faqs: int,
    rng: random.Random,
    calibration: Calibration | None = None,
    spelling: bool = True,
    language: str | None = None,
) -> Outcomes:
    """Cut ``faqs`` small FAQs from ``dataset`` and ask each its three kinds of question, with
    ``calibration`` if given, else as served; ``spelling``: English typos corrected, as in
    the English space; ``language``: the questions' language, as the chat detects it."""
    outcomes = Outcomes()
    for _ in range(faqs):
        chosen, answerable, unanswerable, away = draw_faq(dataset, off_topic, rng)
        if not answerable:
            continue
        ranker = AskbotRanker(chosen, embedder, calibration=calibration, spelling=spelling)
        retriever = ranker.retriever
        asked = [q.query for q in answerable + unanswerable + away]
        answers = retriever.ask_many(asked, languages=[language] * len(asked))
        n, m = len(answerable), len(unanswerable)
        outcomes.answerable += [
            (a, frozenset(q.relevant)) for a, q in zip(answers[:n], answerable, strict=True)
        ]
        outcomes.unanswerable += answers[n : n + m]
        outcomes.off_topic += answers[n + m :]
        outcomes.faqs += 1
    return outcomes


def ask_labelled(
    entries: Sequence[EvalEntry],
    queries: Sequence[EvalQuery],
    embedder: Embedder,
    calibration: Calibration | None = None,
    context: str | None = None,
) -> Outcomes:
    """One FAQ asked its labelled queries: those with a relevant entry are answerable, the
    rest (an article's reader questions it does not answer) count as unanswerable. Given the
    article's title (``context``), each is read as the chat reads a first message
    (``AskbotRanker``)."""
    ranker = AskbotRanker(entries, embedder, calibration=calibration, context=context)
    answers = ranker.answers([q.query for q in queries])
    outcomes = Outcomes(faqs=1)
    for answer, query in zip(answers, queries, strict=True):
        if query.relevant:
            outcomes.answerable.append((answer, frozenset(query.relevant)))
        else:
            outcomes.unanswerable.append(answer)
    return outcomes


def protocol_table(
    datasets: Path,
    part: str,
    embedder: Embedder,
    *,
    faqs: int = 30,
    seed: int = 0,
    calibration: Calibration | None = None,
    languages: bool = False,
) -> str:
    """The protocol's Markdown table: ``faqs`` small FAQs cut from each source of ``part``
    (draw ``seed``), a row per source and one for all. ``languages``: the multilingual
    encoder's (``language_sources``; ``embedder`` is that encoder)."""
    cut, off_topic = protocol_sources(datasets, part, languages)
    rng = random.Random(seed)
    total = Outcomes()
    rows = []
    for name, dataset in cut.items():
        outcomes = ask_small_faqs(
            dataset,
            off_topic,
            embedder,
            faqs=faqs,
            rng=rng,
            calibration=calibration,
            spelling=not languages,
            language=name if languages else None,
        )
        rows.append(outcomes.row(name))
        total.add(outcomes)
    return "\n".join([HEADER, *rows, total.row("all")])
