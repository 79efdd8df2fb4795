"""What a build learns per collection, after embedding and before saving.

Two fits, in this order: phrasing classifiers (``fit.phrasing``) for collections with many
alternates, then self-calibration (``fit.self_calibration``) of the scores they take part in.
"""

from __future__ import annotations

from dataclasses import replace

from askbot.fit.phrasing import fit_classifiers
from askbot.fit.self_calibration import self_calibrations
from askbot.index import FaqIndex

# Bump when the rules of ``fit_index`` change, so that an index fitted by an older askbot is
# rebuilt like one from an older corpus.
BUILD_FITTING = 5


def fit_index(index: FaqIndex) -> FaqIndex:
    """Fit ``index``'s collections in place (classifiers, then calibrations) and return it,
    in each of its spaces."""
    if index.multilingual is not None:
        fit_index(index.multilingual)
    for collection, weights in fit_classifiers(index).items():
        index.set_classifier(collection, weights)
    index.manifest = replace(
        index.manifest, calibrations=self_calibrations(index), fitting=BUILD_FITTING
    )
    return index
