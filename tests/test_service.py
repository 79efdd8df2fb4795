"""engine: the manifest-only freshness check (``ensure_built``) and its fallback to a build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.corpus import hash_corpus, load_corpus
from askbot.corpus import readers as corpus_readers
from askbot.embed import active
from askbot.errors import CorpusError, IndexStaleError
from askbot.fit import BUILD_FITTING
from askbot.index import current_build, load_index
from tests.conftest import (
    DATA,
    PASSPORT_ANSWER,
    PASSPORT_ANSWER_EDITED,
    PASSPORT_QUESTION,
    SEED_ARTICLE,
    FakeEmbedder,
    built_api_settings,
    edit_answer,
)

QUESTION, OLD, NEW = PASSPORT_QUESTION, PASSPORT_ANSWER, PASSPORT_ANSWER_EDITED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return built_api_settings(tmp_path)


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading any corpus file, or building, fail the test."""

    def parse(path: Path) -> None:
        raise AssertionError(f"{path} was parsed")

    for suffix in corpus_readers.READERS:
        monkeypatch.setitem(corpus_readers.READERS, suffix, parse)
    monkeypatch.setattr(service, "build", lambda *a, **k: pytest.fail("build was called"))


def test_the_corpus_hash_without_parsing_is_the_parsed_corpus_hash(settings: Settings) -> None:
    assert hash_corpus(settings.corpus_dir) == load_corpus(settings.corpus_dir).content_hash
    before = hash_corpus(settings.corpus_dir)
    edit_answer(settings.corpus_dir, OLD, NEW)
    assert hash_corpus(settings.corpus_dir) != before


def test_an_unchanged_corpus_is_not_parsed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = current_build(settings.index_dir).name
    forbid_parsing(monkeypatch)
    manifest, built = service.ensure_built(settings, embedder=FakeEmbedder())
    assert not built
    assert manifest.build_id == serving == current_build(settings.index_dir).name
    assert manifest.corpus_hash == hash_corpus(settings.corpus_dir)
    assert manifest.entries == []  # the entry table is not kept either
    # The app's start-up checks freshness the same way.
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="http://localhost"
    ) as http:
        assert http.get("/readyz").json()["index"] == serving


def test_a_changed_corpus_is_parsed_and_rebuilt(settings: Settings) -> None:
    serving = current_build(settings.index_dir).name
    edit_answer(settings.corpus_dir, OLD, NEW)
    manifest, built = service.ensure_built(settings, embedder=FakeEmbedder())
    assert built and manifest.build_id != serving
    assert current_build(settings.index_dir).name == manifest.build_id
    index = load_index(settings.index_dir, corpus_hash=hash_corpus(settings.corpus_dir))
    assert NEW in [entry.answer for entry in index.entries]


def test_another_model_is_rebuilt(settings: Settings) -> None:
    class OtherModel(FakeEmbedder):
        model_id = "fake-bag-of-words@2"

    manifest, built = service.ensure_built(settings, embedder=OtherModel())
    assert built and manifest.model_id == OtherModel.model_id


def test_an_index_fitted_by_an_older_askbot_is_rebuilt(settings: Settings) -> None:
    # An index from before per-collection fitting was versioned: same corpus, same model.
    manifest_path = current_build(settings.index_dir) / "manifest.json"
    old = json.loads(manifest_path.read_text())
    del old["fitting"]
    manifest_path.write_text(json.dumps(old))
    with pytest.raises(IndexStaleError, match="fitted by older rules"):
        service.load_fresh_index(settings, FakeEmbedder.model_id)
    manifest, built = service.ensure_built(settings, embedder=FakeEmbedder())
    assert built and manifest.fitting == BUILD_FITTING
    assert service.load_fresh_index(settings, FakeEmbedder.model_id).manifest.fitting == (
        BUILD_FITTING
    )


def test_a_damaged_build_is_rebuilt(settings: Settings) -> None:
    rows = current_build(settings.index_dir) / "rows.npy"
    rows.write_bytes(rows.read_bytes()[:-8])
    manifest, built = service.ensure_built(settings, embedder=FakeEmbedder())
    assert built and current_build(settings.index_dir).name == manifest.build_id


def test_a_malformed_changed_corpus_names_file_and_line_and_the_old_index_serves(
    settings: Settings,
) -> None:
    serving = current_build(settings.index_dir).name
    with TestClient(
        create_app(settings, embedder=FakeEmbedder()), base_url="http://localhost"
    ) as http:
        (settings.corpus_dir / "broken.csv").write_text("question,answer\nWhat?,\n")
        with pytest.raises(CorpusError, match=r"broken\.csv:2: empty answer"):
            service.ensure_built(settings, embedder=FakeEmbedder())
        assert current_build(settings.index_dir).name == serving
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["index"] == serving
        reply = http.post("/v1/chat", json={"message": QUESTION}).json()
        assert reply["answer"]["text"] == OLD


def test_no_index_yet_is_built(tmp_path: Path) -> None:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    manifest, built = service.ensure_built(settings, embedder=FakeEmbedder())
    assert built and manifest.entry_count == len(load_corpus(settings.corpus_dir))


def test_the_model_id_of_a_missing_export_is_unknown(tmp_path: Path) -> None:
    # No ONNX export yet: freshness cannot be judged, so ensure_built builds (and exports).
    assert active.configured_model_id(Settings(index_dir=tmp_path / "index")) is None


def test_build_rebuilds_only_when_needed(seed_corpus_dir: Path, tmp_path: Path) -> None:
    settings = Settings(corpus_dir=seed_corpus_dir, index_dir=tmp_path / "index")
    _, _, built = service.build(settings, embedder=FakeEmbedder())
    assert built
    _, _, built = service.build(settings, embedder=FakeEmbedder())
    assert not built
    path = seed_corpus_dir / SEED_ARTICLE.name
    path.write_text(path.read_text() + "\n-\nA seventh question?\nIts answer.\n")
    translation = seed_corpus_dir / "south-korea-japan-relations.ko.txt"
    translation.write_text(translation.read_text() + "\n-\n일곱 번째 질문?\n그 답.\n")
    _, index, built = service.build(settings, embedder=FakeEmbedder())
    assert built and index.manifest.entry_count == 7
    assert len(list((settings.index_dir / "builds").iterdir())) <= 3
