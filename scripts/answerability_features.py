"""Answerability features on the article-FAQ protocol: which separate answerable questions
from on-topic unanswerable ones?

Cuts the same small FAQs as ``scripts/article_protocol.py`` (same seed, same sources) and, for
every question asked of one, records features of the question and the Retriever's top entry:

- ``confidence``, ``score``, ``margin``: what the Retriever's calibration sees today;
- ``phrasing_sim``: cosine of the question with the top entry's best question/alternate vector;
- ``qa_sim``: cosine with the top entry's question+answer vector;
- ``answer_sim``: cosine with the top entry's answer alone (encoded here; no index holds it);
- ``score_gap``: top score minus the mean score of the collection's other entries;
- ``uncovered``: IDF-weighted share of the question's content words (stemmed, stop-words out;
  IDF over the collection) that the top entry's question, alternates and answer never use;
- ``unknown``: the same share for words no entry of the collection uses;
- ``soft_uncovered``, ``soft_unknown``: the same shares with synonyms from the embedding
  space: each content word counts as missed by 1 minus its best cosine with a word of the top
  entry (of any entry), every word encoded alone;
- ``centroid_sim``: cosine of the question with the mean of every vector of the FAQ (how
  close it is to what the FAQ is about as a whole, whichever entry it matches);
- ``residual_sim``: the question without the words it shares (by stem) with the top entry's
  question and alternates ("who is the governor of the central bank" against "What did the
  central bank decide?" leaves "who is the governor of the"), its best cosine with those
  phrasings (0 when no word is left); ``residual_drop``: ``phrasing_sim`` minus it. A match
  made of the shared topic words alone drops far;
- ``bm25``: the top entry's normalised BM25 score; ``words``: content words in the question;
- with ``--second-opinion``, the same FAQ asked with the multilingual encoder too:
  ``second_confidence`` (its own confidence), ``second_agrees`` (1 when its top entry is the
  same), ``second_joint`` (its confidence when it agrees, else 0).

It writes one row per question (``--out``, a CSV) and prints each feature's AUROC between
answerable and on-topic unanswerable questions, alone (oriented to be >= .5) and combined in
a logistic head cross-validated by FAQ (no FAQ's questions both fit and score the head).
Then what a stricter clarify would do on these small FAQs: each clarify whose top leads by at
least ``--clarify-margin`` and whose confidence reaches a threshold becomes an answer.

``--articles`` also records the repo's article FAQs asked their readers' questions (those
without a relevant entry count as unanswerable), and prints each feature's AUROC there and
that of logistic heads fitted on all the protocol's questions: do the features that separate
the protocol's questions separate readers' too?

    python scripts/answerability_features.py [--faqs 30] [--seed 0] [--out /tmp/features.csv]
        [--index-dir /tmp/protocol-index] [--articles]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import tempfile
from pathlib import Path

import numpy as np
from article_protocol import CHECK_ARTICLES, DEV_ARTICLES
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from askbot.config import DEFAULT_MODEL, Settings
from askbot.corpus import FaqEntry
from askbot.embed import CachingEmbedder, Embedder
from askbot.evaluate import EvalEntry, EvalQuery, EvalSet
from askbot.evaluate.article_faqs import draw_faq, sources
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.datasets import load_eval_set
from askbot.index import VectorKind
from askbot.retrieve.lexical import _STOPWORDS, LexicalIndex, _words
from askbot.retrieve.retriever import lexical_document
from askbot.service import batch_embedder, multilingual_embedder

FEATURES = (
    "confidence",
    "score",
    "margin",
    "phrasing_sim",
    "qa_sim",
    "answer_sim",
    "score_gap",
    "uncovered",
    "unknown",
    "soft_uncovered",
    "soft_unknown",
    "centroid_sim",
    "bm25",
    "words",
    "residual_sim",
    "residual_drop",
)
SECOND_FEATURES = ("second_confidence", "second_agrees", "second_joint")
KINDS = ("answerable", "unanswerable", "off_topic")


def question_rows(
    chosen: list[EvalEntry],
    asked: list[tuple[str, EvalQuery]],
    embedder: Embedder,
    second: Embedder | None = None,
) -> list[dict[str, float | str]]:
    """Features of each asked question against one small FAQ."""
    retriever = AskbotRanker(chosen, embedder).retriever
    index = retriever.index
    lexical = retriever._lexical
    queries = [q.query for _, q in asked]
    answers = retriever.ask_many(queries)
    vectors = embedder.encode(queries)
    answer_vectors = embedder.encode([e.answer for e in index.entries])
    tokens = lexical.tokenize(queries)
    texts = [lexical_document(e) for e in index.entries]
    documents = [set(t) for t in lexical.tokenize(texts)]
    vocabulary = set().union(*documents)
    plain = [content_words(t) for t in texts]
    asked_words = [content_words(q) for q in queries]
    distinct = sorted(set().union(*plain, *asked_words))
    word_vectors = dict(zip(distinct, embedder.encode(distinct), strict=True)) if distinct else {}
    opinions = (
        AskbotRanker(chosen, second).retriever.ask_many(queries) if second else [None] * len(asked)
    )
    every = index.vectors_at(np.arange(index.vector_count)).astype(np.float32)
    centroid = every.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    rankings = [
        retriever.rank(v, lexical=lexical.scores([q])[0])
        for q, v in zip(queries, vectors, strict=True)
    ]
    residuals = [
        residual(q, index.entries[r[0][0]], lexical) for q, r in zip(queries, rankings, strict=True)
    ]
    residual_vectors = embedder.encode([r or "." for r in residuals])
    rows: list[dict[str, float | str]] = []
    for (kind, query), answer, vector, words, opinion, said, ranked, rest, rest_vector in zip(
        asked,
        answers,
        vectors,
        tokens,
        opinions,
        asked_words,
        rankings,
        residuals,
        residual_vectors,
        strict=True,
    ):
        top = ranked[0][0]
        ids = index.vector_ids_of(top)
        kinds = retriever._kinds[ids]
        sims = index.vectors_at(ids).astype(np.float32) @ vector
        phrasing = sims[kinds != VectorKind.QUESTION_ANSWER]
        own = kinds <= VectorKind.ALTERNATE
        residual_sim = float((index.vectors_at(ids[own]) @ rest_vector).max()) if rest else 0.0
        qa = sims[kinds == VectorKind.QUESTION_ANSWER]
        others = [s for _, s in ranked[1:]]
        idf = [
            lexical._idf(df) if (df := lexical._document_frequency(w)) else lexical._unknown_idf
            for w in words
        ]
        mass = sum(idf) or 1.0
        uncovered = (
            sum(i for w, i in zip(words, idf, strict=True) if w not in documents[top]) / mass
        )
        unknown = sum(i for w, i in zip(words, idf, strict=True) if w not in vocabulary) / mass
        right = index.entries[top].id in query.relevant
        soft_uncovered = soft_miss(said, plain[top], word_vectors, lexical)
        soft_unknown = soft_miss(said, set().union(*plain), word_vectors, lexical)
        rows.append(
            {
                "kind": kind,
                "right": float(right),
                "decision": answer.decision.value,
                "confidence": answer.confidence,
                "score": ranked[0][1],
                "margin": answer.margin if answer.margin is not None else 0.0,
                "phrasing_sim": float(phrasing.max()) if len(phrasing) else float(qa.max()),
                "qa_sim": float(qa.max()) if len(qa) else float(phrasing.max()),
                "answer_sim": float(answer_vectors[top] @ vector),
                "score_gap": ranked[0][1] - (float(np.mean(others)) if others else 0.0),
                "uncovered": uncovered if words else 0.0,
                "unknown": unknown if words else 0.0,
                "soft_uncovered": soft_uncovered,
                "soft_unknown": soft_unknown,
                "centroid_sim": float(centroid @ vector),
                "bm25": float(lexical.scores([query.query])[0][top]),
                "words": float(len(words)),
                "residual_sim": residual_sim,
                "residual_drop": float(sims[own].max()) - residual_sim,
            }
        )
        if opinion is not None:
            agrees = opinion.candidates[0][0] == index.entries[top].id
            rows[-1].update(
                second_confidence=opinion.confidence,
                second_agrees=float(agrees),
                second_joint=opinion.confidence if agrees else 0.0,
            )
    return rows


def residual(question: str, entry: EvalEntry | FaqEntry, lexical: LexicalIndex) -> str:
    """``question`` without the words whose stems the entry's question or alternates use."""
    shared = set(lexical.tokenize([" ".join((entry.question, *entry.alternates))])[0])
    return " ".join(w for w in question.split() if shared.isdisjoint(lexical.tokenize([w])[0]))


