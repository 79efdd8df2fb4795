"""Index build, atomic save, and the manifest checks on load."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from askbot.corpus import FaqEntry, corpus_from_entries, load_corpus
from askbot.embed import Embedder
from askbot.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
)
from askbot.index import (
    FORMAT_VERSION,
    SMALL_FAQ_ENTRIES,
    FaqIndex,
    VectorKind,
    build_index,
    current_build,
    load_index,
    read_manifest,
    save_index,
    vector_index,
)
from askbot.index.memory import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from askbot.index.texts import answer_sentences
from askbot.retrieve import Retriever
from tests.conftest import DATA, SEED_CORPUS, FakeEmbedder


@pytest.fixture
def saved(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    corpus = load_corpus(DATA / "corpus_good")
    save_index(build_index(corpus, fake_embedder), tmp_path / "index")
    return tmp_path / "index"


def test_round_trip_keeps_entries_vectors_and_manifest(saved: Path) -> None:
    corpus = load_corpus(DATA / "corpus_good")
    index = load_index(saved, model_id=FakeEmbedder.model_id, corpus_hash=corpus.content_hash)
    manifest = index.manifest
    assert manifest.entry_count == 9 == len(index.entries)
    # question, alternates, question+answer and (these collections are article-sized) each
    # answer sentence: 9 questions, 4 alternates, 9 answers, 9 sentences
    assert manifest.vector_count == 31 == index.vectors.ntotal
    assert manifest.model_id == FakeEmbedder.model_id and manifest.dimension == 64
    assert [e.id for e in index.entries] == [e.id for e in corpus.entries()]
    bike = next(e for e in index.entries if e.id == "bikes-1")
    assert bike.alternates == ("bicycle on train", "bring a bike")
    assert sorted(index.collection_ids()) == ["bikes", "food", "pets", "travel", "wifi"]
    assert set(manifest.files) == {"vectors.faiss", "rows.npy", "entries.jsonl"}
    # The entry table is on disk, one entry a line beside a small manifest, and in memory
    # only as FaqIndex.entries.
    build = current_build(saved)
    stored = [json.loads(line) for line in (build / "entries.jsonl").read_text().splitlines()]
    assert [e["id"] for e in stored] == [e.id for e in index.entries]
    assert json.loads((build / "manifest.json").read_text())["entries"] == []
    assert manifest.entries == [] and manifest.format_version == FORMAT_VERSION
    # Entries of one collection share their collection id and source strings.
    bikes = [e for e in index.entries if e.collection == "bikes"]
    assert len(bikes) == 2 and bikes[0].collection is bikes[1].collection
    assert bikes[0].source is bikes[1].source


def test_a_format_1_build_with_the_entries_in_the_manifest_still_loads(saved: Path) -> None:
    build = current_build(saved)
    path = build / "manifest.json"
    data = json.loads(path.read_text())
    table = build / "entries.jsonl"
    data["entries"] = [json.loads(line) for line in table.read_text().splitlines()]
    data["format_version"] = 1
    del data["files"]["entries.jsonl"]
    table.unlink()
    path.write_text(json.dumps(data))
    index = load_index(saved)
    assert index.manifest.format_version == 1 and index.manifest.entries == []
    assert [e.id for e in index.entries] == [e["id"] for e in data["entries"]]
    assert next(e for e in index.entries if e.id == "bikes-1").alternates == (
        "bicycle on train",
        "bring a bike",
    )
    # Saved again, it is written in the current format.
    save_index(index, saved)
    assert read_manifest(saved).format_version == FORMAT_VERSION
    assert [e.id for e in load_index(saved).entries] == [e.id for e in index.entries]


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="askbot build"):
        load_index(tmp_path / "nothing")


def test_stale_and_foreign_indexes_are_refused(saved: Path) -> None:
    with pytest.raises(IndexStaleError, match="corpus changed"):
        load_index(saved, corpus_hash="0" * 64)
    with pytest.raises(IndexModelError, match="another-model"):
        load_index(saved, model_id="another-model@1")


@pytest.mark.parametrize("name", ["vectors.faiss", "entries.jsonl"])
@pytest.mark.parametrize("damage", ["truncate", "delete", "flip"])
def test_damaged_files_are_refused(saved: Path, damage: str, name: str) -> None:
    target = current_build(saved) / name
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "delete":
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        data[-5] ^= 0xFF
        target.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        load_index(saved)


@pytest.mark.parametrize("field", ["line", "alternates", "translations"])
def test_an_entry_of_the_wrong_shape_is_refused_even_with_its_checksum(
    saved: Path, field: str
) -> None:
    build = current_build(saved)
    table = build / "entries.jsonl"
    lines = table.read_text().splitlines()
    first = json.loads(lines[0])
    first[field] = {"line": "seven", "alternates": 7, "translations": [["ko"]]}[field]
    table.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    path = build / "manifest.json"
    data = json.loads(path.read_text())
    data["files"]["entries.jsonl"] = hashlib.sha256(table.read_bytes()).hexdigest()
    path.write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match=r"entries.jsonl is unreadable: .*\$"):
        load_index(saved)


def test_unreadable_manifest_and_pointer(saved: Path) -> None:
    manifest = current_build(saved) / "manifest.json"
    manifest.write_text("{ not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        load_index(saved)
    (saved / "CURRENT").write_text("no-such-build\n")
    with pytest.raises(IndexCorruptError, match="does not exist"):
        load_index(saved)


@pytest.mark.parametrize("pointer", ["..", ".", "../index", "/etc", "builds/..", ".staging-x"])
def test_a_pointer_naming_anything_but_a_build_folder_is_refused(saved: Path, pointer: str) -> None:
    (saved / "CURRENT").write_text(pointer + "\n")
    with pytest.raises(IndexCorruptError, match="names no build"):
        current_build(saved)


def test_a_pointer_to_a_symlink_leading_out_of_builds_is_refused(
    saved: Path, tmp_path: Path
) -> None:
    # A complete, loadable build outside the index folder, reached through a symlink in builds/.
    outside = tmp_path / "elsewhere"
    shutil.copytree(current_build(saved), outside)
    (saved / "builds" / "linked").symlink_to(outside, target_is_directory=True)
    (saved / "CURRENT").write_text("linked\n")
    with pytest.raises(IndexCorruptError, match="does not exist"):
        load_index(saved)


def test_other_format_version_is_refused(saved: Path) -> None:
    path = current_build(saved) / "manifest.json"
    data = json.loads(path.read_text())
    data["format_version"] = 999
    path.write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="format version 999"):
        read_manifest(saved)


def test_failed_save_leaves_previous_index_serving(
    saved: Path, fake_embedder: FakeEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = current_build(saved)
    other = tmp_path / "other"
    other.mkdir()
    (other / "faq.md").write_text("## A new question?\nA new answer.\n")
    new_index = build_index(load_corpus(other), fake_embedder)

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError, match="disk full"):
        save_index(new_index, saved)
    assert current_build(saved) == before
    assert load_index(saved).manifest.entry_count == 9
    assert not [p for p in (saved / "builds").iterdir() if p.name.startswith(".staging")]


def test_answers_are_split_into_sentences_worth_a_vector() -> None:
    text = "Yes. Polls open at 7 a.m. and close at 8 p.m. on Tuesday. Bring a photo ID card."
    assert answer_sentences(text, "en") == [
        "Polls open at 7 a.m. and close at 8 p.m. on Tuesday.",  # no break after "a.m."
        "Bring a photo ID card.",
    ]  # "Yes." says nothing without its question
    assert answer_sentences("日本と韓国は協力を強化しています。これは重要な変化です。", "ja") == [
        "日本と韓国は協力を強化しています。",
        "これは重要な変化です。",
    ]


def test_only_an_article_sized_collection_embeds_its_answers_sentence_by_sentence(
    fake_embedder: Embedder,
) -> None:
    answer = "The first sentence is here. The second sentence is there."
    entries = [FaqEntry(f"a{i}", "article", f"question {i}?", answer) for i in range(3)]
    entries += [
        FaqEntry(f"b{i}", "big", f"question {i}?", answer) for i in range(SMALL_FAQ_ENTRIES + 1)
    ]
    index = build_index(corpus_from_entries(entries), fake_embedder)
    kinds = {
        collection: index.rows[index.vector_ids_of_many(index.entries_of(collection))[0], 1]
        for collection in ("article", "big")
    }
    assert (kinds["article"] == VectorKind.ANSWER_SENTENCE).sum() == 2 * 3
    assert not (kinds["big"] == VectorKind.ANSWER_SENTENCE).any()


# 9 entries and 31 vectors in corpus_good; a tiny threshold makes the approximate index cheap.
GOOD_VECTORS = 31


@pytest.fixture(scope="module")
def hnsw_saved(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("hnsw") / "index"
    corpus = load_corpus(DATA / "corpus_good")
    save_index(build_index(corpus, embedder, exact_limit=GOOD_VECTORS - 1), index_dir)
    return index_dir


def test_the_size_threshold_picks_exact_or_approximate_search(embedder: Embedder) -> None:
    corpus = load_corpus(DATA / "corpus_good")
    at_limit = build_index(corpus, embedder, exact_limit=GOOD_VECTORS)
    assert at_limit.manifest.index_type == "flat"
    assert isinstance(at_limit.vectors, faiss.IndexFlatIP)
    past_limit = build_index(corpus, embedder, exact_limit=GOOD_VECTORS - 1)
    assert past_limit.manifest.index_type == "hnsw-fp16"
    assert isinstance(past_limit.vectors, faiss.IndexHNSWSQ)
    assert past_limit.vectors.metric_type == faiss.METRIC_INNER_PRODUCT
    assert past_limit.manifest.index_params == {
        "m": HNSW_M,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": HNSW_EF_SEARCH,
        "exact_limit": GOOD_VECTORS - 1,
    }
    # The same vectors either way, held once: the matrix is a read-only view of FAISS's storage,
    # float32 when exact, float16 (half the memory) past the limit.
    assert at_limit.matrix.dtype == np.float32 and past_limit.matrix.dtype == np.float16
    assert np.array_equal(at_limit.matrix.astype(np.float16), past_limit.matrix)
    assert not past_limit.matrix.flags.owndata and not past_limit.matrix.flags.writeable
    assert not at_limit.matrix.flags.owndata and not at_limit.matrix.flags.writeable
    assert np.array_equal(
        past_limit.matrix, past_limit.vectors.reconstruct_n(0, past_limit.vectors.ntotal)
    )
    # Rows handed to scoring are float32, within float16's rounding of the exact vectors.
    rows = past_limit.vectors_at(np.array([0, 5, 21]))
    assert rows.dtype == np.float32 and rows.shape == (3, at_limit.manifest.dimension)
    assert np.allclose(rows, at_limit.matrix[[0, 5, 21]], atol=1e-3)
    assert not np.array_equal(rows, at_limit.matrix[[0, 5, 21]])  # really rounded to float16


def test_approximate_index_round_trips_with_its_manifest(
    hnsw_saved: Path, embedder: Embedder
) -> None:
    corpus = load_corpus(DATA / "corpus_good")
    index = load_index(hnsw_saved, model_id=embedder.model_id, corpus_hash=corpus.content_hash)
    assert index.manifest.index_type == "hnsw-fp16"
    assert isinstance(index.vectors, faiss.IndexHNSWSQ)
    assert index.vectors.hnsw.efSearch == HNSW_EF_SEARCH
    assert index.manifest.vector_count == GOOD_VECTORS == len(index.matrix)
    assert index.matrix.dtype == np.float16 and not index.matrix.flags.writeable
    stored = json.loads((current_build(hnsw_saved) / "manifest.json").read_text())
    assert stored["index_type"] == "hnsw-fp16" and stored["index_params"]["m"] == HNSW_M
    with pytest.raises(IndexStaleError):
        load_index(hnsw_saved, corpus_hash="0" * 64)
    with pytest.raises(IndexModelError):
        load_index(hnsw_saved, model_id="another-model@1")


def test_a_manifest_naming_another_index_type_is_refused(hnsw_saved: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(hnsw_saved, copy)
    path = current_build(copy) / "manifest.json"
    data = json.loads(path.read_text())
    data["index_type"] = "hnsw"  # a float32 graph, but the file holds a float16 one
    path.write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="does not match its manifest"):
        load_index(copy)


def test_a_float32_hnsw_build_from_before_float16_still_loads_and_answers(
    embedder: Embedder, tmp_path: Path
) -> None:
    # Builds made before float16 storage hold an IndexHNSWFlat and say "hnsw" in the manifest.
    corpus = load_corpus(DATA / "corpus_good")
    exact = build_index(corpus, embedder)
    graph, index_type, params = vector_index(
        exact.vectors_at(np.arange(GOOD_VECTORS)), exact_limit=GOOD_VECTORS - 1, fp16=False
    )
    assert index_type == "hnsw" and isinstance(graph, faiss.IndexHNSWFlat)
    old = FaqIndex(
        replace(exact.manifest, index_type=index_type, index_params=params),
        exact.entries,
        exact.collections,
        graph,
        exact.rows,
    )
    save_index(old, tmp_path / "index")
    loaded = load_index(tmp_path / "index", corpus_hash=corpus.content_hash)
    assert loaded.manifest.index_type == "hnsw" and isinstance(loaded.vectors, faiss.IndexHNSWFlat)
    assert loaded.matrix.dtype == np.float32 and np.array_equal(loaded.matrix, exact.matrix)
    question = "can I take my bicycle on the train?"
    a, b = Retriever(exact, embedder).ask(question), Retriever(loaded, embedder).ask(question)
    assert (a.decision, a.candidates) == (b.decision, b.candidates)


@pytest.mark.parametrize("exact_limit", [GOOD_VECTORS - 1, 1])
def test_collection_scoped_search_on_the_approximate_index(
    embedder: Embedder, exact_limit: int
) -> None:
    # exact_limit 21: every collection is scanned exactly; 1: the graph is searched with a
    # selector (each collection holds 2 or more vectors).
    corpus = load_corpus(DATA / "corpus_good")
    flat = build_index(corpus, embedder)
    hnsw = build_index(corpus, embedder, exact_limit=exact_limit)
    assert hnsw.manifest.index_type == "hnsw-fp16"
    query = embedder.encode(["can I take my bicycle on the train?"])[0]
    for collection in hnsw.collection_ids():
        allowed = hnsw.vector_ids_of_collection(collection)
        assert len(allowed) > exact_limit or exact_limit == GOOD_VECTORS - 1
        k = len(allowed) + 2  # more than the collection holds: the rest is padding
        hits = hnsw.search(query, k, collection)
        assert set(hits[hits >= 0].tolist()) == set(allowed.tolist())
        assert (hits[len(allowed) :] == -1).all()
        # Nearest first, as exact search orders them.
        exact = flat.search(query, 3, collection)
        assert hits[:3].tolist() == exact.tolist()
    assert (hnsw.search(query, 4, "no-such-collection") == -1).all()
    unscoped = hnsw.search(query, 5)
    assert unscoped.tolist() == flat.search(query, 5).tolist()


def test_retrieval_is_the_same_with_the_approximate_index(embedder: Embedder) -> None:
    # On a small corpus the graph finds every neighbour: answers match exact search, and
    # float16 storage moves scores by well under the calibration's resolution.
    corpus = load_corpus(SEED_CORPUS)
    exact = Retriever(build_index(corpus, embedder), embedder)
    approximate = Retriever(build_index(corpus, embedder, exact_limit=0), embedder)
    assert approximate.index.manifest.index_type == "hnsw-fp16"
    questions = [
        "why are Seoul and Tokyo getting closer?",
        "could this become a wider Asian alliance?",
        "trade",
        "what's the weather in Paris tomorrow?",
    ] + [e.question for e in corpus.entries()]
    for question in questions:
        a, b = exact.ask(question), approximate.ask(question)
        assert a.decision == b.decision
        assert [i for i, _ in a.candidates] == [i for i, _ in b.candidates]
        assert [s for _, s in a.candidates] == pytest.approx([s for _, s in b.candidates], abs=1e-3)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-3)
    entry = next(iter(corpus.entries()))
    assert exact.related(entry.id) == approximate.related(entry.id)
