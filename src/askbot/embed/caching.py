"""One caching embedder: each distinct text is encoded once and its vector remembered.

Serving bounds it (suggestion clicks repeat exactly; the oldest texts are forgotten first);
evaluation leaves it unbounded and may keep it in a file between runs. Identical texts get
bit-identical vectors, so their scores tie exactly.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from askbot.embed.batching import encode_async
from askbot.embed.protocol import Embedder, Vectors, Wrapper


class CachingEmbedder(Wrapper):
    """Remembers the vectors of the ``capacity`` most recent distinct texts (None: all)."""

    def __init__(self, inner: Embedder, *, capacity: int | None = 4096) -> None:
        if capacity is not None and capacity < 1:
            raise ValueError("capacity must be at least 1 (or None for no bound)")
        self.inner = inner
        self.capacity = capacity
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode only the distinct texts not seen recently."""
        out, missing = self._lookup(texts)
        if missing:
            self._store(texts, missing, self.inner.encode(missing), out)
        return out

    async def encode_async(self, texts: Sequence[str]) -> Vectors:
        """``encode`` for a coroutine: the event loop runs on while the misses encode."""
        out, missing = self._lookup(texts)
        if missing:
            self._store(texts, missing, await encode_async(self.inner, missing), out)
        return out

    def load(self, path: Path) -> None:
        """Add the vectors ``save`` wrote to ``path`` (a trusted local file), if it exists."""
        if path.exists():
            # Only ever our own cache file, written by ``save``: pickle is safe here.
            stored: dict[str, Vectors] = pickle.loads(path.read_bytes())
            with self._lock:
                self._cache.update(stored)

    def save(self, path: Path) -> None:
        """Write every remembered vector to ``path`` so the next run skips the model."""
        with self._lock:
            path.write_bytes(pickle.dumps(dict(self._cache)))

    def _lookup(self, texts: Sequence[str]) -> tuple[Vectors, list[str]]:
        """The cached rows filled in, and the distinct texts still to encode."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing: dict[str, None] = {}
        with self._lock:
            for row, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is None:
                    missing[text] = None
                else:
                    self._cache.move_to_end(text)
                    out[row] = cached
                    self.hits += 1
        return out, list(missing)

    def _store(
        self, texts: Sequence[str], missing: list[str], fresh: Vectors, out: Vectors
    ) -> None:
        found = dict(zip(missing, fresh, strict=True))
        for row, text in enumerate(texts):
            if text in found:
                out[row] = found[text]
        with self._lock:
            for text, vector in found.items():
                self._cache[text] = vector.copy()
                self._cache.move_to_end(text)
            while self.capacity is not None and len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
