"""Experiment: small transformer adapter over frozen MiniLM-int8 token states (sentiment, intent)."""
import gzip, json, os, sys, time
import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import Tokenizer

HERE = os.environ.get("SOUNDING_EXPERIMENT_DIR", ".gpu")  # filled by prepare_data.py
OUT = os.environ.get("OUT", "/tmp/out")
QUICK = int(os.environ.get("QUICK", "0"))
dev = "cuda" if torch.cuda.is_available() else "cpu"
T0 = time.time()


def log(*a):
    print(f"[{time.time()-T0:7.1f}s]", *a, flush=True)


data = json.load(gzip.open(f"{HERE}/data.json.gz", "rt"))
if QUICK:
    data = {k: (v[0][:QUICK], v[1][:QUICK]) for k, v in data.items()}
tok = Tokenizer.from_file(f"{HERE}/minilm_tokenizer.json")
tok.no_padding(); tok.no_truncation()
opts = ort.SessionOptions()
opts.intra_op_num_threads = int(os.environ.get("THREADS", os.cpu_count() or 2))
sess = ort.InferenceSession(f"{HERE}/model.onnx", sess_options=opts, providers=["CPUExecutionProvider"])


def states(texts, maxlen=128, bs=128):
    """Exactly sounding.analysis.embed's tokenisation; returns list of fp16 (len_i, 384) arrays."""
    encs = tok.encode_batch(texts, add_special_tokens=True)
    ids_list = []
    for e in encs:
        ids = e.ids
        if len(ids) > maxlen:
            ids = ids[: maxlen - 1] + [ids[-1]]
        ids_list.append(ids)
    lengths = np.array([len(i) for i in ids_list])
    order = np.argsort(lengths, kind="stable")
    out = [None] * len(texts)
    for s in range(0, len(texts), bs):
        idx = order[s : s + bs]
        w = int(lengths[idx].max())
        ii = np.zeros((len(idx), w), np.int64); mm = np.zeros((len(idx), w), np.int64)
        for r, i in enumerate(idx):
            ii[r, : lengths[i]] = ids_list[i]; mm[r, : lengths[i]] = 1
        (h,) = sess.run(["last_hidden_state"], {"input_ids": ii, "attention_mask": mm, "token_type_ids": np.zeros_like(ii)})
        for r, i in enumerate(idx):
            out[i] = h[r, : lengths[i]].astype(np.float16)
    return out


def pad(seqs, maxlen=128):
    n = len(seqs); L = max(len(s) for s in seqs)
    X = np.zeros((n, L, 384), np.float16); M = np.zeros((n, L), bool)
    for i, s in enumerate(seqs):
        X[i, : len(s)] = s; M[i, : len(s)] = True
    return torch.from_numpy(X).to(dev), torch.from_numpy(M).to(dev)


ST = {}
for k in data:
    ST[k] = pad(states(data[k][0]))
    log("states", k, tuple(ST[k][0].shape))

SENT = ["negative", "neutral", "positive"]
INT4 = ["question", "suggestion", "problem", "other"]


class Adapter(nn.Module):
    def __init__(self, layers=2, ff=1536, heads=6, n_out=3, drop=0.1):
        super().__init__()
        self.ln_in = nn.LayerNorm(384)
        self.layers = nn.ModuleList(
            [nn.TransformerEncoderLayer(384, heads, ff, drop, activation="gelu", batch_first=True, norm_first=True) for _ in range(layers)]
        )
        self.ln_out = nn.LayerNorm(384)
        self.drop = nn.Dropout(drop)
        self.head = nn.Linear(384, n_out)

    def pooled(self, x, m):
        h = self.ln_in(x.float())
        for l in self.layers:
            h = l(h, src_key_padding_mask=~m)
        h = self.ln_out(h)
        mf = m.unsqueeze(-1).float()
        return (h * mf).sum(1) / mf.sum(1).clamp(min=1)

    def forward(self, x, m):
        return self.head(self.drop(self.pooled(x, m)))


def batches(n, bs, shuffle, g):
    idx = torch.randperm(n, generator=g) if shuffle else torch.arange(n)
    for s in range(0, n, bs):
        yield idx[s : s + bs]


@torch.no_grad()
def predict(model, X, M, bs=512):
    model.eval(); outs = []
    for b in batches(len(X), bs, False, None):
        mb = M[b]; w = int(mb.sum(1).max())
        outs.append(F.softmax(model(X[b, :w], mb[:, :w]), -1).float().cpu())
    return torch.cat(outs).numpy()


def macro_recall(y, p):
    return float(np.mean([np.mean(p[y == c] == c) for c in np.unique(y)]))


def macro_f1(y, p, k):
    fs = []
    for c in range(k):
        tp = np.sum((p == c) & (y == c)); fp = np.sum((p == c) & (y != c)); fn = np.sum((p != c) & (y == c))
        fs.append(0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(fs))


