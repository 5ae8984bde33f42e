"""Questions inbox benchmark: precision and recall on the labelled threads written for the tests.

    PYTHONPATH=src .venv/bin/python benchmarks/inbox_bench.py [--mode quality|fast]

tests/fixtures/inbox_threads.jsonl: 19 posts on 4 platforms, 65 audience items with real reply
structure, each labelled in/out of the inbox with the case it stands for (answered below, answered
by an @mention, our reply to someone else, another customer's advice, rhetorical complaint, praise
with "??", to another user, to the community, no question mark, ...), with the hard cases met on the
demo's inbox rewritten for the coffee brand (ids h1-h15c4: "Why not call it ...?", "Really ?", quoted
questions, small talk, "did yours arrive, @pia_c?", a reply that opens with someone else's handle). The store is analysed with
the shipped models first, as a user would run it. Anchor in the same run: the rule the inbox had
before (intent says question, no reply of ours anywhere in the thread after it).
Targets: precision >= 0.9 and recall >= 0.9. Writes benchmarks/results/inbox_bench.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select  # noqa: E402

from sounding import Sounding  # noqa: E402
from sounding.analysis import views  # noqa: E402
from sounding.store.models import Comment, Enrichment, Post  # noqa: E402

_spec = importlib.util.spec_from_file_location("inbox_threads", ROOT / "tests" / "fixtures" / "inbox_threads.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)


def scores(predicted: set[str], labels: dict[str, dict]) -> dict:
    gold = {i for i, v in labels.items() if v["label"] == "in"}
    tp = len(predicted & gold)
    return {
        "precision": tp / len(predicted) if predicted else 0.0,
        "recall": tp / len(gold) if gold else 0.0,
        "predicted": len(predicted), "gold": len(gold), "true_positives": tp,
        "false_positives": sorted(predicted - gold), "false_negatives": sorted(gold - predicted),
    }


def old_rule(api: Sounding) -> set[str]:
    """Before: intent question (or '?' unanalysed) and nothing of ours later anywhere in the thread."""
    version = views.current_version(api.store)
    out = set()
    with api.store.engine.connect() as conn:
        ours = conn.execute(select(Comment.post_id, Comment.created_at).where(Comment.ours.is_(True))).all()
        items = []
        for model, thread in ((Comment, Comment.post_id), (Post, Post.id)):
            items += conn.execute(
                select(model.platform_id, thread, model.created_at, model.text, Enrichment.intent)
                .outerjoin(Enrichment, (Enrichment.text_hash == model.text_hash) & (Enrichment.model_version == version))
                .where(model.ours.is_(False))
            ).all()
    for pid, thread, created, text, intent in items:
        question = intent == "question" if intent else "?" in text
        if question and not any(t == thread and when > created for t, when in ours):
            out.add(pid)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="quality", choices=["quality", "fast"])
    args = ap.parse_args()
    records, labels = fixture.load()
    with tempfile.TemporaryDirectory() as tmp:
        api = Sounding(str(Path(tmp) / "inbox.db"))
        api.store.write_records(records)
        api.analyze(mode=args.mode)
        inbox = api.unanswered_questions()
        ours = scores(set(inbox["id"]), labels)
        before = scores(old_rule(api), labels)
        api.close()
    cases: dict[str, list] = {}
    for item, v in labels.items():
        wrong = (item in set(inbox["id"])) != (v["label"] == "in")
        cases.setdefault(v["case"], []).append(wrong)
    print(f"Questions inbox on tests/fixtures/inbox_threads.jsonl ({len(labels)} audience items, "
          f"{ours['gold']} belong in the inbox; mode {args.mode})")
    print(f"{'system':46s} {'precision':>9s} {'recall':>7s} {'in inbox':>8s}")
    for name, r in (("sounding inbox (rules + intent + reply tree)", ours),
                    ("anchor: intent question, no later reply of ours", before)):
        print(f"{name:46s} {r['precision']:9.3f} {r['recall']:7.3f} {r['predicted']:8d}")
    print("per case (items wrong / items):")
    for case, wrong in sorted(cases.items()):
        print(f"  {case:28s} {sum(wrong)}/{len(wrong)}")
    if ours["false_positives"] or ours["false_negatives"]:
        print("false positives:", ", ".join(f"{i} {labels[i]['text']!r}" for i in ours["false_positives"]))
        print("false negatives:", ", ".join(f"{i} {labels[i]['text']!r}" for i in ours["false_negatives"]))
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    out = {"benchmark": "questions inbox on tests/fixtures/inbox_threads.jsonl", "mode": args.mode,
           "inbox": ours, "anchor_before": before, "targets": {"precision": 0.9, "recall": 0.9}}
    (res / "inbox_bench.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
