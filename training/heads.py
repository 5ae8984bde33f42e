"""Fitting helpers shared by train_heads.py and the benchmarks (multinomial logistic regression heads)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

import common as C  # noqa: F401  (puts src/ on sys.path)
from sounding.analysis import classify as K

MIN_DF = 2


class Prepared:
    """Per-text inputs that do not depend on the head: hashed counts, dense cues, embeddings."""

    def __init__(self, texts, emb):
        self.texts = [K.normalize_text(t) for t in texts]
        self.counts = K.lexical_counts(self.texts)
        self.cues = K.dense_cues(self.texts)
        self.emb = np.asarray(emb, dtype=np.float32)

    def subset(self, idx):
        p = Prepared.__new__(Prepared)
        idx = np.asarray(idx)
        p.texts = [self.texts[i] for i in idx]
        p.counts, p.cues, p.emb = self.counts[idx], self.cues[idx], self.emb[idx]
        return p

    @staticmethod
    def concat(parts):
        p = Prepared.__new__(Prepared)
        p.texts = [t for q in parts for t in q.texts]
        p.counts = sp.vstack([q.counts for q in parts], format="csr")
        p.cues = np.vstack([q.cues for q in parts])
        p.emb = np.vstack([q.emb for q in parts])
        return p


def fit_idf(counts) -> np.ndarray:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    idf[df < MIN_DF] = 0.0  # drop rare n-grams (keeps the head small and robust)
    return idf


def fit_head(prep: Prepared, labels, *, C_reg=1.0, emb_scale=1.0, cue_scale=1.0, sample_weight=None, max_iter=400,
             n_cues=K.N_CUES):
    idf = fit_idf(prep.counts)
    X = K.assemble_features(prep.counts, prep.cues, prep.emb, idf, emb_scale, cue_scale, n_cues)
    n_lex = prep.counts.shape[1]
    cols = np.concatenate([np.flatnonzero(idf > 0), np.arange(n_lex, X.shape[1])]).astype(np.int32)
    X = X[:, cols]  # only columns that can be non-zero: much faster lbfgs, much smaller file
    y = np.asarray(labels)
    classes = np.unique(y)
    # "balanced" class weights (macro metrics), combined with any per-sample weight
    cw = {c: len(y) / (len(classes) * np.sum(y == c)) for c in classes}
    w = np.array([cw[v] for v in y], dtype=np.float64)
    if sample_weight is not None:
        w = w * np.asarray(sample_weight, dtype=np.float64)
    m = LogisticRegression(C=C_reg, max_iter=max_iter, tol=1e-4)
    m.fit(X, y, sample_weight=w)
    coef = m.coef_.astype(np.float32)
    intercept = m.intercept_.astype(np.float32)
    if coef.shape[0] == 1:  # binary: sklearn keeps one row
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return {
        "labels": np.array([str(c) for c in m.classes_]),
        "idf": idf,
        "cols": cols,
        "coef": coef,
        "intercept": intercept,
        "emb_scale": np.float32(emb_scale),
        "cue_scale": np.float32(cue_scale),
        "n_cues": np.int32(n_cues),
    }


def predict_proba(head: dict, prep: Prepared) -> np.ndarray:
    X = K.assemble_features(prep.counts, prep.cues, prep.emb, head["idf"], float(head["emb_scale"]), float(head["cue_scale"]),
                            int(head.get("n_cues", K.N_BASE_CUES)))
    z = np.asarray(X[:, head["cols"]] @ head["coef"].T) + head["intercept"] + head.get("bias", 0.0)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def predict(head: dict, prep: Prepared) -> list[str]:
    p = predict_proba(head, prep)
    return [str(head["labels"][i]) for i in p.argmax(axis=1)]


def to_npz_arrays(head: dict, prefix: str) -> dict:
    out = {}
    for k, v in head.items():
        if k == "coef":
            v = v.astype(np.float16)  # halves the file; probabilities change < 1e-3
        out[f"{prefix}_{k}"] = v
    return out
