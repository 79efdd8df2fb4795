"""What a corpus change costs while `askbot serve` runs: a 7-entry article added, then one
answer edited, each published by `askbot reload`, on corpora of the given sizes
(``common.make_corpus``), beside the full build of the same corpus.

    python benchmarks/bench_incremental.py [--sizes 725,10000] [--work DIR] [--multilingual]

Per size: the full build (one `askbot build` from an empty index: every text encoded); then
`askbot serve --workers 1` starts, and for each change the wall time of `askbot reload` (a
process, start-up included, as an editor pays it) and from the start of `askbot reload` until
the running server answers the change (the new article's question, asked of its collection,
answered with its entry; the edited answer's text served), polled every 50 ms. Then the same
questions (the article's, asked of it and of all; 200 real user questions) go to the extended
build, to a build from scratch over the same vectors and to exact search over them: how many
responses are identical to the build from scratch's, and how many have exact search's decision
and entry (an approximate graph misses a few neighbours, two graphs not always the same ones).

``--work DIR`` keeps each size's corpus and first build there and reuses them (the full build
then comes from the earlier run, marked †). English only unless ``--multilingual``. Prints a
Markdown table. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import DATASETS, make_corpus, queries, wait_ready

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
ARTICLE_ID = "night-trains"
EDIT = "Edited for the benchmark: "


def askbot(env: dict[str, str], *command: str) -> tuple[float, str]:
    """Seconds one `askbot` command took, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "askbot.cli", *command],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, done.stdout


def manifest_of(index_dir: Path, printed: str) -> dict:
    """The manifest of the build `askbot reload` said it put in service."""
    found = re.search(r"index (\S+) in service", printed)
    assert found, printed
    return json.loads((index_dir / "builds" / found.group(1) / "manifest.json").read_text())


def served_after(started: float, base: str, question: str, collection: str, wanted: str) -> float:
    """Seconds from ``started`` until the server's answer to ``question`` contains ``wanted``."""
    with httpx.Client(base_url=base, timeout=30) as client:
        while True:
            reply = client.post("/v1/chat", json={"message": question, "collection": collection})
            if reply.status_code == 200 and wanted in json.dumps(reply.json().get("answer")):
                return time.perf_counter() - started
            if time.perf_counter() - started > 900:
                raise RuntimeError(f"{question!r} never answered with {wanted!r}")
            time.sleep(0.05)


def same_answers(env: dict[str, str], questions: list[tuple[str, str | None]]) -> list[int]:
    """How the published build answers ``questions`` (text, collection) beside a build from
    scratch over the same vectors and beside exact search over them.

    Returns: responses identical to the build from scratch's; responses with exact search's
    decision and entry, for the published build and for the build from scratch.
    """
    from askbot.config import Settings
    from askbot.embed.active import load_query_embedder
    from askbot.index import load_index
    from askbot.index.vector_cache import VECTORS_DIR
    from askbot.retrieve import Retriever
    from askbot.service import build

    settings = Settings(
        corpus_dir=Path(env["ASKBOT_CORPUS_DIR"]),
        index_dir=Path(env["ASKBOT_INDEX_DIR"]),
        multilingual=env["ASKBOT_MULTILINGUAL"] == "true",
    )
    embedder = load_query_embedder(settings)
    extended = Retriever(load_index(settings.index_dir), embedder)
    fresh = []
    for limit in (settings.exact_search_limit, 10**9):  # as configured, then exact
        scratch = Path(tempfile.mkdtemp(prefix="askbot-bench-scratch-"))
        shutil.copytree(settings.index_dir / VECTORS_DIR, scratch / VECTORS_DIR)
        update = {"index_dir": scratch, "exact_search_limit": limit}
        built = build(settings.model_copy(update=update), embedder=embedder)[1]
        assert not built.manifest.extended_from and not built.manifest.vectors_encoded
        fresh.append(Retriever(built, embedder))
        shutil.rmtree(scratch, ignore_errors=True)
    scratch_built, exact = fresh

    def outcome(answer: dict) -> tuple[str, str | None]:
        return answer["decision"], (answer["answer"] or {}).get("id")

    counts = [0, 0, 0]
    for question, collection in questions:
        ours, theirs, truth = (
            r.ask(question, collection).to_dict() for r in (extended, scratch_built, exact)
        )
        counts[0] += ours == theirs
        counts[1] += outcome(ours) == outcome(truth)
        counts[2] += outcome(theirs) == outcome(truth)
    return counts


