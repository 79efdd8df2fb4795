"""Multi-turn conversations on the repo's article FAQs: how many turns get what they mean.

Each article FAQ of ``scripts/article_protocol.py`` has its dialogues in a
``.dialogues.jsonl`` beside its readers' questions (format: ``askbot.evaluate.dialogues``).
A group's FAQs are served together as one corpus, built in memory as ``askbot serve`` would
build it (both spaces), and each dialogue is held on its article's collection through the chat
API's ``Conversation``. The development articles' dialogues (``docs/eval/dev-articles/``) were
written as a reader would type them, before askbot was run on them; the check articles' are the
ones ``tests/conversation/test_dialogues.py`` asserts turn by turn. Each article also has
dialogues in the multilingual encoder's other languages (``.multilingual.dialogues.jsonl``,
written the same way, a language per dialogue), reported in their own tables. ``askbot eval
--faq FAQ --dialogues FILE`` measures one article's the same way.

    python scripts/dialogue_protocol.py [--backend onnx-int8] [--model M] [--index-dir DIR]
        [--show-missed]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from article_protocol import CHECK_ARTICLES, DEV_ARTICLES

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import Embedder
from askbot.evaluate.dialogues import (
    DIALOGUES_SUFFIX,
    HEADER,
    DialogueOutcomes,
    converse,
    dialogues_of_collection,
)
from askbot.service import batch_embedder, in_memory_service

MULTILINGUAL = ".multilingual"  # before the suffix: the dialogues in other languages


def dialogues_of(queries: Path, kind: str = "") -> Path:
    """Where an article's dialogues (of ``kind``: "" or ``MULTILINGUAL``) are: beside its
    readers' questions."""
    return queries.with_name(queries.name.replace(".queries.jsonl", kind + DIALOGUES_SUFFIX))


def dialogues_table(
    embedder: Embedder,
    articles: tuple[tuple[Path, Path], ...],
    settings: Settings,
    kind: str = "",
) -> tuple[str, list[str]]:
    """The Markdown table of ``articles``' dialogues of ``kind``, a row each and one for all,
    and the turns missed."""
    with tempfile.TemporaryDirectory(prefix="askbot-dialogues-") as scratch:
        for faq, _ in articles:
            shutil.copy(faq, Path(scratch) / faq.name)
        conversation = in_memory_service(Path(scratch), settings, embedder).conversation
    rows, pooled = [], DialogueOutcomes()
    for faq, queries in articles:
        collection, turns = dialogues_of_collection(faq, dialogues_of(queries, kind))
        outcomes = converse(conversation, collection, turns)
        rows.append(outcomes.row(collection))
        pooled.add(outcomes)
    return "\n".join([HEADER, *rows, pooled.row("all")]), pooled.missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    parser.add_argument("--show-missed", action="store_true", help="list the turns missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-dialogues-") as scratch:
        index_dir = args.index_dir or Path(scratch)
        settings = Settings(model=args.model, backend=args.backend, index_dir=index_dir)
        embedder = batch_embedder(settings)
        tables = {
            f"The {group} articles{where}": dialogues_table(embedder, articles, settings, kind)
            for kind, where in (("", ""), (MULTILINGUAL, ", in other languages"))
            for group, articles in (("development", DEV_ARTICLES), ("check", CHECK_ARTICLES))
        }
    print(f"dialogues, judged a turn at a time; encoder {embedder.model_id}")
    for title, (table, _) in tables.items():
        print(f"\n{title}:\n\n{table}")
    if args.show_missed:
        missed = [m for _, turns in tables.values() for m in turns]
        print("\nturns missed:\n" + "\n".join(f"- {m}" for m in missed))


if __name__ == "__main__":
    main()
