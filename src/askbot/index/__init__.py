"""The vector index: built in memory, saved as immutable builds with a manifest, loaded verified."""

from askbot.index.build import build_index, vector_index
from askbot.index.manifest import FORMAT_VERSION, Manifest, check_manifest
from askbot.index.memory import (
    EXACT_SEARCH_LIMIT,
    ClassifierWeights,
    FaqIndex,
    StoredVectors,
    stored_vectors,
)
from askbot.index.saving import save_index
from askbot.index.storage import (
    BUILDS_DIR,
    POINTER_NAME,
    current_build,
    load_index,
    read_manifest,
    verified_manifest,
)
from askbot.index.texts import (
    SMALL_FAQ_ENTRIES,
    VectorKind,
    entry_texts,
    multilingual_texts,
    sentence_languages,
)

__all__ = [
    "BUILDS_DIR",
    "EXACT_SEARCH_LIMIT",
    "FORMAT_VERSION",
    "POINTER_NAME",
    "SMALL_FAQ_ENTRIES",
    "ClassifierWeights",
    "FaqIndex",
    "Manifest",
    "StoredVectors",
    "VectorKind",
    "build_index",
    "check_manifest",
    "current_build",
    "entry_texts",
    "load_index",
    "multilingual_texts",
    "read_manifest",
    "save_index",
    "sentence_languages",
    "stored_vectors",
    "vector_index",
    "verified_manifest",
]
