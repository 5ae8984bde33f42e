"""Intent tuning harness (not part of the product): fit variants of the intent head, keep out-of-fold
probabilities of the training splits (validation) and probabilities on every test set, and score
decision rules on them without refitting.

    PYTHONPATH=src python training/experiments/intent_tune.py fit NAME [--mode full] [--sets ardoc:3,...]
    (then use the functions from a Python session: load_run(NAME), decide(...), score(...))

Validation = 3 folds over the training split of each training set (by a hash of the text); the
held-out 25 % test split (common.held_out) and the benchmark-only sets are only predicted.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import common as C  # noqa: E402
import heads as H  # noqa: E402
import train_heads as T  # noqa: E402
from sounding.analysis import classify as K  # noqa: E402

OUT = Path("/tmp/intent-tune")
BENCH = ["complaints", "semeval_a", "semeval_b", "youtube"]
TRAIN = ["ardoc", "tac", "forum", "banking_silver", "urr"]


def fold_of(text: str, k: int = 3) -> int:
    h = hashlib.sha1(("fold\x00" + K.normalize_text(text).lower()).encode("utf-8")).digest()
    return int.from_bytes(h[:4], "big") % k


def _sent_proba(mode, prep):
    head = K.load_heads(mode)["sentiment"]
    X = K.assemble_features(prep.counts, prep.cues, prep.emb, head.idf, head.emb_scale, head.cue_scale, head.n_cues)
    z = np.asarray(X[:, head.cols] @ head.coef.T) + head.intercept
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p[:, [head.labels.index(l) for l in K.SENTIMENT_LABELS]]


def prepared(mode: str, names):
    """{name: (Prepared, gold, test mask, sentiment probs)}, pickled per mode (cues are slow)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"prep.{mode}.{K.N_CUES}.pkl"
    data = pickle.loads(path.read_bytes()) if path.exists() else {}
    loaders = dict(T.INTENT_LOADERS)
    import intent_bench as B

    for n in BENCH:
        loaders[n] = B.SETS[n][0]
    changed = False
    for n in names:
        if n in data:
            continue
        texts, y = loaders[n]()
        prep = H.Prepared(texts, C.cached_embed(T.CACHE_NAME.get(n, n), [K.normalize_text(t) for t in texts], mode))
        test = C.held_out(texts) if n in loaders and n not in BENCH else np.ones(len(texts), bool)
        data[n] = (prep, np.array(y), test, _sent_proba(mode, prep))
        changed = True
    if changed:
        path.write_bytes(pickle.dumps(data))
    return data


def _train_rows(data, name, drop_tac_negative: float | None):
    prep, y, test, sent = data[name]
    rows = np.flatnonzero(~test)
    if name == "tac" and drop_tac_negative is not None:
        # TAC has no problem class: a negative "other" tweet may be a complaint; do not teach it as other
        rows = rows[~((y[rows] == "other") & (sent[rows, 0] > drop_tac_negative))]
    return rows


def _proba(head, prep):
    p = H.predict_proba(head, prep)
    return p[:, [list(head["labels"]).index(l) for l in K.INTENT_BASE_LABELS]]