def content_words(text: str) -> set[str]:
    """The text's lower-cased words, stop-words out, unstemmed (to be encoded one by one)."""
    return {w for w in _words(text.lower()) if w not in _STOPWORDS}


def soft_miss(
    asked: set[str], covering: set[str], vectors: dict[str, np.ndarray], lexical: object
) -> float:
    """IDF-weighted share of ``asked`` words missed, each by 1 - its best cosine in ``covering``."""
    if not asked or not covering:
        return 0.0
    bank = np.stack([vectors[w] for w in sorted(covering)])
    missed = mass = 0.0
    for word in asked:
        stem = lexical.tokenize([word])[0]  # type: ignore[attr-defined]
        df = lexical._document_frequency(stem[0]) if stem else 0  # type: ignore[attr-defined]
        weight = lexical._idf(df) if df else lexical._unknown_idf  # type: ignore[attr-defined]
        best = float((bank @ vectors[word]).max())
        missed += weight * (1.0 - max(0.0, best))
        mass += weight
    return missed / mass if mass else 0.0


def collect(
    cut: dict[str, EvalSet],
    off_topic: list[EvalQuery],
    embedder: Embedder,
    *,
    faqs: int,
    seed: int,
    second: Embedder | None = None,
) -> list[dict[str, float | str]]:
    """Rows for every question of every small FAQ, drawn as ``article_protocol`` draws them."""
    rng = random.Random(seed)
    rows: list[dict[str, float | str]] = []
    for name, dataset in cut.items():
        for number in range(faqs):
            # The same draws, in the same order, as ``article_protocol.ask_small_faqs``.
            chosen, answerable, unanswerable, away = draw_faq(dataset, off_topic, rng)
            if not answerable:
                continue
            asked = [
                *(("answerable", q) for q in answerable),
                *(("unanswerable", q) for q in unanswerable),
                *(("off_topic", q) for q in away),
            ]
            for row in question_rows(chosen, asked, embedder, second):
                row.update(source=name, faq=f"{name}-{number}", size=float(len(chosen)))
                rows.append(row)
    return rows


