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

Then the same figures for the repo's article FAQs, each asked its readers' questions (the ones
without a relevant entry count as unanswerable): the development articles of
``docs/eval/dev-articles/`` (FAQ and questions side by side), then the check articles (the seed
and the two of ``tests/data/corpus_articles/``, their questions in ``docs/eval/``).

Last, the multilingual encoder's protocol: small FAQs cut from xsid's intents (English
phrasings), asked in one other language at a time, their left-out intents' requests as on-topic
unanswerable ones (xsid has no off-topic questions); ``--part dev`` asks them in the languages
its article-sized calibration is fitted on (ar, de, it, tr), ``--part heldout`` in the others
(nl, zh, ja).

``--one-size`` scores every small FAQ with the model's calibration for large FAQs, without its
article-sized part (no small FAQ here has the alternates to calibrate itself), to compare.
``--off-topic-share X`` measures the confidence as served with ``ASKBOT_OFF_TOPIC_SHARE=X``.

    python scripts/article_protocol.py [--faqs 30] [--seed 0] [--part dev|heldout]
        [--datasets ../shared/datasets] [--backend onnx-int8] [--model M] [--one-size]
        [--off-topic-share X]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import CachingEmbedder, Embedder
from askbot.evaluate.article_faqs import (
    HEADER,
    PARTS,
    PER_KIND,
    SIZES,
    Outcomes,
    ask_labelled,
    protocol_table,
)
from askbot.evaluate.datasets import load_eval_set
from askbot.retrieve import Calibration, default_calibration
from askbot.service import batch_embedder, multilingual_embedder

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "docs" / "eval"
# The repo's article FAQs, each with its readers' questions, as (FAQ, queries). The development
# ones (docs/eval/dev-articles/) are for choosing how askbot treats article FAQs; the others
# (tests/data/corpus_articles/ and the seed, their questions in docs/eval/) are for checking.
DEV_ARTICLES = tuple(
    (faq, faq.with_suffix(".queries.jsonl")) for faq in sorted((EVAL / "dev-articles").glob("*.md"))
)
CHECK_ARTICLES = tuple(
    (REPO / faq, EVAL / f"{name}.queries.jsonl")
    for faq, name in (
        ("corpus/south-korea-japan-relations.txt", "south-korea-japan-relations"),
        ("tests/data/corpus_articles/riverside-mayoral-election.md", "riverside-mayoral-election"),
        ("tests/data/corpus_articles/brewmaster-kettle-recall.json", "brewmaster-kettle-recall"),
    )
)


def articles_table(
    embedder: Embedder,
    calibration: Calibration | None = None,
    articles: tuple[tuple[Path, Path], ...] = CHECK_ARTICLES,
) -> str:
    """The protocol's figures for each of ``articles``, asked its readers' questions, and all."""
    rows, pooled = [], Outcomes()
    for faq, queries in articles:
        data = load_eval_set(faq, queries)
        outcomes = ask_labelled(data.entries, data.queries, embedder, calibration, data.title)
        rows.append(outcomes.row(queries.name.removesuffix(".queries.jsonl")))
        pooled.add(outcomes)
    table = [HEADER.replace("| source |", "| article |", 1), *rows, pooled.row("all")]
    return "\n".join(table)


BACKENDS = ("onnx-int8", "onnx-fp32", "torch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--faqs", type=int, default=30, help="small FAQs cut from each source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=PARTS, default="dev")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", choices=BACKENDS, default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    parser.add_argument(
        "--one-size", action="store_true", help="the large-FAQ calibration for every FAQ"
    )
    parser.add_argument(
        "--off-topic-share",
        type=float,
        help="the share of questions the FAQ does not answer that the confidence assumes "
        "(as ASKBOT_OFF_TOPIC_SHARE)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-protocol-") as scratch:
        index_dir = args.index_dir or Path(scratch)
        settings = Settings(model=args.model, backend=args.backend, index_dir=index_dir)
        embedder = CachingEmbedder(batch_embedder(settings), capacity=None)

        def served(encoder: Embedder) -> Calibration:
            """The encoder's default calibration, as the options ask it to be read."""
            default = default_calibration(encoder.model_id).for_traffic(args.off_topic_share)
            return replace(default, small_faq=None) if args.one_size else default

        def protocol(encoder: Embedder, languages: bool = False) -> str:
            return protocol_table(
                args.datasets,
                args.part,
                encoder,
                faqs=args.faqs,
                seed=args.seed,
                calibration=served(encoder),
                languages=languages,
            )

        table = protocol(embedder)
        development = articles_table(embedder, served(embedder), DEV_ARTICLES)
        check = articles_table(embedder, served(embedder))
        encoder = CachingEmbedder(multilingual_embedder(settings, threads=2), capacity=None)
        languages = protocol(encoder, languages=True)
    share = args.off_topic_share
    print(
        f"article-FAQ protocol: part {args.part}, seed {args.seed}, {args.faqs} FAQs of "
        f"{SIZES[0]}-{SIZES[1]} entries per source, up to {PER_KIND} questions of each kind "
        f"per FAQ; encoder {embedder.model_id}"
        f"{'; one calibration for every size' if args.one_size else ''}"
        f"{f'; off-topic share {share}' if share is not None else ''}\n"
    )
    print(table)
    print(f"\nThe development articles, asked their readers' questions:\n\n{development}")
    print(f"\nThe check articles, asked their readers' questions:\n\n{check}")
    print(f"\nIn other languages (small FAQs cut from xsid; {encoder.model_id}):\n\n{languages}")


if __name__ == "__main__":
    main()