def fit(name: str, mode: str = "full", sets=None, params=None, drop_tac_negative=None, folds: bool = True):
    """Fit the head on all training splits (probabilities on test sets) and per fold (out-of-fold)."""
    sets = sets or dict(T.INTENT_SETS)
    params = params or dict(T.INTENT_PARAMS)
    data = prepared(mode, list(sets) + [n for n in TRAIN + BENCH if n not in sets])
    rows = {n: _train_rows(data, n, drop_tac_negative) for n in sets}
    fold = {n: np.array([fold_of(data[n][0].texts[i]) for i in rows[n]]) for n in sets}

    def fit_on(keep):
        parts = [(data[n][0].subset(rows[n][keep[n]]), data[n][1][rows[n][keep[n]]], n) for n in sets]
        return T.fit_intent(parts, params=params, weights=sets)

    res = {"sets": sets, "params": params, "drop_tac_negative": drop_tac_negative, "mode": mode, "oof": {}, "test": {}}
    head = fit_on({n: np.ones(len(rows[n]), bool) for n in sets})
    res["head"] = head
    for n in data:
        prep, y, test, sent = data[n]
        idx = np.flatnonzero(test)
        res["test"][n] = (idx, _proba(head, prep.subset(idx)))
    if folds:
        for f in range(3):
            h = fit_on({n: fold[n] != f for n in sets})
            for n in sets:
                idx = rows[n][fold[n] == f]
                res["oof"].setdefault(n, []).append((idx, _proba(h, data[n][0].subset(idx))))
        res["oof"] = {n: (np.concatenate([i for i, _ in v]), np.vstack([p for _, p in v])) for n, v in res["oof"].items()}
    (OUT / f"run.{name}.{mode}.pkl").write_bytes(pickle.dumps(res))
    return res


def load_run(name, mode="full"):
    return pickle.loads((OUT / f"run.{name}.{mode}.pkl").read_bytes())


# ----------------------------------------------------------------------------- decisions
DEFAULT_RULES = {"bias": (0.0, 0.0, 0.0, 0.0), "neg_q": 0.7, "neg_o": 0.7, "fail_o": 0.3, "genuine_q": True,
                 "sugg_fail": True}


def decide(base, cues, sent, rules=None) -> list[str]:
    """5-class labels from 4-class head probabilities (question, suggestion, problem, other), as classify.intent."""
    r = {**DEFAULT_RULES, **(rules or {})}
    z = np.log(np.clip(base, 1e-9, 1)) + np.asarray(r["bias"])[None, :]
    k = z.argmax(axis=1)
    out = []
    B = K.N_BASE_CUES
    for i in range(len(k)):
        label = K.INTENT_BASE_LABELS[k[i]]
        cue, p_neg = cues[i], float(sent[i, 0])
        failure = cue[B + 4] > 0 or cue[13] > 0 or cue[14] > 0
        if r.get("v5_fail") and len(cue) > B + 5:
            failure = failure or cue[B + 5] > 0 or cue[B + 7] > 0 or cue[B + 8] > 0
        asks = cue[11] > 0 or cue[12] > 0
        if r["genuine_q"] and label in ("other", "suggestion") and cue[B + 1] > 0 and not asks and not failure:
            label = "question"
        elif label == "question" and ((cue[B + 2] > 0 and p_neg > r["neg_q"]) or (failure and p_neg > r.get("fail_q", r["neg_q"]))):
            label = "problem"
        elif label == "other" and (p_neg > r["neg_o"] or (failure and p_neg > r["fail_o"])
                                   or (r.get("fail2_o") and cue[B + 4] >= 1.0)):
            label = "problem"
        elif r["sugg_fail"] and label == "suggestion" and failure and not asks:
            label = "problem"
        if label == "other" and sent[i, 2] > K.PRAISE_THRESHOLD:
            label = "praise"
        out.append(label)
    return out


def score(run, rules=None, where="test", sets=None, verbose=True):
    """{set: metrics} with the benchmark's label folding; where = test (held-out + benchmark sets) or oof."""
    import intent_bench as B

    data = _prep_for(run)
    out = {}
    for n, (idx, p) in run[where].items():
        spec = B.SETS.get("banking_silver" if n == "banking_all" else n)
        if (sets and n not in sets) or spec is None:
            continue
        prep, y, test, sent = data[n]
        _, classes, foldmap, _ = spec
        pred = [foldmap.get(x, x) for x in decide(p, prep.cues[idx], sent[idx], rules)]
        out[n] = B.metrics(y[idx], pred, classes)
    if verbose:
        show(out)
    return out


_PREP_CACHE: dict = {}


