"""What a corpus change costs: `askbot build` after adding a 7-entry article, after editing one
answer, and a forced full build, on corpora of the given sizes (``common.make_corpus``).

    python benchmarks/bench_incremental.py [--sizes 725,10000]

Each figure is the wall time of one `askbot build` process (start-up and model load included,
as an editor's `askbot reload` pays them), with the encoder already exported. "encoded" is the
number of texts the build sent to the encoders (both spaces: `askbot build` prints it).
Prints a Markdown table. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATASETS, make_corpus

ARTICLE = """# Night trains in Europe

What the return of sleeper trains means for travellers.

## Which night trains run from Vienna?
Nightjet runs from Vienna to Hamburg, Zurich, Rome and Paris.

## Can I take a bike on a night train?
Most Nightjets carry bikes if you book a bike space in advance.

## How much does a couchette cost?
From about 60 euros in a six-berth couchette, more in a sleeper.

## Do night trains run all year?
Most do; a few holiday routes run only in summer.

## Is there food on board?
A small breakfast is included; some trains sell snacks.

## Can I book an entire compartment?
Yes, as a private compartment for up to six people.

## What happens if the train is late?
EU passenger rights apply: refunds or compensation by delay.
"""


def build(env: dict[str, str], *extra: str) -> tuple[float, int]:
    """Seconds one `askbot build` took, and the texts it encoded."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "askbot.cli", "build", *extra],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    took = time.perf_counter() - started
    found = re.search(r"encoded ([\d +]+) text", done.stdout)
    encoded = sum(int(n) for n in found.group(1).split("+")) if found else 0
    return took, encoded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="725,10000")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    print("| entries | full build (--force) s | + 7-entry article s | one answer edited s |"
          " encoded: full / article / edit |")  # fmt: skip
    print("|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix="askbot-bench-incremental-"))
        corpus = make_corpus(args.datasets, size, work / "corpus")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
        env |= {"ASKBOT_CORPUS_DIR": str(corpus.parent), "ASKBOT_INDEX_DIR": str(work / "index")}
        build(env)  # exports the encoder and fills the vector cache
        full, full_encoded = build(env, "--force")
        (corpus.parent / "night-trains.md").write_text(ARTICLE)
        article, article_encoded = build(env)
        text = corpus.read_text()
        corpus.write_text(text.replace('"answer": "', '"answer": "Edited: ', 1))
        edit, edit_encoded = build(env)
        print(f"| {size:,} | {full:.1f} | {article:.1f} | {edit:.1f} | "
              f"{full_encoded:,} / {article_encoded} / {edit_encoded} |")  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)
    print(f"(each: one `askbot build` process; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
