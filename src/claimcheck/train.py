"""Rebuild models/ from corpus/: the claim-type classifier, its thresholds and its model card.

    python -m claimcheck.train [--corpus corpus] [--out models]

Reproducible: fixed seeds, a split by page (never by sentence), and a data hash in the card.
"""

from __future__ import annotations

import hashlib
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

from .classification import META_FILE, MODEL_FILE, TYPES, features_text
from .corpus import GoldUnit, load_corpus
from .records import Unit
from .wording import rate

SEED = 13
HELD_OUT_SHARE = 0.2
CONTENT_UNITS = ("sentence", "heading", "list_item")


def build_pipeline():
    """The untrained pipeline: TF-IDF word and character n-grams, one linear model per type."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True, dtype=np.float64)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True, max_features=30000, dtype=np.float64),
            ),
        ]
    )
    model = OneVsRestClassifier(LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000, random_state=SEED))
    return Pipeline([("features", features), ("model", model)])


def split_pages(units: list[GoldUnit], share: float = HELD_OUT_SHARE, seed: int = SEED) -> tuple[set[str], set[str]]:
    """Split the pages (never the sentences) into train and held-out sets."""
    docs = sorted({u.doc for u in units})
    rng = random.Random(seed)
    rng.shuffle(docs)
    n_test = max(1, round(len(docs) * share))
    return set(docs[n_test:]), set(docs[:n_test])


def _xy(units: list[GoldUnit]) -> tuple[list[str], np.ndarray]:
    x = [features_text(u.text, u.unit, _cue_kinds(u)) for u in units]
    y = np.array([[1 if t in u.types else 0 for t in TYPES] for u in units])
    return x, y


def _cue_kinds(u: GoldUnit) -> tuple[str, ...]:
    return rate(Unit(0, 0, u.text, u.unit)).kinds


def per_label_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Precision, recall and F1 per type, and the macro F1."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    out = {
        t: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3), "f1": round(float(f[i]), 3), "support": int(s[i])}
        for i, t in enumerate(TYPES)
    }
    out["macro_f1"] = round(float(np.mean(f)), 3)
    return out


def data_hash(root: Path) -> str:
    """SHA-256 over the label and page files, in name order."""
    h = hashlib.sha256()
    for path in sorted([*root.glob("labels/*.jsonl"), *root.glob("pages/*")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def train(corpus: Path, out: Path) -> dict:
    """Train on the corpus, measure on held-out pages, then refit on every page and save."""
    import sklearn
    import skops.io as sio

    units = [u for u in load_corpus(corpus) if u.unit in CONTENT_UNITS]
    train_docs, test_docs = split_pages(units)
    train_units = [u for u in units if u.doc in train_docs]
    test_units = [u for u in units if u.doc in test_docs]
    pipeline = build_pipeline()
    x_train, y_train = _xy(train_units)
    x_test, y_test = _xy(test_units)
    pipeline.fit(x_train, y_train)
    thresholds = {t: 0.0 for t in TYPES}
    scores = pipeline.decision_function(x_test)
    held_out = per_label_scores(y_test, (scores >= 0).astype(int))

    final = build_pipeline()
    x_all, y_all = _xy(units)
    final.fit(x_all, y_all)
    start = time.perf_counter()
    final.decision_function(x_all)
    per_second = len(x_all) / (time.perf_counter() - start)

    out.mkdir(parents=True, exist_ok=True)
    model_path = out / MODEL_FILE
    sio.dump(final, model_path, compression=8)  # zipfile.ZIP_DEFLATED
    meta = {
        "labels": list(TYPES),
        "thresholds": thresholds,
        "seed": SEED,
        "data_sha256": data_hash(corpus),
        "pages": len({u.doc for u in units}),
        "units": len(units),
        "label_counts": {t: int(y_all[:, i].sum()) for i, t in enumerate(TYPES)},
        "no_type": int((y_all.sum(axis=1) == 0).sum()),
        "held_out_pages": sorted(test_docs),
        "held_out": held_out,
        "sentences_per_second": round(per_second),
        "model_bytes": model_path.stat().st_size,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "skops": sio.__name__ and __import__("skops").__version__,
        },
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: python -m claimcheck.train [--corpus DIR] [--out DIR]."""
    import argparse

    parser = argparse.ArgumentParser(prog="claimcheck train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    args = parser.parse_args(argv)
    meta = train(args.corpus, args.out)
    json.dump(
        {k: meta[k] for k in ("pages", "units", "label_counts", "held_out", "sentences_per_second", "model_bytes")}, sys.stdout, indent=2
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