def _prep_for(run):
    key = (run["mode"], int(run["head"]["n_cues"]))
    if key not in _PREP_CACHE:
        _PREP_CACHE[key] = pickle.loads((OUT / f"prep.{key[0]}.{key[1]}.pkl").read_bytes())
    return _PREP_CACHE[key]


def show(out):
    for n, m in out.items():
        rec = " ".join(f"{c[:4]} {m['recall'][c]:.3f}/{m['precision'][c]:.3f}" for c in m["recall"])
        print(f"{n:15s} F1 {m['macro_f1']:.3f}  R/P: {rec}")


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["fit", "prep"])
    ap.add_argument("name", nargs="?", default="base")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--sets", default=None, help="name:weight,...")
    ap.add_argument("--C", type=float, default=None)
    ap.add_argument("--drop-tac-negative", type=float, default=None)
    ap.add_argument("--no-folds", action="store_true")
    a = ap.parse_args()
    if a.cmd == "prep":
        prepared(a.mode, TRAIN + BENCH)
        sys.exit(0)
    sets = {k: float(v) for k, v in (s.split(":") for s in a.sets.split(","))} if a.sets else None
    params = {**T.INTENT_PARAMS, **({"C_reg": a.C} if a.C else {})}
    r = fit(a.name, a.mode, sets, params, a.drop_tac_negative, folds=not a.no_folds)
    print("test");
    score(r)
    if r["oof"]:
        print("oof")
        score(r, where="oof")


def shipped_run(mode="full"):
    """A run object for the shipped intent head (test probabilities only)."""
    with np.load(K.WEIGHTS_DIR / f"heads_{mode}.npz", allow_pickle=False) as z:
        head = {k[len("intent_"):]: z[k] for k in z.files if k.startswith("intent_")}
    head["coef"] = head["coef"].astype(np.float32)
    data = prepared(mode, TRAIN + BENCH)
    res = {"mode": mode, "oof": {}, "test": {}, "head": head}
    for n in data:
        prep, y, test, sent = data[n]
        idx = np.flatnonzero(test)
        res["test"][n] = (idx, _proba(head, prep.subset(idx)))
    return res


def objective(out, floor=0.75, penalty=2.0):
    """Mean macro-F1 over sets minus a penalty for problem/question recall under ``floor``."""
    f1 = np.mean([m["macro_f1"] for m in out.values()])
    short = sum(max(0.0, floor - m["recall"][c]) for m in out.values() for c in ("problem", "question") if c in m["recall"])
    return f1 - penalty * short


def tune(run, sets=None, grid=None, rounds=2, verbose=True):
    """Coordinate search of the decision rules on the out-of-fold predictions (validation only)."""
    grid = grid or {
        "b_q": [-0.5, 0, 0.5, 1.0], "b_s": [-1.0, -0.5, 0, 0.5], "b_p": [-0.5, 0, 0.5, 1.0, 1.5],
        "neg_q": [0.3, 0.5, 0.7, 0.9, 9], "neg_o": [0.4, 0.5, 0.6, 0.7, 0.8, 9], "fail_o": [0.1, 0.2, 0.3, 0.5, 9],
        "genuine_q": [True, False], "sugg_fail": [True, False],
    }
    cur = {"b_q": 0, "b_s": 0, "b_p": 0, "neg_q": 0.7, "neg_o": 0.7, "fail_o": 0.3, "genuine_q": True, "sugg_fail": True}

    def rules(c):
        r = {k: v for k, v in c.items() if not k.startswith("b_")}
        r["bias"] = (c["b_q"], c["b_s"], c["b_p"], 0.0)
        return r

    best = objective(score(run, rules(cur), "oof", sets, verbose=False))
    for _ in range(rounds):
        for k, vals in grid.items():
            for v in vals:
                trial = {**cur, k: v}
                o = objective(score(run, rules(trial), "oof", sets, verbose=False))
                if o > best + 1e-6:
                    best, cur = o, trial
        if verbose:
            print("round", cur, round(best, 4))
    return rules(cur), best
