"""Dynamic int8 quantisation of an exported encoder, with its outlier channels kept in fp32.

onnxruntime's dynamic quantisation gives each MatMul's input one int8 scale per call. The FFN
down-projections' inputs (GELU outputs, 4x wider than the hidden size) carry a few "massive
activation" channels: in all-MiniLM-L6-v2 one or two channels per layer reach 14–25 where the
rest stay under ~6. One scale stretched over those loses most of the other channels'
resolution, and quantising these MatMuls naively cost 0.013–0.015 recall@1 on covidfaq.

So, as in LLM.int8(), each down-projection is split in two: the outlier channels go through a
small fp32 MatMul (a Gather of a few columns), every other channel through the int8 one (the
outliers masked to zero there), and the two results are added. The outliers are the channels
whose peak on a fixed set of calibration sentences exceeds ``OUTLIER_RATIO`` times the layer's
10th-highest peak: they are a property of the model, not of the text (the same channels on
FAQ sentences and on the calibration file), so the export stays a function of the model alone.
The int8 down-projections halve the CPU of one encode against keeping them fp32
(docs/performance.md). The result is checked against fp32 on the same sentences; a model whose
vectors move too far (``MIN_AGREEMENT``) keeps its down-projections fp32 instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer

Peaks = npt.NDArray[np.float32]

OUTLIER_RATIO = 2.0  # a channel is an outlier when its peak is this many times the 10th highest
CALIBRATION_FILE = "quantize_calibration.txt"  # package data: everyday questions and answers
_MAX_TOKENS = 256


@dataclass(frozen=True, slots=True)
class Quantized:
    """What ``quantize_encoder`` made."""

    scheme: str  # for the export's manifest
    agreement: float  # mean cosine of int8 to fp32 sentence vectors on the calibration sentences
    outliers: dict[str, list[int]]  # down-projection MatMul name → channels kept fp32


SPLIT_SCHEME = (
    "dynamic int8: per-channel weights, per-call activations; "
    "outlier input channels of the FFN down-projections split off in fp32"
)
FP32_DOWN_SCHEME = (
    "dynamic int8: per-channel weights, per-call activations; FFN down-projections fp32"
)
# Below this agreement with fp32 the split is not trusted and the down-projections stay fp32
# (docs/performance.md gives each packaged model's agreement and recall).
MIN_AGREEMENT = 0.995


def quantize_encoder(
    source: Path, target: Path, model_path: Path, *, min_agreement: float = MIN_AGREEMENT
) -> Quantized:
    """Write the int8 version of the fp32 ONNX encoder ``source`` to ``target``.

    Splits the down-projections' outlier channels off, then checks the result against fp32 on
    the calibration sentences; below ``min_agreement`` it quantises again with the
    down-projections left fp32 (slower, but the model's own accuracy comes first).
    """
    config = json.loads((model_path / "config.json").read_text("utf-8"))
    down = (config.get("intermediate_size"), config.get("hidden_size"))
    model = onnx.load(str(source))
    weights = {init.name: init for init in model.graph.initializer}
    projections = [
        node
        for node in model.graph.node
        if node.op_type == "MatMul"
        and any(tuple(weights[i].dims) == down for i in node.input if i in weights)
    ]
    peaks = _input_peaks(model, [node.input[0] for node in projections], model_path)
    outliers: dict[str, list[int]] = {}
    for node in projections:
        channels = outlier_channels(peaks[node.input[0]])
        if len(channels):
            _split_off(model.graph, node, weights, channels)
            outliers[node.name] = channels.tolist()
    split = target.with_name(f"{target.stem}.split.onnx")
    onnx.save(model, str(split))
    try:
        _quantize_dynamic(split, target, keep_fp32=[_outlier_node(name) for name in outliers])
    finally:
        split.unlink(missing_ok=True)
    agreement = _agreement(source, target, model_path)
    if agreement >= min_agreement:
        return Quantized(SPLIT_SCHEME, agreement, outliers)
    _quantize_dynamic(source, target, keep_fp32=[node.name for node in projections])
    return Quantized(FP32_DOWN_SCHEME, _agreement(source, target, model_path), {})


def _quantize_dynamic(source: Path, target: Path, keep_fp32: list[str]) -> None:
    quantize_dynamic(
        str(source),
        str(target),
        # Weights of the MatMuls and of the fused Attention's QKV projection. The embedding
        # table (Gather) stays fp32: a lookup costs no compute, so int8 would only add error.
        op_types_to_quantize=["MatMul", "Attention"],
        nodes_to_exclude=keep_fp32,
        # Per-channel scales matter: per-tensor ones (the default) on the FFN output
        # projections cost all-MiniLM-L6-v2 up to 0.18 cosine on some sentences.
        per_channel=True,
        weight_type=QuantType.QInt8,
        # Without a shape-inference pre-pass some MatMul outputs have no type; they are fp32.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def outlier_channels(peaks: Peaks) -> npt.NDArray[np.int64]:
    """Channels whose peak exceeds ``OUTLIER_RATIO`` times the 10th-highest peak."""
    if len(peaks) < 10:
        return np.zeros(0, dtype=np.int64)
    tenth = float(np.sort(peaks)[-10])
    return np.flatnonzero(peaks > OUTLIER_RATIO * tenth).astype(np.int64)


def calibration_sentences() -> list[str]:
    """The fixed sentences whose activations locate the outlier channels."""
    text = resources.files("askbot.embed").joinpath(CALIBRATION_FILE).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _input_peaks(model: onnx.ModelProto, names: list[str], model_path: Path) -> dict[str, Peaks]:
    """Per channel, the largest |value| each named tensor takes on the calibration sentences."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in names:  # expose the intermediate tensors as outputs
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = _session(probe.SerializeToString())
    peaks: dict[str, Peaks] = {}
    for feed in _calibration_feeds(session, model_path):
        values = session.run(names, feed)
        for name, value in zip(names, values, strict=True):
            peak = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return peaks


def _agreement(fp32: Path, int8: Path, model_path: Path) -> float:
    """Mean cosine between the two models' mean-pooled sentence vectors on the calibration set."""
    sessions = [_session(str(fp32)), _session(str(int8))]
    cosines = []
    for feed in _calibration_feeds(sessions[0], model_path):
        a, b = (s.run(None, feed)[0][0].mean(axis=0) for s in sessions)
        cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    return float(np.mean(cosines))


def _session(model: str | bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _calibration_feeds(
    session: ort.InferenceSession, model_path: Path
) -> Iterator[dict[str, npt.NDArray[np.int64]]]:
    """One input feed per calibration sentence (one at a time: no padding tokens)."""
    inputs = {i.name for i in session.get_inputs()}
    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(_MAX_TOKENS)
    tokenizer.no_padding()
    for sentence in calibration_sentences():
        encoding = tokenizer.encode(sentence)
        feed = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        yield {k: v for k, v in feed.items() if k in inputs}


def _split_off(
    graph: onnx.GraphProto,
    node: onnx.NodeProto,
    weights: dict[str, onnx.TensorProto],
    channels: npt.NDArray[np.int64],
) -> None:
    """Rewrite ``x @ W`` as ``(x * keep) @ W + x[..., channels] @ W[channels]`` in place."""
    weight_name = next(i for i in node.input if i in weights)
    weight = numpy_helper.to_array(weights[weight_name])
    keep = np.ones(weight.shape[0], dtype=np.float32)
    keep[channels] = 0.0
    base: str = node.name
    graph.initializer.extend(
        [
            numpy_helper.from_array(keep, f"{base}/keep"),
            numpy_helper.from_array(channels, f"{base}/outliers"),
            numpy_helper.from_array(weight[channels].astype(np.float32), f"{base}/outlier_weight"),
        ]
    )
    x, y = node.input[0], node.output[0]
    node.input[0] = f"{base}/kept_input"
    node.output[0] = f"{base}/kept_output"
    before = [
        helper.make_node("Mul", [x, f"{base}/keep"], [f"{base}/kept_input"], name=f"{base}/mask"),
        helper.make_node(
            "Gather",
            [x, f"{base}/outliers"],
            [f"{base}/outlier_input"],
            name=f"{base}/gather",
            axis=-1,
        ),
    ]
    after = [
        helper.make_node(
            "MatMul",
            [f"{base}/outlier_input", f"{base}/outlier_weight"],
            [f"{base}/outlier_output"],
            name=_outlier_node(base),
        ),
        helper.make_node(
            "Add", [f"{base}/kept_output", f"{base}/outlier_output"], [y], name=f"{base}/add"
        ),
    ]
    nodes = graph.node
    position = list(nodes).index(node)
    for offset, new in enumerate(before):
        nodes.insert(position + offset, new)
    position = list(nodes).index(node)
    for offset, new in enumerate(after, start=1):
        nodes.insert(position + offset, new)


def _outlier_node(base: str) -> str:
    return f"{base}/outlier_matmul"
