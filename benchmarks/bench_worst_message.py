"""Worst-case messages: what the most expensive inputs found cost through the real chat path.

Each "HTTP" case is a ``POST /v1/chat`` through ``create_app`` (``TestClient``, the real
packaged model) on tests/data/corpus_api plus two collections of long, nearly equal questions
(990 and 120 characters), sent after the reply that sets up the worst state for it (a
fallback, which leaves six options pending, or a clarify). Only the attacking request is
timed; it includes encoding the message, which runs in the encoder's thread, not on the event
loop. The "pick" rows time the part that runs on the event loop, ``choose`` (the pick matcher),
alone, also on inputs the API refuses or never stores: an unlimited message, 102 options, and
repetitive options on both sides (difflib's worst case, which only a corpus could supply). The
"spelling" row times the spelling corrector, also on the event loop, on fresh near-misses; the
"cues" rows the reading of another language's follow-up cues, on the longest messages they read.

    python benchmarks/bench_worst_message.py [--repeat 15]

Prints a Markdown table of medians and maxima (milliseconds) and the budget it must stay
under. Nothing here runs in the test suite; tests/api/test_cleaning.py asserts the bound
structurally.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import DEFAULT_MODEL, Settings
from askbot.conversation import choose
from askbot.conversation.cues import MAX_WORDS, leans_back, subject_of
from askbot.conversation.reading import FUZZY_MAX_CHARS
from askbot.embed import load_embedder
from askbot.retrieve.spelling import Speller

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus_api"
SEED = "south-korea-japan-relations"
LONG = "long-questions"
MEDIUM = "medium-questions"
BUDGET_MS = 100.0
FDFA = "\ufdfa"  # ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM: 18 characters under NFKC
OFF_TOPIC = "what's the weather in Paris tomorrow?"


def long_questions(count: int = 6, length: int = 990) -> list[str]:
    """Questions of ``length`` characters, each a near miss of the others (shared words)."""
    rng = random.Random(7)
    words = [
        "how",
        "will",
        "this",
        "improved",
        "relationship",
        "impact",
        "regional",
        "security",
        "and",
        "trade",
        "now",
    ]
    questions = []
    for _ in range(count):
        text = ""
        while len(text) < length - 1:
            text += rng.choice(words) + " "
        questions.append(text[: length - 1].strip() + "?")
    return questions


def write_corpus(folder: Path) -> tuple[list[str], list[str]]:
    """corpus_api plus collections of long and medium questions; returns those questions."""
    shutil.copytree(CORPUS, folder)
    made = []
    for name, length in ((LONG, 990), (MEDIUM, FUZZY_MAX_CHARS)):
        questions = long_questions(length=length)
        lines = [f"# {name}", "", f"Questions of {length} characters.", ""]
        for k, question in enumerate(questions):
            lines += [f"## {question}", f"Answer number {k}.", ""]
        (folder / f"{name}.md").write_text("\n".join(lines))
        made.append(questions)
    return made[0], made[1]


def shuffled(text: str, seed: int) -> str:
    """The same characters in another order: quick_ratio near 1, ratio low, difflib's worst."""
    chars = list(text)
    random.Random(seed).shuffle(chars)
    return "".join(chars)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per case")
    args = parser.parse_args()

    embedder = load_embedder(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        questions, medium = write_corpus(root / "corpus")
        settings = Settings(
            corpus_dir=root / "corpus",
            index_dir=root / "index",
            db_path=root / "askbot.sqlite3",
            rate_limit="",
            keyless_rate_limit="",
            allowed_hosts=["testserver"],  # TestClient's host name
        )
        service.build(settings, embedder=embedder)
        with TestClient(create_app(settings, embedder=embedder)) as client:
            rows = http_cases(client, questions, medium, args.repeat)
    rows += pick_cases(questions, medium, args.repeat)
    rows += spelling_cases(args.repeat)
    rows += cue_cases(args.repeat)

    print("| case | status | median ms | max ms | budget ms |")
    print("|---|---|---:|---:|---:|")
    for name, status, times in rows:
        median, worst = statistics.median(times), max(times)
        flag = "" if median < BUDGET_MS else " **over**"
        print(f"| {name} | {status} | {median:.1f}{flag} | {worst:.1f} | {BUDGET_MS:.0f} |")


def http_cases(
    client: TestClient, questions: list[str], medium: list[str], repeat: int
) -> list[tuple[str, str, list[float]]]:
    """Each attacking message after the reply that sets it up, through ``POST /v1/chat``."""

    def after(setup: str, collection: str) -> Callable[[], str]:
        def session() -> str:
            reply = client.post("/v1/chat", json={"message": setup, "collection": collection})
            body = reply.json()
            assert reply.status_code == 200, body
            return str(body["session_id"])

        return session

    fallback_seed = after(OFF_TOPIC, SEED)
    fallback_long = after(OFF_TOPIC, LONG)
    fallback_medium = after(OFF_TOPIC, MEDIUM)
    clarify = after("passport form", "passports")
    cases: list[tuple[str, Callable[[], str], str]] = [
        ("ordinary question, after a fallback", fallback_seed, "why are Seoul and Tokyo closer?"),
        ("1,000 × U+FDFA, after a fallback", fallback_seed, FDFA * 1000),
        ("1,000 × U+FDFA, after a clarify", clarify, FDFA * 1000),
        ("55 × U+FDFA (990 normalised), after a fallback", fallback_seed, FDFA * 55),
        ("55 × U+FDFA (990 normalised), after a clarify", clarify, FDFA * 55),
        ("1,000 × 'a', after a fallback", fallback_seed, "a" * 1000),
        ("1,000 × 'ab ', after a clarify", clarify, ("ab " * 334)[:1000]),
        ("6 pending 990-char options, exact text", fallback_long, questions[3]),
        ("6 pending 990-char options, near miss", fallback_long, questions[3][:-40] + "x" * 40),
        ("6 pending 990-char options, shuffled", fallback_long, shuffled(questions[3], 1)),
        ("6 pending 120-char options, near miss", fallback_medium, medium[3][:-12] + "x" * 12),
        ("6 pending 120-char options, shuffled", fallback_medium, shuffled(medium[3], 2)),
    ]
    rows = []
    for name, setup, message in cases:
        times, statuses = [], set()
        for _ in range(repeat):
            session_id = setup()
            started = time.perf_counter()
            response = client.post("/v1/chat", json={"message": message, "session_id": session_id})
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(str(response.status_code))
        rows.append((f"HTTP: {name}", "/".join(sorted(statuses)), times))
    return rows


def pick_cases(
    questions: list[str], medium: list[str], repeat: int
) -> list[tuple[str, str, list[float]]]:
    """The pick matcher alone (``choose``), on the worst pending options and messages."""

    def options(texts: list[str]) -> list[dict[str, str]]:
        return [{"id": f"option-{k}", "question": text} for k, text in enumerate(texts)]

    periodic = ("acb" * 400)[:FUZZY_MAX_CHARS]
    cases: list[tuple[str, list[dict[str, str]], str]] = [
        (
            "1,000 × U+FDFA unlimited (18,000 chars), 6 long options",
            options(questions),
            FDFA * 1000,
        ),
        ("990-char shuffled option, 6 long options", options(questions), shuffled(questions[0], 3)),
        ("120-char near miss, 6 options", options(medium), medium[0][:-12] + "x" * 12),
        ("120-char shuffled, 6 options", options(medium), shuffled(medium[0], 4)),
        ("120-char shuffled, 102 options", options(medium * 17), shuffled(medium[0], 5)),
        (
            "periodic 'abc…' vs 6 periodic 'acb…' options",
            options([periodic] * 6),
            ("abc" * 400)[:FUZZY_MAX_CHARS],
        ),
    ]
    rows = []
    for name, pending, message in cases:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            picked = choose(pending, message)
            times.append((time.perf_counter() - started) * 1000)
        rows.append((f"pick: {name}", picked or "none", times))
    return rows


def spelling_cases(repeat: int) -> list[tuple[str, str, list[float]]]:
    """The spelling corrector alone (``Speller.corrected``, on the event loop): messages of
    1,000 characters whose every word is a fresh near-miss of an English word, so that no memo
    helps and each word is looked up."""
    speller = Speller(set())
    speller.corrected("warm up the word list")
    rng = random.Random(0)

    def junk() -> str:  # a 7-letter English word with one letter changed: a typo to look up
        words = ["weather", "history", "because", "between", "another", "morning", "country"]
        text = []
        while sum(len(w) + 1 for w in text) < 992:
            word = list(rng.choice(words))
            word[rng.randrange(7)] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            text.append("".join(word))
        return " ".join(text)[:1000]

    times = []
    for _ in range(repeat):
        message = junk()
        started = time.perf_counter()
        speller.corrected(message)
        times.append((time.perf_counter() - started) * 1000)
    return [("spelling: 1,000 chars of fresh near-misses", "-", times)]


def cue_cases(repeat: int) -> list[tuple[str, str, list[float]]]:
    """Another language's follow-up cues (``leans_back``, then ``subject_of`` for a message that
    leans back), on the event loop: 1,000 characters in as many words as still lean back, all
    linking openings, or in one word."""
    long_words = "y " + " ".join(["quépasacon" * 6 + "ú" * 5] * (MAX_WORDS - 1))
    linking = " ".join(["y"] * MAX_WORDS)
    cases = [
        (f"{len(long_words):,} chars in 16 words after 'y'", long_words),
        ("16 linking openings", linking),
        ("1,000 × 'ú' in one word", "ú" * 1000),
    ]
    rows = []
    for name, message in cases:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            if leans_back(message, "es"):
                subject_of(message, "es")
            times.append((time.perf_counter() - started) * 1000)
        rows.append((f"cues: {name}", str(leans_back(message, "es")), times))
    return rows


if __name__ == "__main__":
    main()
