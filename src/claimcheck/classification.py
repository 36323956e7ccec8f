"""Classify each unit's claim types (efficacy, safety, mechanism; multi-label) with the trained model.

The model is a scikit-learn pipeline saved with skops in ``models/`` (see ``claimcheck train``);
loading accepts only the scikit-learn and numpy types that pipeline is built from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ModelError
from .records import Unit, Wording
from .wording import has_strong_cue

TYPES = ("efficacy", "safety", "mechanism")
MODEL_FILE = "types.skops"
STRENGTH_FILE = "strength.skops"
META_FILE = "meta.json"
STRENGTHS = ("strong", "moderate", "hedged")
TRUSTED = (
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.preprocessing._label.MultiLabelBinarizer",
    "numpy.str_",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.slice",
    "collections.defaultdict",
)


def features_text(text: str, unit: str = "sentence", cue_kinds: tuple[str, ...] = ()) -> str:
    """The text the type model sees: the unit kind and the wording-cue kinds as tokens, then the text."""
    cues = " ".join(f"__cue_{k}__" for k in cue_kinds)
    return f"__{unit}__ {cues} {text}"


def strength_text(text: str, unit: str, wording: Wording) -> str:
    """The text the strength model sees: the type model's tokens plus the lexicon rules' verdict."""
    return f"{features_text(text, unit, wording.kinds)} __rule_{wording.label}__"


def model_dir(path: Path | None = None) -> Path:
    """The directory holding the model: ``path`` or the packaged ``claimcheck/models``."""
    if path is not None:
        return Path(path)
    return Path(str(resources.files("claimcheck").joinpath("models")))


@dataclass(frozen=True)
class LinearScorer:
    """The fitted vectorizers and stacked coefficients of a linear pipeline.

    Scoring through them gives the pipeline's ``decision_function`` without scikit-learn's
    per-call overhead (validation, FeatureUnion dispatch), which dominates on one page's units.
    """

    vectorizers: tuple
    coef: np.ndarray  # (features, outputs)
    intercept: np.ndarray
    classes: tuple[str, ...]

    @classmethod
    def of(cls, pipeline) -> LinearScorer:
        features, model = pipeline.steps[0][1], pipeline.steps[-1][1]
        vectorizers = tuple(t for _, t in features.transformer_list) if hasattr(features, "transformer_list") else (features,)
        if hasattr(model, "estimators_"):  # one-vs-rest: one binary model per label
            coef = np.vstack([e.coef_ for e in model.estimators_]).T
            intercept = np.concatenate([e.intercept_ for e in model.estimators_])
            classes: tuple = tuple(range(len(model.estimators_)))
        else:
            coef, intercept, classes = model.coef_.T, model.intercept_, tuple(str(c) for c in model.classes_)
        return cls(vectorizers, np.ascontiguousarray(coef), intercept, classes)

    def scores(self, texts: list[str]) -> np.ndarray:
        """Decision scores, one row per text."""
        from scipy.sparse import hstack

        x = hstack([v.transform(texts) for v in self.vectorizers]).tocsr()
        return np.asarray(x @ self.coef) + self.intercept


@dataclass(frozen=True)
class TypeModel:
    """The loaded claim-type classifier and its per-label thresholds."""

    pipeline: object
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    linear: LinearScorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", LinearScorer.of(self.pipeline))

    def predict(self, units: tuple[Unit, ...] | list[Unit], cue_kinds: list[tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
        """The claim types of each unit, in the order of TYPES; ``cue_kinds`` are the wording cues found in each."""
        if not units:
            return []
        kinds = cue_kinds or [()] * len(units)
        texts = [features_text(u.text, u.unit, k) for u, k in zip(units, kinds)]
        scores = self.linear.scores(texts)
        out = []
        for row in scores:
            chosen = {label for label, s, t in zip(self.labels, row, self.thresholds) if s >= t}
            out.append(tuple(t for t in TYPES if t in chosen))
        return out


@dataclass(frozen=True)
class StrengthModel:
    """The loaded strength classifier: words, wording-cue tokens and the lexicon rules' verdict."""

    pipeline: object
    min_uncued_strong: float = 0.0  # least probability for "strong" when no strong cue was found
    linear: LinearScorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", LinearScorer.of(self.pipeline))

    def predict(self, units: tuple[Unit, ...] | list[Unit], wordings: list[Wording]) -> list[str]:
        """The strength label of each unit."""
        if not units:
            return []
        texts = [strength_text(u.text, u.unit, w) for u, w in zip(units, wordings)]
        scores = self.linear.scores(texts)
        labels = [self.linear.classes[i] for i in scores.argmax(axis=1)]
        uncued = [i for i, (label, w) in enumerate(zip(labels, wordings)) if label == "strong" and not has_strong_cue(w)]
        if uncued:
            # "strong" with no strong word in sight must be a confident call
            rows = scores[uncued]
            proba = np.exp(rows - rows.max(axis=1, keepdims=True))
            proba /= proba.sum(axis=1, keepdims=True)  # the multinomial model's predict_proba
            column = self.linear.classes.index("strong")
            for i, row in zip(uncued, proba):
                if row[column] < self.min_uncued_strong:
                    labels[i] = "moderate"
        return labels


def _load_skops(path: Path):
    import skops.io as sio

    if not path.exists():
        raise ModelError("no trained model file here; run 'claimcheck train'", str(path))
    try:
        # only the listed types may be built; anything else in the file makes skops refuse it
        return sio.load(path, trusted=list(TRUSTED))
    except Exception as exc:  # skops raises many kinds for a corrupt or foreign file
        raise ModelError(f"cannot load the model ({type(exc).__name__}: {exc})", str(path)) from None


@dataclass(frozen=True)
class Models:
    """Both trained models of a model directory."""

    types: TypeModel
    strength: StrengthModel


@lru_cache(maxsize=2)
def load_models(path: Path | None = None) -> Models:
    """Load the claim-type and strength models (the packaged ones unless ``path`` is given)."""
    directory = model_dir(path)
    meta_path = directory / META_FILE
    if not meta_path.exists():
        raise ModelError(f"no trained model here (expected {META_FILE}); run 'claimcheck train'", str(directory))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        labels = tuple(meta["labels"])
        thresholds = tuple(float(meta["thresholds"][label]) for label in labels)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"unreadable model metadata ({type(exc).__name__}: {exc})", str(meta_path)) from None
    types = TypeModel(_load_skops(directory / MODEL_FILE), labels, thresholds)
    strength = StrengthModel(_load_skops(directory / STRENGTH_FILE), float(meta.get("min_uncued_strong", 0.0)))
    return Models(types, strength)
