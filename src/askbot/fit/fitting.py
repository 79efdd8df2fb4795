"""What a build learns per collection, after embedding and before saving.

Two fits, in this order: phrasing classifiers (``fit.phrasing``) for collections with many
alternates, then self-calibration (``fit.self_calibration``) of the scores they take part in.
"""

from __future__ import annotations

from dataclasses import replace

from askbot.fit.phrasing import fit_classifiers
from askbot.fit.self_calibration import self_calibrations
from askbot.index import FaqIndex
from askbot.index.texts import embedded_fields

# Bump when the rules of ``fit_index`` change, so that an index fitted by an older askbot is
# rebuilt like one from an older corpus.
BUILD_FITTING = 7


def fit_index(index: FaqIndex, previous: FaqIndex | None = None) -> FaqIndex:
    """Fit ``index``'s collections in place (classifiers, then calibrations) and return it,
    in each of its spaces.

    ``previous``: a fitted build of the same model and fitting rules; a collection whose
    entries embed the same texts under the same ids there keeps its fits (they depend on
    nothing else), so a corpus change refits only the collections it touched.
    """
    if index.multilingual is not None:
        fit_index(index.multilingual, previous.multilingual if previous is not None else None)
    unchanged = _unchanged_collections(index, previous)
    changed = [c for c in index.collection_ids() if c not in unchanged]
    for collection, weights in fit_classifiers(index, changed).items():
        index.set_classifier(collection, weights)
    calibrations = self_calibrations(index, changed)
    if previous is not None:
        for collection in unchanged:
            if collection in previous.classifiers:
                index.set_classifier(collection, previous.classifiers[collection])
            if collection in previous.manifest.calibrations:
                calibrations[collection] = previous.manifest.calibrations[collection]
    # Collections in corpus order, whichever were fitted now.
    index.manifest = replace(
        index.manifest,
        calibrations={c: calibrations[c] for c in index.collection_ids() if c in calibrations},
        classifiers=[c for c in index.collection_ids() if c in index.classifiers],
        fitting=BUILD_FITTING,
    )
    return index


def _unchanged_collections(index: FaqIndex, previous: FaqIndex | None) -> set[str]:
    """Collections whose fits ``previous`` already holds: same model, same rules, and the same
    entry ids embedding the same texts in the same order."""
    if (
        previous is None
        or previous.model_id != index.model_id
        or previous.manifest.fitting != BUILD_FITTING
        or previous.manifest.translations_embedded != index.manifest.translations_embedded
    ):
        return set()
    multilingual = index.manifest.translations_embedded

    def fingerprint(space: FaqIndex, collection: str) -> list[tuple[str, tuple[object, ...]]]:
        entries = (space.entries[p] for p in space.entries_of(collection))
        return [(entry.id, embedded_fields(entry, multilingual)) for entry in entries]

    earlier = {c.id: c for c in previous.collections}
    # The same object: the corpus took the collection from the last build, its files unchanged.
    return {
        c.id
        for c in index.collections
        if c.id in earlier
        and (c is earlier[c.id] or fingerprint(index, c.id) == fingerprint(previous, c.id))
    }
