"""The ``Embedder`` protocol: texts in, L2-normalised float32 vectors out.

Every stage downstream depends on this protocol alone, so a fake (in tests) or another backend
swaps in without touching the index or the retriever.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str:
        """A stable identity of the model (and backend) written into the index manifest."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Return an array of shape ``(len(texts), dimension)``, each row of unit length."""
        ...


class Wrapper:
    """An embedder that delegates identity to the one it wraps (same vectors, same id)."""

    inner: Embedder

    @property
    def model_id(self) -> str:
        """Same model as the wrapped embedder."""
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        """Same dimension as the wrapped embedder."""
        return self.inner.dimension
