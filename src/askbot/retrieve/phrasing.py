"""A collection's phrasing classifier at question time (fitted by ``askbot.fit.phrasing``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from askbot.index import ClassifierWeights


class PhrasingClassifier:
    """One collection's fitted classifier, at question time."""

    def __init__(self, positions: npt.NDArray[np.int64], weights: ClassifierWeights) -> None:
        self.positions = positions  # entry positions in the index, ascending, one per class
        self._coef = np.ascontiguousarray(weights[:, :-1])
        self._intercept = weights[:, -1].copy()

    def probabilities(self, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """P(entry | question) for each of the collection's entries (summing to 1)."""
        logits = (self._coef @ vector + self._intercept).astype(np.float64)
        logits -= logits.max()
        odds = np.exp(logits)
        probabilities: npt.NDArray[np.float64] = odds / odds.sum()
        return probabilities

    def at(
        self, probabilities: npt.NDArray[np.float64], positions: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Which of ``positions`` belong to this collection, and their probability (0 if not)."""
        slot = np.minimum(np.searchsorted(self.positions, positions), len(self.positions) - 1)
        mine = self.positions[slot] == positions
        return mine, np.where(mine, probabilities[slot], 0.0)
