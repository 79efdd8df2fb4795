"""Vectors kept between builds, by a hash of the model and the text: a rebuild after a corpus
edit encodes only the texts that are new, and a renamed file or a reordered entry costs nothing.

One file per model under ``index/vectors/`` (``<sha256 of the model id>.npz``: the texts'
SHA-256 digests and their float32 vectors). A build from scratch rewrites it with exactly the
texts it used, so it never outgrows the corpus for long; a build that extends the last one
adds its new texts and drops nothing. A missing, damaged or foreign file only means encoding
everything again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from askbot.embed.protocol import Embedder, Vectors, Wrapper

VECTORS_DIR = "vectors"
log = logging.getLogger("askbot.index")


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
        self._known_vectors: dict[bytes, Vectors] | None = None  # read at the first encode
        self._used: dict[bytes, Vectors] = {}
        self.encoded = 0  # texts this build had to encode
        self.reused = 0  # texts it found in the cache

    @property
    def _known(self) -> dict[bytes, Vectors]:
        if self._known_vectors is None:
            self._known_vectors = self._read() if self._reuse else {}
        return self._known_vectors

    def _read(self) -> dict[bytes, Vectors]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
        except FileNotFoundError:
            return {}
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            log.warning("vector cache %s unreadable, encoding everything: %s", self.path, exc)
            return {}
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(keys) != len(vectors):
            return {}
        return {bytes(key): vector for key, vector in zip(keys, vectors, strict=True)}

    def encode(self, texts: Sequence[str]) -> Vectors:
        """The vectors of ``texts``, encoding (in one call) only those not kept yet."""
        keys = [_digest(text) for text in texts]
        missing = {
            key: text for key, text in zip(keys, texts, strict=True) if key not in self._known
        }
        if missing:
            fresh = self.inner.encode(list(missing.values()))
            self._known.update(zip(missing, np.asarray(fresh, dtype=np.float32), strict=True))
        self.encoded += len(missing)
        self.reused += len(texts) - len(missing)
        out = np.stack([self._known[key] for key in keys]) if keys else self._empty()
        self._used.update(zip(keys, out, strict=True))
        return out

    def _empty(self) -> Vectors:
        return np.zeros((0, self.dimension), dtype=np.float32)

    def save(self, *, keep_unused: bool = False) -> None:
        """Keep the vectors of the texts this build used (and no others), atomically.

        ``keep_unused``: keep every vector already kept too (a build that encoded only the
        texts it added, and used the others from the last build's index); then an unchanged
        cache is not written at all.
        """
        if keep_unused and not self.encoded:
            return
        kept = self._known if keep_unused else self._used
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.stem}.{os.getpid()}.npz")
        keys = np.frombuffer(b"".join(kept), dtype=np.uint8).reshape(-1, 32)
        vectors = np.stack(list(kept.values())) if kept else self._empty()
        with partial.open("wb") as out:
            np.savez(out, keys=keys, vectors=vectors)
        os.replace(partial, self.path)
