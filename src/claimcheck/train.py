"""Rebuild models/ from the corpus and, when present, real labelled pages.

    claimcheck train [--corpus corpus] [--real ../shared/data/train] [--out models]

The model (see models/MODEL_CARD.md) has two layers:

1. One TF-IDF featurisation of each unit (word 1-2-grams and character 4-grams over the text, the
   unit kind, the wording-cue kinds and the lexicon rules' verdict) shared by three linear heads:
   claim types (one-vs-rest), wording strength (multinomial, learned on claims) and "strong claim"
   (binary, learned on every unit).
2. Two small logistic regressions over those heads' outputs, the cue kinds and the previous unit's
   outputs: whether the unit makes a claim, and the calibrated confidence that it is a strongly
   worded claim. A unit is flagged when that confidence reaches the operating point and it is not
   cited.

Real pages are the tuning set. The heads are fitted five times with a fifth of all pages (corpus
and real, split by page) held out; on the real pages' out-of-fold outputs come the type thresholds,
the claim layer's threshold, and the operating point: the threshold with the best flag F1. The two layers learn on every page's out-of-fold outputs. Without real
pages the corpus pages play the tuning part. Reproducible: fixed seeds, pinned library versions,
splits by page, and the SHA-256 of every input in meta.json.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import linear
from .classification import FEATURE_VERSION, META_FILE, MODEL_NAME, OUTPUTS, STACK_UNITS, cue_vocabulary, main_text, stack_features
from .corpus import GoldUnit, load_corpus, load_labels
from .evaluate import normalise
from .records import Unit
from .vocabulary import CONTENT_UNITS, STRENGTHS, TYPES
from .wording import load_lexicon, rate

SEED = 13
FOLDS = 5
DEFAULT_REAL = Path("../shared/data/train")


@dataclass(frozen=True)
class Example:
    """One labelled unit as the model sees it, with the unit before it on its page."""

    doc: str
    source: str  # corpus | real
    text: str
    unit: str
    types: tuple[str, ...]
    strength: str | None
    evidence: str
    kinds: tuple[str, ...]
    rule: str

    @property
    def strong_claim(self) -> bool:
        return bool(self.types) and self.strength == "strong"

    @property
    def flagged(self) -> bool:
        return self.strong_claim and self.evidence != "cited"


def examples(units: list[GoldUnit], source: str) -> list[Example]:
    """The content units of labelled pages as examples, in page order."""
    lexicon = load_lexicon()
    out = []
    for u in units:
        if u.unit not in CONTENT_UNITS:
            continue
        text = normalise(u.text)
        if not text:
            continue
        w = rate(Unit(0, 0, text, u.unit), lexicon)
        out.append(Example(f"{source}:{u.doc}", source, text, u.unit, u.types, u.strength, u.evidence, w.kinds, w.label))
    return out


def load_real(root: Path) -> list[GoldUnit]:
    """The labelled real pages under root/gold, in name order."""
    units: list[GoldUnit] = []
    for path in sorted((root / "gold").glob("*.jsonl")):
        units.extend(load_labels(path))
    return units


def files_hash(paths: list[Path]) -> str:
    """SHA-256 over files' names and bytes, in name order."""
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# --- the text heads ------------------------------------------------------------------------------------


@dataclass
class Heads:
    """The fitted featurisation and the three linear heads."""

    words: object
    chars: object
    types: list
    strength: object
    strong: object

    def matrix(self, data: list[Example]):
        from scipy.sparse import hstack

        texts = [main_text(e.text, e.unit, e.kinds, e.rule) for e in data]
        return hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr()

    def outputs(self, data: list[Example]) -> np.ndarray:
        """Raw scores, one column per output of ``OUTPUTS``."""
        x = self.matrix(data)
        cols = [m.decision_function(x) for m in self.types]
        cols += list(self.strength.decision_function(x).T)
        cols.append(self.strong.decision_function(x))
        return np.column_stack(cols)


