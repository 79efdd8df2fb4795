"""The serving encoder: an ONNX export of a sentence-transformers model, run on onnxruntime.

``OnnxEmbedder`` needs onnxruntime, ``tokenizers`` and numpy only, so a serving process never
imports torch (``askbot.embed.onnx_export`` makes the folder at build time). A folder holds::

    model.onnx          the transformer, token embeddings out (fp32 or int8 weights)
    tokenizer.json      the source model's fast tokenizer
    pooling.json        the source model's pooling config (1_Pooling/config.json)
    onnx_export.json    what was exported: source name and fingerprint, precision, lengths

>>> OnnxEmbedder("index/encoder").encode(["how do I reset my password?"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

from askbot.embed.protocol import Vectors
from askbot.errors import EmbedderError

EXPORT_FORMAT = 1
MANIFEST_FILE = "onnx_export.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
POOLING_FILE = "pooling.json"

# The pooling modes of sentence-transformers' Pooling module that we reproduce in numpy.
POOLING_MODES = ("mean", "cls", "max")
# Graph inputs the exporter may declare; the embedder feeds whichever the graph asks for.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbedder:
    """The serving path: an ``export_onnx`` folder run on onnxruntime, without torch."""

    def __init__(self, export_dir: Path | str, *, threads: int = 1, batch_size: int = 64) -> None:
        self._path = Path(export_dir).expanduser()
        if threads < 1 or batch_size < 1:
            raise EmbedderError("threads and batch_size must be at least 1")
        self._batch_size = batch_size
        manifest = _read_manifest(self._path)
        try:
            self._dimension = int(manifest["dimension"])
            self._pooling = str(manifest["pooling"])
            self._do_lower_case = bool(manifest["do_lower_case"])
            max_length = int(manifest["max_seq_length"])
            pad_id, pad_token = int(manifest["pad_id"]), str(manifest["pad_token"])
            self._precision = str(manifest["precision"])
            self._model_id = _model_id(manifest)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbedderError(f"{self._path / MANIFEST_FILE} is incomplete: {exc!r}") from exc
        if self._pooling not in POOLING_MODES:
            raise EmbedderError(f"{self._path}: unsupported pooling {self._pooling!r}")
        try:
            self._tokenizer = Tokenizer.from_file(str(self._path / TOKENIZER_FILE))
        except Exception as exc:  # the Rust tokenizer raises bare Exceptions
            raise EmbedderError(f"cannot load {self._path / TOKENIZER_FILE}: {exc}") from exc
        # Same truncation and padding as sentence-transformers: cut at max_seq_length, pad each
        # batch to its longest text (the tokenizer.json on disk may say otherwise, e.g. 128).
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        options = session_options(threads)
        try:
            self._session: Any = ort.InferenceSession(
                str(self._path / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own unrelated exception classes
            raise EmbedderError(f"cannot load {self._path / MODEL_FILE}: {exc}") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]
        unknown = sorted(set(self._inputs) - set(INPUT_NAMES))
        width = self._session.get_outputs()[0].shape[-1]
        if unknown or width != self._dimension:
            raise EmbedderError(
                f"{self._path / MODEL_FILE} does not match its manifest "
                f"(inputs {self._inputs}, output width {width}, expected {self._dimension})"
            )

    @property
    def model_id(self) -> str:
        """Source model name and fingerprint plus the backend and precision, e.g. ``+onnx-int8``."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length (384 for all-MiniLM-L6-v2)."""
        return self._dimension

    @property
    def precision(self) -> str:
        """Weight precision of the export: ``int8`` or ``fp32``."""
        return self._precision

    @property
    def path(self) -> Path:
        """The export folder on disk."""
        return self._path

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode and L2-normalise, so inner product equals cosine similarity."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        if self._do_lower_case:
            texts = [text.lower() for text in texts]
        # Batch texts of similar length together: padding is wasted compute.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        arrays = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        tokens = self._session.run(None, {name: arrays[name] for name in self._inputs})[0]
        pooled = _pool(np.asarray(tokens, dtype=np.float32), mask, self._pooling)
        # Same epsilon as torch.nn.functional.normalize in sentence-transformers' Normalize.
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(pooled / norms, dtype=np.float32)


def _pool(tokens: Vectors, mask: npt.NDArray[np.int64], mode: str) -> Vectors:
    """Reduce token embeddings ``(n, seq, dim)`` to one vector per text, ignoring padding."""
    weights = mask[:, :, None].astype(np.float32)
    if mode == "cls":
        first: Vectors = tokens[:, 0, :]
        return first
    if mode == "max":
        # Padding must never win the max, as in sentence-transformers (which uses -1e9).
        masked: Vectors = np.where(weights > 0, tokens, np.float32(-1e9))
        highest: Vectors = masked.max(axis=1)
        return highest
    # Mean over real tokens; the clip mirrors sentence-transformers' clamp(min=1e-9).
    summed = (tokens * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled: Vectors = summed / counts
    return pooled


def export_model_id(export_dir: Path) -> str:
    """The ``model_id`` an ``OnnxEmbedder`` of this export has, without loading the model."""
    manifest = _read_manifest(export_dir)
    try:
        return _model_id(manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise EmbedderError(f"{export_dir / MANIFEST_FILE} is incomplete: {exc!r}") from exc


def _model_id(manifest: dict[str, Any]) -> str:
    return f"{manifest['name']}@{manifest['source_fingerprint']}+onnx-{manifest['precision']}"


def _read_manifest(path: Path) -> dict[str, Any]:
    """Load and check an export folder's manifest, naming what is wrong if it can't."""
    if not path.is_dir():
        raise EmbedderError(f"no ONNX export at {path} (make one with export_onnx)")
    missing = [f for f in (MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE) if not (path / f).is_file()]
    if missing:
        raise EmbedderError(f"ONNX export {path} is incomplete: missing {', '.join(missing)}")
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmbedderError(f"cannot read {path / MANIFEST_FILE}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise EmbedderError(
            f"{path / MANIFEST_FILE}: export format {found!r}, expected {EXPORT_FORMAT} "
            "(re-export the model)"
        )
    return manifest


def session_options(threads: int) -> Any:
    """How askbot runs an onnxruntime session: one pool of ``threads``, no spinning."""
    options = ort.SessionOptions()
    # Serving runs one worker per core, so one thread per session avoids oversubscription.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # With threads > 1, idle pool threads spin for work by default: on cores shared with
    # other processes the spinning steals the very cycles the busy thread needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: the optimiser's notices are not for users
    return options
