"""Index build, atomic save, and the manifest checks on load."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import pytest

from askbot.corpus import load_corpus
from askbot.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
)
from askbot.index import (
    build_index,
    current_build,
    ensure_index,
    load_index,
    read_manifest,
    save_index,
)
from tests.conftest import DATA, FakeEmbedder


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
    # question + alternates + question+answer per entry: 9 questions, 4 alternates, 9 answers
    assert manifest.vector_count == 22 == index.vectors.ntotal
    assert manifest.model_id == FakeEmbedder.model_id and manifest.dimension == 64
    assert [e.id for e in index.entries] == [e.id for e in corpus.entries()]
    bike = next(e for e in index.entries if e.id == "bikes-1")
    assert bike.alternates == ("bicycle on train", "bring a bike")
    assert sorted(index.collection_ids()) == ["bikes", "food", "pets", "travel", "wifi"]
    assert set(manifest.files) == {"vectors.faiss", "rows.npy"}


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="askbot build"):
        load_index(tmp_path / "nothing")


def test_stale_and_foreign_indexes_are_refused(saved: Path) -> None:
    with pytest.raises(IndexStaleError, match="corpus changed"):
        load_index(saved, corpus_hash="0" * 64)
    with pytest.raises(IndexModelError, match="another-model"):
        load_index(saved, model_id="another-model@1")


@pytest.mark.parametrize("damage", ["truncate", "delete", "flip"])
def test_damaged_files_are_refused(saved: Path, damage: str) -> None:
    target = current_build(saved) / "vectors.faiss"
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


def test_unreadable_manifest_and_pointer(saved: Path) -> None:
    manifest = current_build(saved) / "manifest.json"
    manifest.write_text("{ not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        load_index(saved)
    (saved / "CURRENT").write_text("no-such-build\n")
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


def test_ensure_index_rebuilds_only_when_needed(
    seed_corpus_dir: Path, fake_embedder: FakeEmbedder, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    _, built = ensure_index(load_corpus(seed_corpus_dir), index_dir, fake_embedder)
    assert built
    _, built = ensure_index(load_corpus(seed_corpus_dir), index_dir, fake_embedder)
    assert not built
    path = next(seed_corpus_dir.iterdir())
    path.write_text(path.read_text() + "\n-\nA seventh question?\nIts answer.\n")
    index, built = ensure_index(load_corpus(seed_corpus_dir), index_dir, fake_embedder)
    assert built and index.manifest.entry_count == 7
    assert len(list((index_dir / "builds").iterdir())) <= 3
