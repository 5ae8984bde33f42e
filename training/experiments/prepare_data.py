"""Collect the texts and labels the GPU experiments need into one folder (the device gets no ../shared).

    PYTHONPATH=src .venv/bin/python training/experiments/prepare_data.py [DIR]   # default .gpu/

Writes DIR/data.json.gz (SemEval pool without TweetEval-val tweets, TweetEval val/test, ARdoc, MARC;
texts normalised as the classifiers see them) and copies the int8 MiniLM model and its tokenizer.
"""

import gzip
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "training"), str(ROOT / "src")]

import common as C  # noqa: E402
from sounding.analysis.classify import normalize_text  # noqa: E402
from sounding.analysis.embed import model_path  # noqa: E402

MARC_MAP = {"BugReport": "problem", "FeatureRequest": "suggestion", "Other": "other"}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".gpu")
    out.mkdir(parents=True, exist_ok=True)
    sets = {
        "pool": C.semeval_pool(),
        "val": C.tweeteval("val"),
        "test": C.tweeteval("test"),
        "ardoc": C.ardoc(),
        "marc_train": C.marc("train"),
        "marc_test": C.marc("test"),
    }
    data = {}
    for name, (texts, labels) in sets.items():
        labels = [MARC_MAP.get(v, v) for v in labels] if name.startswith("marc") else labels
        data[name] = ([normalize_text(t) for t in texts], labels)
        print(name, len(texts))
    with gzip.open(out / "data.json.gz", "wt") as handle:
        json.dump(data, handle)
    shutil.copy(model_path(), out / "model.onnx")
    shutil.copy(ROOT / "src/sounding/analysis/weights/minilm_tokenizer.json", out / "minilm_tokenizer.json")


if __name__ == "__main__":
    main()