def train(X, M, y, n_out, cfg, evalset=None, metric=None, seed=13, init=None):
    torch.manual_seed(seed); g = torch.Generator().manual_seed(seed)
    model = Adapter(cfg["layers"], cfg["ff"], n_out=n_out, drop=cfg.get("drop", 0.1)).to(dev)
    if init is not None:
        sd = {k: v for k, v in init.state_dict().items() if not k.startswith("head.")}
        model.load_state_dict(sd, strict=False)
    yt = torch.tensor(y, device=dev)
    counts = np.bincount(y, minlength=n_out).astype(np.float64)
    cw = torch.tensor((counts.sum() / (n_out * np.maximum(counts, 1))) ** cfg.get("balance", 1.0), dtype=torch.float32, device=dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg.get("wd", 0.01))
    steps = cfg["epochs"] * ((len(X) + cfg["bs"] - 1) // cfg["bs"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=steps, pct_start=0.1)
    best = (-1, None, -1)
    for ep in range(cfg["epochs"]):
        model.train()
        for b in batches(len(X), cfg["bs"], True, g):
            mb = M[b]; w = int(mb.sum(1).max())
            xb = X[b, :w]
            if cfg.get("noise", 0) > 0:
                xb = xb.float() + cfg["noise"] * torch.randn_like(xb.float())
            loss = F.cross_entropy(model(xb, mb[:, :w]), yt[b], weight=cw, label_smoothing=cfg.get("ls", 0.0))
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if evalset is not None:
            P = predict(model, *evalset[:2]); s = metric(evalset[2], P.argmax(1))
            if s > best[0]:
                best = (s, {k: v.detach().clone() for k, v in model.state_dict().items()}, ep)
    if evalset is not None:
        model.load_state_dict(best[1])
        return model, best[0], best[2]
    return model, None, cfg["epochs"] - 1


results = {"sentiment": [], "intent": []}
ysent = {k: np.array([SENT.index(v) for v in data[k][1]]) for k in ("pool", "val", "test")}
Xp, Mp = ST["pool"]; Xv, Mv = ST["val"]; Xt, Mt = ST["test"]
sent_cfgs = [
    dict(name="L0_meanpool_linear", layers=0, ff=1536, lr=2e-3, epochs=6, bs=128),
    dict(name="L1_ff1536", layers=1, ff=1536, lr=3e-4, epochs=6, bs=64),
    dict(name="L2_ff1536", layers=2, ff=1536, lr=3e-4, epochs=6, bs=64),
    dict(name="L2_ff768", layers=2, ff=768, lr=3e-4, epochs=6, bs=64),
    dict(name="L3_ff1536", layers=3, ff=1536, lr=2e-4, epochs=6, bs=64),
    dict(name="L2_ff1536_noise", layers=2, ff=1536, lr=3e-4, epochs=8, bs=64, noise=0.05, drop=0.15),
]
if QUICK:
    sent_cfgs = sent_cfgs[1:3]; [c.update(epochs=1) for c in sent_cfgs]
os.makedirs(OUT, exist_ok=True)
probs = {}
best_sent = None
for cfg in sent_cfgs:
    model, vs, ep = train(Xp, Mp, ysent["pool"], 3, cfg, (Xv, Mv, ysent["val"]), macro_recall)
    Pt = predict(model, Xt, Mt); Pv = predict(model, Xv, Mv)
    ts = macro_recall(ysent["test"], Pt.argmax(1))
    r = dict(cfg, val_macro_recall=vs, best_epoch=ep, test_macro_recall=ts,
             params=sum(p.numel() for p in model.parameters()))
    results["sentiment"].append(r); log("sent", r)
    probs[f"sent_{cfg['name']}_val"] = Pv.astype(np.float32); probs[f"sent_{cfg['name']}_test"] = Pt.astype(np.float32)
    if best_sent is None or vs > best_sent[0]:
        best_sent = (vs, cfg, model)

# intent: 10-fold CV on ARdoc (stratified, seed 13), scratch vs initialised from the best sentiment adapter
yA = np.array([INT4.index(v) for v in data["ardoc"][1]])
XA, MA = ST["ardoc"]
rng = np.random.RandomState(13)
folds = np.zeros(len(yA), int)
for c in range(4):
    idx = np.where(yA == c)[0]; rng.shuffle(idx)
    folds[idx] = np.arange(len(idx)) % 10
int_cfgs = [
    dict(name="scratch_L1", layers=1, ff=1536, lr=3e-4, epochs=20, bs=32, init=False),
    dict(name="fromsent", layers=best_sent[1]["layers"], ff=best_sent[1]["ff"], lr=1e-4, epochs=15, bs=32, init=True),
    dict(name="fromsent_lr3e-4", layers=best_sent[1]["layers"], ff=best_sent[1]["ff"], lr=3e-4, epochs=10, bs=32, init=True),
]
if QUICK:
    int_cfgs = int_cfgs[:2]; [c.update(epochs=1) for c in int_cfgs]
for cfg in int_cfgs:
    oof = np.zeros((len(yA), 4), np.float32)
    for f in range(10):
        tr = np.where(folds != f)[0]; te = np.where(folds == f)[0]
        trt = torch.tensor(tr, device=dev); tet = torch.tensor(te, device=dev)
        model, _, _ = train(XA[trt], MA[trt], yA[tr], 4, cfg, init=best_sent[2] if cfg["init"] else None)
        oof[te] = predict(model, XA[tet], MA[tet])
    r = dict(cfg, cv_macro_f1=macro_f1(yA, oof.argmax(1), 4))
    results["intent"].append(r); log("intent", r)
    probs[f"intent_{cfg['name']}_oof"] = oof

# export the best sentiment adapter's weights
sd = {k: v.float().cpu().numpy() for k, v in best_sent[2].state_dict().items()}
np.savez(f"{OUT}/sent_adapter_{best_sent[1]['name']}.npz", **sd)
np.savez_compressed(f"{OUT}/probs.npz", **probs)
json.dump(results, open(f"{OUT}/results.json", "w"), indent=1, default=str)
log("done; best sentiment", best_sent[1]["name"], best_sent[0])
