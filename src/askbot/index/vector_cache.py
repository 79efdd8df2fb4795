"""Vectors kept between builds, by a hash of the model and the text: a rebuild after a corpus
edit encodes only the texts that are new, and a renamed file or a reordered entry costs nothing.

Per model, under ``index/vectors/``: ``<sha256 of the model id>.npz`` (the texts' SHA-256
digests and their float32 vectors) and, after builds that extended the last one, ``<same>.<n>.npz``
holding only the texts each of them encoded. A build from scratch rewrites the first with exactly
the texts it used and removes the others, so the cache never outgrows the corpus for long. Only
the digests are read up front; a file's vectors are read when one of its texts is asked for, so
adding an article to a 100k-entry build neither reads nor rewrites the old vectors. A missing,
damaged or foreign file only means encoding its texts again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from askbot.embed.protocol import Embedder, Vectors, Wrapper

VECTORS_DIR = "vectors"
Prefixes = npt.NDArray[np.uint64]
Rows = npt.NDArray[np.int64]
log = logging.getLogger("askbot.index")
# Files of extended builds merged into one past this many (each build that adds texts adds one).
MAX_ADDITIONS = 16


def vector_cache_path(index_dir: Path, model_id: str) -> Path:
    """Where the vectors of ``model_id`` are kept in ``index_dir``."""
    name = hashlib.sha256(model_id.encode()).hexdigest()[:32]
    return Path(index_dir) / VECTORS_DIR / f"{name}.npz"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class VectorCache(Wrapper):
    """Encodes through ``inner`` only the texts whose vectors ``path`` does not hold yet.

    >>> path = vector_cache_path(Path("index"), embedder.model_id)  # doctest: +SKIP
    >>> cached = VectorCache(embedder, path)  # doctest: +SKIP
    >>> vectors = cached.encode(texts); cached.save()  # doctest: +SKIP
    """

    def __init__(self, inner: Embedder, path: Path, *, reuse: bool = True) -> None:
        self.inner = inner
        self.path = Path(path)
        self._reuse = reuse
        self._files: list[Path] = []
        # Per file: its digests, and their first 8 bytes sorted with the rows they sort from
        # (a lookup is a binary search: no dict of every kept digest, 200k at 100k entries).
        self._lookup: list[tuple[npt.NDArray[np.uint8], Prefixes, Rows]] | None = None
        self._file_vectors: dict[int, Vectors | None] = {}  # read at the first one asked for
        self._new: dict[bytes, Vectors] = {}  # encoded by this build
        self._used: dict[bytes, Vectors] = {}
        self.encoded = 0  # texts this build had to encode
        self.reused = 0  # texts it found in the cache

    def _additions(self) -> list[Path]:
        """The files of extended builds, oldest first."""
        found = []
        for path in self.path.parent.glob(f"{self.path.stem}.*.npz"):
            number = path.stem.rsplit(".", 1)[1]
            if number.isdigit():
                found.append((int(number), path))
        return [path for _, path in sorted(found)]

    def _index(self) -> list[tuple[npt.NDArray[np.uint8], Prefixes, Rows]]:
        """Every file's digests, ready to search (read once)."""
        if self._lookup is None:
            self._lookup = []
            if self._reuse:
                self._files = [self.path, *self._additions()]
                for path in self._files:
                    keys = self._keys(path)
                    prefixes = np.ascontiguousarray(keys[:, :8]).view("<u8").ravel()
                    order = np.argsort(prefixes, kind="stable")
                    self._lookup.append((keys, prefixes[order], order))
        return self._lookup

    def _find(self, keys: list[bytes]) -> list[tuple[int, int] | None]:
        """For each digest, the newest file holding its vector and its row there (or None)."""
        found: list[tuple[int, int] | None] = [None] * len(keys)
        wanted = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 32)
        wanted_prefixes = np.ascontiguousarray(wanted[:, :8]).view("<u8").ravel()
        pending = np.arange(len(keys))
        for number, (stored, prefixes, order) in reversed(list(enumerate(self._index()))):
            if not len(pending) or not len(prefixes):
                continue
            at = np.minimum(np.searchsorted(prefixes, wanted_prefixes[pending]), len(prefixes) - 1)
            rows = order[at]
            # Equal prefixes of two different digests (~1 in 10^9 at 200k) read as a miss.
            hit = prefixes[at] == wanted_prefixes[pending]
            hit &= (stored[rows] == wanted[pending]).all(axis=1)
            for position, row in zip(pending[hit].tolist(), rows[hit].tolist(), strict=True):
                found[position] = (number, row)
            pending = pending[~hit]
        return found

    def _keys(self, path: Path) -> npt.NDArray[np.uint8]:
        """A file's digests, once its vectors' header says they fit them ([] if not)."""
        empty = np.zeros((0, 32), dtype=np.uint8)
        try:
            with np.load(path, allow_pickle=False) as stored:
                keys = stored["keys"]
            with zipfile.ZipFile(path) as archive, archive.open("vectors.npy") as header:
                version = np.lib.format.read_magic(header)
                read = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read(header)
        except FileNotFoundError:
            return empty
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            log.warning("vector cache %s unreadable, encoding its texts again: %s", path, exc)
            return empty
        if keys.ndim != 2 or keys.shape[1] != 32 or shape != (len(keys), self.dimension):
            return empty
        return keys if dtype == np.float32 else empty

    def _stored(self, file: int, row: int) -> Vectors | None:
        """A kept vector (None: its file turned out unreadable)."""
        if file not in self._file_vectors:
            vectors = None
            try:
                with np.load(self._files[file], allow_pickle=False) as stored:
                    vectors = stored["vectors"]
            except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
                log.warning("vector cache %s unreadable: %s", self._files[file], exc)
            self._file_vectors[file] = vectors
        vectors = self._file_vectors[file]
        return None if vectors is None or row >= len(vectors) else vectors[row]

    def encode(self, texts: Sequence[str]) -> Vectors:
        """The vectors of ``texts``, encoding (in one call) only those not kept yet."""
        keys = [_digest(text) for text in texts]
        out = self._empty(len(keys))
        missing: dict[bytes, str] = {}
        kept = self._find(keys) if keys else []
        for row, (key, text, where) in enumerate(zip(keys, texts, kept, strict=True)):
            vector = self._new.get(key)
            if vector is None and where is not None:
                vector = self._stored(*where)
            if vector is None:
                missing.setdefault(key, text)
            else:
                out[row] = vector
        if missing:
            fresh = self.inner.encode(list(missing.values()))
            self._new.update(zip(missing, np.asarray(fresh, dtype=np.float32), strict=True))
            for row, key in enumerate(keys):
                if key in missing:
                    out[row] = self._new[key]
        self.encoded += len(missing)
        self.reused += len(texts) - len(missing)
        self._used.update(zip(keys, out, strict=True))
        return out

    def _empty(self, rows: int = 0) -> Vectors:
        return np.zeros((rows, self.dimension), dtype=np.float32)

    def save(self, *, keep_unused: bool = False) -> None:
        """Keep the vectors of the texts this build used (and no others), atomically.

        ``keep_unused``: keep every vector already kept too (a build that encoded only the
        texts it added, and used the others from the last build's index); then only what this
        build encoded is written, in a file of its own.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not keep_unused:
            self._write(self.path, self._used)
            for path in self._additions():
                path.unlink(missing_ok=True)
            return
        if not self._new:
            return
        additions = self._additions()
        number = int(additions[-1].stem.rsplit(".", 1)[1]) + 1 if additions else 1
        kept = self._new
        if len(additions) >= MAX_ADDITIONS:  # merged with this build's, into one
            kept = {}
            for path in additions:
                with np.load(path, allow_pickle=False) as stored:
                    keys, vectors = self._keys(path), stored["vectors"]
                kept.update((bytes(k), v) for k, v in zip(keys, vectors[: len(keys)], strict=True))
            kept.update(self._new)
        self._write(self.path.with_name(f"{self.path.stem}.{number}.npz"), kept)
        if kept is not self._new:
            for path in additions:
                path.unlink(missing_ok=True)

    def _write(self, path: Path, kept: dict[bytes, Vectors]) -> None:
        partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        keys = np.frombuffer(b"".join(kept), dtype=np.uint8).reshape(-1, 32)
        vectors = np.stack(list(kept.values())) if kept else self._empty()
        with partial.open("wb") as out:
            np.savez(out, keys=keys, vectors=vectors)
        os.replace(partial, path)