def fit_heads(data: list[Example], real_weight: float, c: float = 4.0) -> Heads:
    """Fit the featurisation and the three heads on the examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [main_text(e.text, e.unit, e.kinds, e.rule) for e in data]
    words = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, max_features=30000, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float64
    ).fit(texts)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(4, 4), min_df=3, max_features=20000, sublinear_tf=True, dtype=np.float64).fit(
        texts
    )
    heads = Heads(words, chars, [], None, None)
    x = heads.matrix(data)
    weight = np.array([real_weight if e.source == "real" else 1.0 for e in data])

    def model():
        return LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=SEED)

    heads.types = [model().fit(x, np.array([t in e.types for e in data], int), sample_weight=weight) for t in TYPES]
    claims = np.array([i for i, e in enumerate(data) if e.types])
    heads.strength = model().fit(x[claims], np.array([data[i].strength for i in claims]), sample_weight=weight[claims])
    assert tuple(heads.strength.classes_) == tuple(sorted(STRENGTHS))
    strong = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    heads.strong = strong.fit(x, np.array([e.strong_claim for e in data], int), sample_weight=weight)
    return heads


def export(heads: Heads) -> linear.LinearModel:
    """The heads as one plain-array linear model: one featurisation, every head's scores as columns."""
    coef = [m.coef_[0] for m in heads.types] + list(heads.strength.coef_) + [heads.strong.coef_[0]]
    intercept = [m.intercept_[0] for m in heads.types] + list(heads.strength.intercept_) + [heads.strong.intercept_[0]]
    return linear.LinearModel(
        features=(linear.features_from_sklearn(heads.words), linear.features_from_sklearn(heads.chars)),
        coef=np.column_stack(coef).astype(np.float32),
        intercept=np.array(intercept),
        classes=OUTPUTS,
        kind="multilabel",
    )


# --- out-of-fold outputs and the confidence layer -----------------------------------------------------


def out_of_fold(data: list[Example], real_weight: float) -> np.ndarray:
    """Scores of every example from heads that did not see its page (five folds by page)."""
    from sklearn.model_selection import GroupKFold

    groups = [e.doc for e in data]
    scores = np.zeros((len(data), len(OUTPUTS)))
    for train, test in GroupKFold(n_splits=FOLDS).split(data, groups=groups):
        heads = fit_heads([data[i] for i in train], real_weight)
        scores[test] = heads.outputs([data[i] for i in test])
    return scores


def tune_type_thresholds(data: list[Example], scores: np.ndarray) -> dict[str, float]:
    """Per-type score thresholds maximising F1 on out-of-fold scores."""
    out = {}
    for j, t in enumerate(TYPES):
        y = np.array([t in e.types for e in data])
        grid = np.unique(np.quantile(scores[:, j], np.linspace(0.5, 0.995, 100)))
        out[t] = round(float(max(grid, key=lambda g: (_prf(y, scores[:, j] >= g)[2], -abs(g)))), 4)
    return out


