"""A rebuild encodes only the texts that changed, and answers as a full rebuild does."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from askbot import service
from askbot.config import Settings
from askbot.embed import Embedder, Vectors
from askbot.embed.protocol import Wrapper
from askbot.index.vector_cache import MAX_ADDITIONS, VectorCache, vector_cache_path
from tests.conftest import DATA

QUESTIONS = ("how do I renew my passport?", "I lost my passport", "will China be annoyed?")


class Counting(Wrapper):
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def rebuild(settings: Settings, embedder: Embedder, *, force: bool = False) -> list[str]:
    """Build; the texts the encoder was asked to encode."""
    counting = Counting(embedder)
    _, index, built = service.build(settings, embedder=counting, force=force)
    assert built and index.manifest.vectors_encoded == len(counting.texts)
    return counting.texts


def answers(settings: Settings, embedder: Embedder) -> list[tuple[str | None, float]]:
    retriever = service.open_service(settings, embedder=embedder).retriever
    found = []
    for question in QUESTIONS:
        reply = retriever.ask(question)
        found.append((reply.answer.id if reply.answer else None, round(reply.confidence, 5)))
    return found


def test_an_edit_encodes_only_what_changed(settings: Settings, embedder: Embedder) -> None:
    first = rebuild(settings, embedder)
    assert len(first) == len(set(first)) > 10  # every text once

    passports = settings.corpus_dir / "passports.md"
    text = passports.read_text()
    passports.write_text(text.replace("Fill in form P1", "Fill in form P1 online"))
    assert rebuild(settings, embedder) == [
        "How do I renew my passport? Fill in form P1 online at the town hall.",
        "Fill in form P1 online at the town hall.",
    ]  # the entry's question + answer text and its answer's one sentence: its question (and
    # alternates) are unchanged

    passports.rename(settings.corpus_dir / "travel-documents.md")  # a new collection id
    assert rebuild(settings, embedder) == []
    incremental = answers(settings, embedder)

    full = rebuild(settings, embedder, force=True)  # a forced build encodes everything
    assert len(full) == len(first) and set(full) - set(first) == {
        "How do I renew my passport? Fill in form P1 online at the town hall.",
        "Fill in form P1 online at the town hall.",
    }
    assert answers(settings, embedder) == incremental  # as the full rebuild answers


def test_a_damaged_cache_means_encoding_everything_again(
    settings: Settings, embedder: Embedder
) -> None:
    first = rebuild(settings, embedder)
    cache = vector_cache_path(settings.index_dir, embedder.model_id)
    assert cache.exists()
    cache.write_bytes(b"not a numpy archive")
    (settings.corpus_dir / "passports.md").write_text(
        (settings.corpus_dir / "passports.md").read_text() + "\n## Is there a fee?\nYes.\n"
    )
    again = rebuild(settings, embedder)
    assert set(first) < set(again)  # everything, and the new entry's texts
    (settings.corpus_dir / "passports.md").write_text(
        (settings.corpus_dir / "passports.md").read_text() + "\n## Is it free?\nNo.\n"
    )
    assert len(rebuild(settings, embedder)) == 2  # the cache was written whole again


def test_extending_builds_add_files_of_their_own_and_a_full_build_folds_them(
    tmp_path: Path, embedder: Embedder
) -> None:
    path = vector_cache_path(tmp_path, embedder.model_id)
    first = VectorCache(embedder, path)
    first.encode(["old one", "old two"])
    first.save()
    base = path.read_bytes()
    added = [f"added by build {n}" for n in range(MAX_ADDITIONS + 2)]
    for text in added:
        cache = VectorCache(embedder, path)
        cache.encode(["old one", text])
        cache.save(keep_unused=True)
        assert cache.encoded == 1
    assert path.read_bytes() == base  # the large file is never rewritten by an extension
    files = sorted(p.name for p in path.parent.iterdir())
    assert 1 < len(files) <= MAX_ADDITIONS + 1  # merged past the limit

    every = VectorCache(embedder, path)
    texts = ["old one", "old two", *added]
    vectors = every.encode(texts)
    assert every.encoded == 0
    np.testing.assert_allclose(vectors, embedder.encode(texts), atol=1e-5)
    every.save()  # a full build keeps what it used, in one file
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert VectorCache(embedder, path).encode(texts).shape == (len(texts), embedder.dimension)