def measure(size: int, folder: Path, reuse: bool, multilingual: bool, port: int) -> dict:
    corpus_dir, index_dir = folder / "corpus", folder / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env |= {
        "ASKBOT_CORPUS_DIR": str(corpus_dir),
        "ASKBOT_INDEX_DIR": str(index_dir),
        "ASKBOT_DB_PATH": str(folder / "askbot.sqlite3"),
        "ASKBOT_MULTILINGUAL": "true" if multilingual else "false",
        "ASKBOT_RATE_LIMIT": "",
    }
    record = folder / "full-build.json"
    reused = reuse and record.exists()
    (corpus_dir / f"{ARTICLE_ID}.md").unlink(missing_ok=True)
    corpus = make_corpus(DATASETS, size, corpus_dir)  # the same bytes every time
    if reused:
        full = json.loads(record.read_text())["seconds"]
        # An earlier run's vectors of the article and the edit would spare encoding them: the
        # cache files extending builds wrote go (the build below encodes what it needs again).
        for extension in (index_dir / "vectors").glob("*.*.npz"):
            extension.unlink()
        askbot(env, "build")  # undoes what an earlier run left
    else:
        shutil.rmtree(index_dir, ignore_errors=True)
        tiny = folder / "tiny"
        tiny.mkdir(exist_ok=True)
        (tiny / f"{ARTICLE_ID}.md").write_text(ARTICLE)
        # Exports the encoder into the index folder, which the full build then does not time.
        askbot(env | {"ASKBOT_CORPUS_DIR": str(tiny)}, "build")
        shutil.rmtree(index_dir / "builds")
        shutil.rmtree(index_dir / "vectors")
        (index_dir / "CURRENT").unlink()
        full, _ = askbot(env, "build")
        record.write_text(json.dumps({"seconds": full}))
    server = subprocess.Popen(
        [sys.executable, "-m", "askbot.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/readyz", server, timeout=900)
        (corpus_dir / f"{ARTICLE_ID}.md").write_text(ARTICLE)
        started = time.perf_counter()
        add_reload, added = askbot(env, "reload")
        add_served = served_after(
            started, base, "Can I take my bike on the night train?", ARTICLE_ID, "bike space"
        )
        first = json.loads(corpus.read_text().splitlines()[0])
        corpus.write_text(corpus.read_text().replace('"answer": "', f'"answer": "{EDIT}', 1))
        started = time.perf_counter()
        edit_reload, edited = askbot(env, "reload")
        edit_served = served_after(started, base, first["question"], "bench", EDIT)
    finally:
        server.terminate()
        server.wait(timeout=60)
    encoded = [manifest_of(index_dir, printed)["vectors_encoded"] for printed in (added, edited)]
    article = [q.split("\n")[0] for q in ARTICLE.split("## ")[1:]]
    asked = [(q, ARTICLE_ID) for q in article] + [(q, None) for q in article]
    asked += [(q, None) for q in queries(DATASETS, 200)]
    same = same_answers(env, asked)
    corpus.write_text(corpus.read_text().replace(EDIT, "", 1))
    return {
        "full": full,
        "reused": reused,
        "add_reload": add_reload,
        "add_served": add_served,
        "edit_reload": edit_reload,
        "edit_served": edit_served,
        "encoded": encoded,
        "index": manifest_of(index_dir, added)["index_type"],
        "same": f"{same[0]}/{len(asked)}",
        "exact": f"{same[1]} / {same[2]} of {len(asked)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="725,10000")
    parser.add_argument("--work", type=Path, help="keep corpora and first builds here (reused)")
    parser.add_argument("--multilingual", action="store_true", help="the multilingual space too")
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="askbot-bench-incremental-"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = work / f"{size}{'-multilingual' if args.multilingual else ''}"
        folder.mkdir(parents=True, exist_ok=True)
        result = measure(size, folder, args.work is not None, args.multilingual, args.port)
        rows.append((size, result))
    print(
        "| entries | index | full build s | + article: reload s | served s "
        "| one answer edited: reload s | served s | texts encoded: article / edit "
        "| identical to a build from scratch | exact search's decision and entry: this build "
        "/ from scratch |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, r in rows:
        mark = " †" if r["reused"] else ""
        print(
            f"| {size:,} | {r['index']} | {r['full']:.1f}{mark} | {r['add_reload']:.1f} "
            f"| {r['add_served']:.1f} | {r['edit_reload']:.1f} | {r['edit_served']:.1f} "
            f"| {r['encoded'][0]} / {r['encoded'][1]} | {r['same']} | {r['exact']} |"
        )
    spaces = "English and multilingual spaces" if args.multilingual else "English space only"
    print(f"\n({spaces}; `askbot serve --workers 1`; {os.cpu_count()} cores)")
    if any(r["reused"] for _, r in rows):
        print("† measured by an earlier run of this script (`--work`), not this one.")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