def stack_matrix(data: list[Example], scores: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
    """The confidence layer's inputs for examples in page order."""
    rows = []
    prev: tuple[np.ndarray, str, str] | None = None
    for e, s in zip(data, scores):
        before = prev if prev is not None and prev[2] == e.doc else None
        rows.append(stack_features(s, e.unit, e.kinds, e.rule, e.text, kinds, before[0] if before else None, before[1] if before else None))
        prev = (s, e.text, e.doc)
    return np.array(rows)


def fit_layer(x: np.ndarray, y: np.ndarray, data: list[Example], learn: np.ndarray, judge: np.ndarray):
    """A logistic layer over the stack inputs, fitted on the ``learn`` rows, and out-of-fold probabilities of the ``judge`` rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    groups = np.array([e.doc for e in data])
    oof = np.zeros(len(data))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        fit_rows = train[learn[train]]
        model = LogisticRegression(C=1.0, max_iter=5000).fit(x[fit_rows], y[fit_rows])
        oof[test] = model.predict_proba(x[test])[:, 1]
    final = LogisticRegression(C=1.0, max_iter=5000).fit(x[learn], y[learn])
    return final, oof[judge]


def claim_threshold(data: list[Example], probability: np.ndarray) -> float:
    """The claim layer's threshold: the best claim-or-not F1 on out-of-fold probabilities."""
    gold = np.array([bool(e.types) for e in data])
    grid = np.round(np.arange(0.05, 0.951, 0.01), 3)
    return float(max(grid, key=lambda t: (_prf(gold, probability >= t)[2], -t)))


def _layer(model) -> dict:
    return {"coef": [round(float(v), 6) for v in model.coef_[0]], "intercept": round(float(model.intercept_[0]), 6)}


def operating_point(data: list[Example], confidence: np.ndarray) -> tuple[float, list[dict]]:
    """The default confidence threshold of a flag (the best flag F1, with gold evidence, on out-of-fold
    probabilities), and the curve it was chosen from. ``--min-confidence`` trades recall for precision
    from there; the curve shows what each threshold gives."""
    gold = np.array([e.flagged for e in data])
    not_cited = np.array([e.evidence != "cited" for e in data])
    curve = []
    for t in np.round(np.arange(0.05, 0.951, 0.025), 3):
        p, r, f = _prf(gold, (confidence >= t) & not_cited)
        curve.append({"threshold": float(t), "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)})
    return max(curve, key=lambda point: (point["f1"], point["threshold"]))["threshold"], curve


def _prf(y: np.ndarray, yhat: np.ndarray) -> tuple[float, float, float]:
    y, yhat = np.asarray(y, bool), np.asarray(yhat, bool)
    tp, fp, fn = int((y & yhat).sum()), int((~y & yhat).sum()), int((y & ~yhat).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def held_out_figures(
    data: list[Example], scores: np.ndarray, thresholds: dict[str, float], claim: np.ndarray, confidence: np.ndarray, point: float
) -> dict:
    """Sentence-level figures on the tuning pages from out-of-fold outputs (gold evidence); ``claim`` says which units make a claim."""
    typed = np.column_stack([scores[:, j] >= thresholds[t] for j, t in enumerate(TYPES)])
    best = np.argmax(scores[:, :3] - np.array([thresholds[t] for t in TYPES]), axis=1)
    types = np.zeros_like(typed)
    for i in np.flatnonzero(claim):
        types[i] = typed[i] if typed[i].any() else np.arange(3) == best[i]
    strength_cols = [OUTPUTS.index(s) for s in STRENGTHS]
    strength = [STRENGTHS[k] for k in scores[:, strength_cols].argmax(axis=1)]
    gold_claim = np.array([bool(e.types) for e in data])
    claims = [i for i, e in enumerate(data) if e.types]
    flag = (confidence >= point) & np.array([e.evidence != "cited" for e in data])
    p, r, f = _prf(np.array([e.flagged for e in data]), flag)
    return {
        "units": len(data),
        "pages": len({e.doc for e in data}),
        "claim_f1": round(_prf(gold_claim, claim)[2], 3),
        "claim_f1_heads_alone": round(_prf(gold_claim, typed.any(axis=1))[2], 3),
        "types_macro_f1": round(float(np.mean([_prf([t in e.types for e in data], types[:, j])[2] for j, t in enumerate(TYPES)])), 3),
        "strong_f1_on_claims": round(_prf([data[i].strength == "strong" for i in claims], [strength[i] == "strong" for i in claims])[2], 3),
        "flag": {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)},
    }


# --- the whole run -------------------------------------------------------------------------------------


def train(corpus: Path, out: Path, real: Path | None = None, real_weight: float = 1.0, confidence_on: str = "all", log=print) -> dict:
    """Fit the model on the corpus (and the real pages in ``real``, when given) and write it to ``out``.

    ``confidence_on`` says which pages' out-of-fold outputs teach the confidence layer: ``all`` (corpus
    and real pages) or ``tuning`` (the real pages alone). Type thresholds and the operating point are
    always chosen on the tuning pages: the real ones when given, else the corpus.
    """
    import sklearn

    started = time.perf_counter()
    corpus_units = load_corpus(corpus)
    fixed = examples(corpus_units, "corpus")
    corpus_count = len(fixed)
    real_units = load_real(real) if real else []
    tuning = examples(real_units, "real")
    if tuning:
        log(f"training on the corpus ({len(fixed)} units) and {len({e.doc for e in tuning})} real pages from {real} ({len(tuning)} units)")
    else:
        log(f"training on the corpus alone ({len(fixed)} units); its pages also serve to tune thresholds")
        fixed, tuning = [], fixed
    data = fixed + tuning
    is_tuning = np.array([i >= len(fixed) for i in range(len(data))])
    scores_all = out_of_fold(data, real_weight)
    scores = scores_all[is_tuning]
    thresholds = tune_type_thresholds(tuning, scores)
    kinds = cue_vocabulary(load_lexicon())
    x = stack_matrix(data, scores_all, kinds)
    learn = np.ones(len(data), bool) if confidence_on == "all" else is_tuning
    strong_claim = np.array([e.strong_claim for e in data], int)
    confidence_model, oof_confidence = fit_layer(x, strong_claim, data, learn, is_tuning)
    point, curve = operating_point(tuning, oof_confidence)
    claim_model, oof_claim = fit_layer(x, np.array([bool(e.types) for e in data], int), data, learn, is_tuning)
    claim_point = claim_threshold(tuning, oof_claim)
    figures = held_out_figures(tuning, scores, thresholds, oof_claim >= claim_point, oof_confidence, point)
    log(f"out-of-fold on the tuning pages: {json.dumps(figures)}; operating point {point}")

    heads = fit_heads(fixed + tuning, real_weight)
    model = export(heads)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("types.skops", "strength.skops"):
        (out / stale).unlink(missing_ok=True)
    json_path, npz_path = linear.save(model, out, MODEL_NAME)

    corpus_files = [*corpus.glob("labels/*.jsonl"), *corpus.glob("pages/*")]
    real_files = [*real.glob("gold/*.jsonl"), *real.glob("pages/*")] if tuning and real else []
    all_units = fixed + tuning
    meta = {
        "backend": "linear",
        "feature_version": FEATURE_VERSION,
        "outputs": list(OUTPUTS),
        "thresholds": thresholds,
        "confidence": {"kinds": list(kinds), "units": list(STACK_UNITS), **_layer(confidence_model)},
        "claim": {**_layer(claim_model), "threshold": claim_point},
        "operating_point": point,
        "real_weight": real_weight,
        "confidence_on": confidence_on,
        "seed": SEED,
        "data": {
            "corpus": {"pages": len({u.doc for u in corpus_units}), "units": corpus_count, "sha256": files_hash(corpus_files)},
            "real": (
                {"pages": len({e.doc for e in tuning}), "units": len(tuning), "sha256": files_hash(real_files), "files": len(real_files)}
                if real_files
                else None
            ),
        },
        "label_counts": {t: sum(t in e.types for e in all_units) for t in TYPES},
        "strength_counts": {s: sum(e.strength == s for e in all_units if e.types) for s in STRENGTHS},
        "no_type": sum(not e.types for e in all_units),
        "tuning": {**figures, "curve": curve},
        "model_bytes": json_path.stat().st_size + npz_path.stat().st_size,
        "seconds": round(time.perf_counter() - started),
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__},
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: python -m claimcheck.train [--corpus DIR] [--real DIR | --no-real] [--out DIR]."""
    import argparse

    parser = argparse.ArgumentParser(prog="claimcheck train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="labelled real pages (gold/*.jsonl), used when present")
    parser.add_argument("--no-real", action="store_true", help="train on the corpus alone")
    parser.add_argument("--real-weight", type=float, default=1.0, help="weight of a real unit against a corpus unit")
    parser.add_argument(
        "--confidence-on", choices=("all", "tuning"), default="all", help="pages that teach the confidence layer (default: all)"
    )
    parser.add_argument("--out", type=Path, default=Path("models"))
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("claimcheck train needs scikit-learn: pip install 'claimcheck[train]'", file=sys.stderr)
        return 3
    real = None if args.no_real else args.real
    if real is not None and not (real / "gold").is_dir():
        print(f"no labelled real pages at {real}: training on the corpus alone", file=sys.stderr)
        real = None
    meta = train(args.corpus, args.out, real, args.real_weight, args.confidence_on, log=lambda m: print(m, file=sys.stderr))
    keys = ("data", "thresholds", "operating_point", "tuning", "model_bytes", "seconds")
    json.dump({k: meta[k] for k in keys}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