def article_rows(
    embedder: Embedder, groups: dict[str, tuple[tuple[Path, Path], ...]]
) -> list[dict[str, float | str]]:
    """Rows for every reader question of every article FAQ, by group name."""
    rows: list[dict[str, float | str]] = []
    for name, articles in groups.items():
        for faq, queries in articles:
            data = load_eval_set(faq, queries)
            kinds = ("answerable" if q.relevant else "unanswerable" for q in data.queries)
            asked = list(zip(kinds, data.queries, strict=True))
            for row in question_rows(list(data.entries), asked, embedder):
                row.update(source=name, faq=faq.stem, size=float(len(data.entries)))
                rows.append(row)
    return rows


def transfer_report(
    protocol: list[dict[str, float | str]], articles: list[dict[str, float | str]]
) -> None:
    """AUROC on the articles' reader questions: each feature alone, and heads fitted on the
    protocol's answerable and on-topic unanswerable questions."""
    fit = [r for r in protocol if r["kind"] != "off_topic"]
    labels = np.array([r["kind"] == "answerable" for r in fit], dtype=int)
    names = sorted({str(r["source"]) for r in articles})
    print("\n| on the articles' reader questions | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    heads = {
        "score+margin": ["score", "margin"],
        "score+margin+uncovered": ["score", "margin", "uncovered"],
        "score+margin+unknown": ["score", "margin", "unknown"],
        "score+margin+uncovered+unknown": ["score", "margin", "uncovered", "unknown"],
        "score+margin+residual (both)": ["score", "margin", "residual_sim", "residual_drop"],
    }
    singles = ("confidence", "score", "margin", "uncovered", "unknown")
    rows = [(f, [f]) for f in (*singles, "residual_sim", "residual_drop")]
    for label, columns in [*rows, *((f"head: {k}", v) for k, v in heads.items())]:
        matrix = np.array([[float(r[c]) for c in columns] for r in fit])
        scaler = StandardScaler().fit(matrix)
        head = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(matrix), labels)
        cells = []
        for name in names:
            mine = [r for r in articles if r["source"] == name]
            truth = [r["kind"] == "answerable" for r in mine]
            values = scaler.transform(np.array([[float(r[c]) for c in columns] for r in mine]))
            cells.append(f"{roc_auc_score(truth, head.predict_proba(values)[:, 1]):.3f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def report(rows: list[dict[str, float | str]]) -> None:
    """Each feature's AUROC alone, and a logistic head's cross-validated by FAQ."""
    kept = [r for r in rows if r["kind"] != "off_topic"]
    labels = np.array([r["kind"] == "answerable" for r in kept], dtype=int)
    groups = np.array([r["faq"] for r in kept])
    sources_of = np.array([r["source"] for r in kept])
    features = [*FEATURES, *(f for f in SECOND_FEATURES if f in kept[0])]
    matrix = np.array([[float(r[f]) for f in features] for r in kept])
    print("| feature | " + " | ".join([*sorted(set(sources_of)), "all"]) + " |")
    print("|---" * (len(set(sources_of)) + 2) + "|")
    for j, feature in enumerate(features):
        cells = []
        for source in [*sorted(set(sources_of)), None]:
            mask = np.ones(len(kept), bool) if source is None else sources_of == source
            auc = roc_auc_score(labels[mask], matrix[mask, j])
            cells.append(f"{max(auc, 1 - auc):.3f}{'' if auc >= 0.5 else ' (-)'}")
        print(f"| {feature} | " + " | ".join(cells) + " |")
    combos = {
        "score+margin": ["score", "margin"],
        "score+margin+uncovered": ["score", "margin", "uncovered"],
        "score+margin+uncovered+unknown": ["score", "margin", "uncovered", "unknown"],
        "+answer_sim": ["score", "margin", "uncovered", "unknown", "answer_sim"],
        "+qa_sim+phrasing_sim": [
            "score",
            "margin",
            "uncovered",
            "unknown",
            "answer_sim",
            "qa_sim",
            "phrasing_sim",
        ],
        "all": list(FEATURES[1:]),
        "score+margin+soft_uncovered": ["score", "margin", "soft_uncovered"],
        "score+margin+soft (both)": ["score", "margin", "soft_uncovered", "soft_unknown"],
        "score+margin+centroid_sim": ["score", "margin", "centroid_sim"],
        "score+margin+residual_sim": ["score", "margin", "residual_sim"],
        "score+margin+residual_drop": ["score", "margin", "residual_drop"],
        "score+margin+residual (both)": ["score", "margin", "residual_sim", "residual_drop"],
    }
    if "second_joint" in features:
        combos |= {
            "score+margin+second_confidence": ["score", "margin", "second_confidence"],
            "score+margin+second (all three)": ["score", "margin", *SECOND_FEATURES],
            "confidence+second (all three)": ["confidence", *SECOND_FEATURES],
            "all + second": [*FEATURES[1:], *SECOND_FEATURES],
        }
    print("\n| head (5-fold by FAQ) | " + " | ".join([*sorted(set(sources_of)), "all"]) + " |")
    print("|---" * (len(set(sources_of)) + 2) + "|")
    for label, names in combos.items():
        columns = [features.index(n) for n in names]
        predicted = np.zeros(len(kept))
        for fit, test in GroupKFold(n_splits=5).split(matrix, labels, groups):
            scaler = StandardScaler().fit(matrix[fit][:, columns])
            head = LogisticRegression(C=1.0, max_iter=1000)
            head.fit(scaler.transform(matrix[fit][:, columns]), labels[fit])
            predicted[test] = head.predict_proba(scaler.transform(matrix[test][:, columns]))[:, 1]
        cells = [
            f"{roc_auc_score(labels[sources_of == s], predicted[sources_of == s]):.3f}"
            for s in sorted(set(sources_of))
        ]
        cells.append(f"{roc_auc_score(labels, predicted):.3f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def off_topic_report(rows: list[dict[str, float | str]]) -> None:
    """AUROC answerable vs off-topic: the features that say whether a question is in scope."""
    kept = [r for r in rows if r["kind"] != "unanswerable"]
    labels = np.array([r["kind"] == "answerable" for r in kept], dtype=int)
    sources_of = np.array([r["source"] for r in kept])
    names = sorted(set(sources_of))
    print("\n| answerable vs off-topic | " + " | ".join([*names, "all"]) + " |")
    print("|---" * (len(names) + 2) + "|")
    for feature in ("confidence", "score", "margin", "centroid_sim", "score_gap"):
        values = np.array([float(r[feature]) for r in kept])
        cells = []
        for source in [*names, None]:
            mask = np.ones(len(kept), bool) if source is None else sources_of == source
            cells.append(f"{roc_auc_score(labels[mask], values[mask]):.3f}")
        print(f"| {feature} | " + " | ".join(cells) + " |")


def clarify_report(rows: list[dict[str, float | str]], margin: float) -> None:
    """Answered right, clarify and wrong answers if confident clarifies became answers."""
    kinds = np.array([r["kind"] for r in rows])
    right = np.array([float(r["right"]) == 1.0 for r in rows])
    confidence = np.array([float(r["confidence"]) for r in rows])
    margins = np.array([float(r["margin"]) for r in rows])
    before = np.array([r["decision"] for r in rows])
    answerable, unanswerable = kinds == "answerable", kinds == "unanswerable"
    print(
        f"\n| clarify -> answer when margin >= {margin} and confidence >= | answered right "
        "| clarify | wrong answer (answerable) | answered (unanswerable) |\n|---|---|---|---|---|"
    )
    for threshold in (math.inf, 0.5, 0.6, 0.7):
        spared = (before == "clarify") & (margins >= margin) & (confidence >= threshold)
        after = np.where(spared, "answer", before)
        answered = after == "answer"
        cells = [
            np.mean(answered[answerable] & right[answerable]),
            np.mean(after[answerable] == "clarify"),
            np.mean(answered[answerable] & ~right[answerable]),
            np.mean(answered[unanswerable]),
        ]
        label = "never (today)" if threshold == math.inf else f"{threshold}"
        print(f"| {label} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets"
    )
    parser.add_argument("--faqs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--out", type=Path, help="CSV of every question's features")
    parser.add_argument("--read", type=Path, help="report on a CSV written before instead")
    parser.add_argument("--clarify-margin", type=float, default=0.03)
    parser.add_argument(
        "--second-opinion", action="store_true", help="ask the multilingual encoder too"
    )
    parser.add_argument(
        "--articles", action="store_true", help="the repo's article FAQs' reader questions too"
    )
    args = parser.parse_args()
    articles: list[dict[str, float | str]] = []
    if args.read:
        with args.read.open() as f:
            rows: list[dict[str, float | str]] = list(csv.DictReader(f))
    else:
        with tempfile.TemporaryDirectory(prefix="askbot-features-") as scratch:
            settings = Settings(
                model=args.model, backend=args.backend, index_dir=args.index_dir or Path(scratch)
            )
            embedder = CachingEmbedder(batch_embedder(settings), capacity=None)
            second = multilingual_embedder(settings) if args.second_opinion else None
            cut, off_topic = sources(args.datasets, "dev")
            rows = collect(cut, off_topic, embedder, faqs=args.faqs, seed=args.seed, second=second)
            if args.articles:
                groups = {"development articles": DEV_ARTICLES, "check articles": CHECK_ARTICLES}
                articles = article_rows(embedder, groups)
        if args.out:
            with args.out.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
    report(rows)
    off_topic_report(rows)
    clarify_report(rows, args.clarify_margin)
    if articles:
        transfer_report(rows, articles)


if __name__ == "__main__":
    main()
