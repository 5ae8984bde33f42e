"""Build the bundled demo community from TwACS (see src/sounding/data/README.md for source/licence).

Reads ../shared/data/twacs-airlines/airlines_raw.csv.bz2 and writes a seeded sample of threads as
Sounding JSONL: the customer's opening tweet is a post (not ours), the airline's replies are our
comments, the customer's follow-ups are audience comments. TwACS has no timestamps and no author ids:
times are reconstructed (threads spread over the original collection window in tweet-id order,
turns 20 minutes apart) and each thread's customer is one pseudonymous person. Run:
    python scripts/build_sample_data.py ../shared/data/twacs-airlines/airlines_raw.csv.bz2
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import random
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

THREADS = 3_000
SEED = 20171001
START = datetime(2017, 10, 1, tzinfo=UTC)  # the Kaggle collection window: Oct–Dec 2017
WINDOW = timedelta(days=60)
TURN = re.compile(r"<(cust|rep)__(.*?)__(?:cust|rep)>", re.S)
OUT = Path(__file__).resolve().parent.parent / "src/sounding/data/sample/twacs_airlines.jsonl.gz"


def clean(text: str) -> str:
    text = text.replace("__company__", "@airline").replace("__cust__", "@customer")
    return re.sub(r"\s+", " ", text).replace("&amp;", "&").strip()


def main(source: str) -> None:
    with bz2.open(source, "rt", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["first_tweet_id"].isdigit() and r["context"]]
    rows = list({r["first_tweet_id"]: r for r in reversed(rows)}.values())  # ids repeat; keep the first
    rows.sort(key=lambda r: int(r["first_tweet_id"]))
    rank = {r["first_tweet_id"]: i for i, r in enumerate(rows)}
    chosen = sorted(random.Random(SEED).sample(rows, THREADS), key=lambda r: int(r["first_tweet_id"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as out:
        for row in chosen:
            tid = row["first_tweet_id"]
            start = (START + WINDOW * (rank[tid] / len(rows))).replace(microsecond=0)
            customer = f"customer-{tid}"
            opening = TURN.findall(row["first_utterance"])
            text = clean(opening[0][1]) if opening else clean(row["first_utterance"])
            post = {"kind": "post", "platform": "twitter", "id": tid, "author": customer, "text": text,
                    "created_at": start.isoformat(), "ours": False}
            out.write(json.dumps(post, ensure_ascii=False) + "\n")
            parent = tid
            for turn, (who, body) in enumerate(TURN.findall(row["context"]), start=1):
                cid = f"{tid}-{turn}"
                comment = {"kind": "comment", "platform": "twitter", "id": cid, "parent_id": parent,
                           "author": "airline" if who == "rep" else customer, "text": clean(body),
                           "created_at": (start + turn * timedelta(minutes=20)).isoformat(),
                           "ours": who == "rep"}
                out.write(json.dumps(comment, ensure_ascii=False) + "\n")
                parent = cid
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/twacs-airlines/airlines_raw.csv.bz2")
