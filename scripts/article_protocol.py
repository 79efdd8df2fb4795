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

Then the same figures for the repo's article FAQs, each asked its readers' questions
(``docs/eval/<article>.queries.jsonl``; the ones without a relevant entry count as unanswerable).

``--one-size`` scores every small FAQ with the model's calibration for large FAQs, without its
article-sized part (no small FAQ here has the alternates to calibrate itself), to compare.

    python scripts/article_protocol.py [--faqs 30] [--seed 0] [--part dev|heldout]
        [--datasets ../shared/datasets] [--backend onnx-int8] [--model M] [--one-size]
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
    ask_labelled,
    protocol_table,
)
from askbot.evaluate.datasets import load_eval_set
from askbot.retrieve import Calibration, default_calibration
from askbot.service import batch_embedder

REPO = Path(__file__).resolve().parent.parent
# The repo's article FAQs, each with its readers' questions in docs/eval/<name>.queries.jsonl.
ARTICLE_SETS = (
    ("corpus/south-korea-japan-relations.txt", "south-korea-japan-relations"),
    ("tests/data/corpus_articles/riverside-mayoral-election.md", "riverside-mayoral-election"),
    ("tests/data/corpus_articles/brewmaster-kettle-recall.json", "brewmaster-kettle-recall"),
)


def articles_table(embedder: Embedder, calibration: Calibration | None = None) -> str:
    """The protocol's figures for each of the repo's article FAQs, asked its readers' questions."""
    rows = []
    for faq, name in ARTICLE_SETS:
        data = load_eval_set(REPO / faq, REPO / "docs" / "eval" / f"{name}.queries.jsonl")
        rows.append(ask_labelled(data.entries, data.queries, embedder, calibration).row(name))
    return "\n".join([HEADER.replace("| source |", "| article |", 1), *rows])


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-protocol-") as scratch:
        index_dir = args.index_dir or Path(scratch)
        settings = Settings(model=args.model, backend=args.backend, index_dir=index_dir)
        embedder = CachingEmbedder(batch_embedder(settings), capacity=None)
        calibration = None
        if args.one_size:
            calibration = replace(default_calibration(embedder.model_id), small_faq=None)
        table = protocol_table(
            args.datasets,
            args.part,
            embedder,
            faqs=args.faqs,
            seed=args.seed,
            calibration=calibration,
        )
        articles = articles_table(embedder, calibration)
    print(
        f"article-FAQ protocol: part {args.part}, seed {args.seed}, {args.faqs} FAQs of "
        f"{SIZES[0]}-{SIZES[1]} entries per source, up to {PER_KIND} questions of each kind "
        f"per FAQ; encoder {embedder.model_id}"
        f"{'; one calibration for every size' if args.one_size else ''}\n"
    )
    print(table)
    print(f"\nThe repo's article FAQs, asked their readers' questions:\n\n{articles}")


if __name__ == "__main__":
    main()
