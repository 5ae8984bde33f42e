"""Embed every training/evaluation dataset once (MiniLM int8) into the cache. Run first."""
import sys
import time

import common as C
from sounding.analysis.classify import normalize_text

jobs = [
    ("ardoc", lambda: C.ardoc()[0]),
    ("marc_train", lambda: C.marc("train")[0]),
    ("marc_test", lambda: C.marc("test")[0]),
    ("tweeteval_val", lambda: C.tweeteval("val")[0]),
    ("tweeteval_test", lambda: C.tweeteval("test")[0]),
    ("semeval_pool", lambda: C.semeval_pool()[0]),
    ("vader_tweets", lambda: C.vader_tweets()[0]),
    ("goemotions_train", lambda: C.goemotions("train")[0]),
    ("goemotions_dev", lambda: C.goemotions("dev")[0]),
    ("tac", lambda: C.tac()[0]),
    ("forum", lambda: C.forum_sentences()[0]),
    ("banking_silver", lambda: C.banking_silver()[0]),
    ("urr", lambda: C.urr_reviews()[0]),
    ("complaints", lambda: C.complaints()[0]),
    ("semeval_a", lambda: C.semeval_suggestions("A")[0]),
    ("semeval_b", lambda: C.semeval_suggestions("B")[0]),
    ("youtube", lambda: C.youtube_tutorials()[0]),
]
mode = sys.argv[1] if len(sys.argv) > 1 else "full"
names = set(sys.argv[2:])
for name, fn in jobs:
    if names and name not in names:
        continue
    t0 = time.time()
    texts = [normalize_text(t) for t in fn()]
    X = C.cached_embed(name, texts, mode)
    print(f"{name}: {X.shape} {time.time() - t0:.0f}s", flush=True)
