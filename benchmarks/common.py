"""Helpers shared by the benchmarks: corpora and queries from the shared datasets, servers, RSS.

The scripts run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path`` and they
import this module as ``common``.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO.parent / "shared" / "datasets"


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def faq_entries(datasets: Path) -> list[dict]:
    """Every real FAQ entry of the shared datasets (clinc150's alternates as entries)."""
    entries = []
    for name in ("stackfaq", "covidfaq", "clinc150"):
        for item in _read(datasets / name / "faq.jsonl"):
            answer = item.get("answer") or item["question"]
            entries.append(
                {"id": f"{name}-{item['id']}", "question": item["question"], "answer": answer}
            )
            # clinc150's alternates become entries of their own, to reach realistic sizes.
            for k, alternate in enumerate(item.get("alternates", [])):
                entries.append(
                    {"id": f"{name}-{item['id']}-{k}", "question": alternate, "answer": answer}
                )
    return entries


def user_question_entries(datasets: Path) -> list[dict]:
    """Entries made of real user questions, each answered by its relevant FAQ entry.

    Only questions that ``queries`` never returns (clinc150 train and dev, stackfaq), so the
    benchmark's queries are not in the corpus word for word.
    """
    entries = []
    for name in ("clinc150", "stackfaq"):
        answers = {
            item["id"]: item.get("answer") or item["question"]
            for item in _read(datasets / name / "faq.jsonl")
        }
        for k, item in enumerate(_read(datasets / name / "queries.jsonl")):
            if item.get("split") == "test" or not item["relevant"]:
                continue
            answer = answers[item["relevant"][0]]
            entries.append({"id": f"{name}-q{k}", "question": item["query"], "answer": answer})
    return entries


def make_corpus(datasets: Path, size: int, folder: Path) -> Path:
    """A JSONL collection of ``size`` entries made from the shared datasets.

    First the real FAQ entries, then real user questions as entries; beyond those (~20k),
    synthetic entries whose question joins two real questions, so every text is real language
    and every vector a real embedding. The first entries are the same whatever the size.
    """
    seen, pool = set(), []
    for entry in faq_entries(datasets) + user_question_entries(datasets):
        # stackfaq repeats a thread's question per answer; keep one entry per question.
        if entry["question"].lower() not in seen:
            seen.add(entry["question"].lower())
            pool.append(entry)
    entries = pool[:size]
    for i in range(size - len(entries)):
        first = pool[i % len(pool)]
        second = pool[(i * 7919 + 13) % len(pool)]  # a fixed, scattered partner
        entries.append(
            {
                "id": f"synthetic-{i}",
                "question": f"{first['question']} {second['question']}",
                "answer": first["answer"],
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def queries(datasets: Path, n: int | None = None) -> list[str]:
    """Real user questions, each once (a repeat would hit the answer cache): clinc150 test and
    covidfaq, shuffled; the first ``n`` of them (none: all)."""
    found: dict[str, None] = {}
    for name in ("clinc150", "covidfaq"):
        for item in _read(datasets / name / "queries.jsonl"):
            if item.get("split", "test") == "test":
                found[item["query"].strip()] = None
    texts = list(found)
    random.Random(0).shuffle(texts)
    return texts[:n]


def foreign_queries(datasets: Path, n: int) -> list[str]:
    """Questions in languages other than English (xsid's, in the multilingual encoder's
    languages), shuffled; the first ``n``."""
    supported = {"ar", "de", "it", "ja", "nl", "tr", "zh"}
    found = {
        item["query"].strip(): None
        for item in _read(datasets / "xsid" / "queries.jsonl")
        if item.get("lang") in supported
    }
    texts = list(found)
    random.Random(0).shuffle(texts)
    return texts[:n]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Poll ``url`` until it answers below 500; fail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready")


def sequential(base: str, texts: list[str]) -> list[float]:
    """Latency (ms) of one client sending one /v1/chat request at a time."""
    times = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in texts:
            started = time.perf_counter()
            client.post("/v1/chat", json={"message": text}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (NaN of nothing)."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def rss_mb(pid: int) -> float:
    """Resident set size of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> list[int]:
    """Every live descendant of a process (Linux /proc)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            children = [int(c) for c in task.read_text().split()]
            found += children
            todo += children
    return found


def run_worker(script: str, job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh Python process (``script --worker JOB``); return its JSON answer,
    the last line it prints."""
    done = subprocess.run(
        [sys.executable, script, "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"worker {job} failed:\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer
