"""A ``CachedEmbedder`` whose vectors persist in a pickle between evaluation runs."""

from __future__ import annotations

import pickle
from pathlib import Path

from askbot.embed import Embedder
from askbot.evaluate.baselines import CachedEmbedder


def cached_embedder(embedder: Embedder, path: Path | None) -> CachedEmbedder:
    """Wrap ``embedder``, preloading vectors saved at ``path`` (a trusted local file) if any."""
    cached = CachedEmbedder(embedder)
    if path is not None and path.exists():
        # Only ever our own cache file, written by ``save_cache``: pickle is safe here.
        cached._vectors.update(pickle.loads(path.read_bytes()))
    return cached


def save_cache(embedder: CachedEmbedder, path: Path) -> None:
    """Save every vector ``embedder`` has computed so the next run skips the model."""
    path.write_bytes(pickle.dumps(embedder._vectors))
