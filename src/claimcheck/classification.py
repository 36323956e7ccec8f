"""Classify each unit's claim types (efficacy, safety, mechanism; multi-label) with the trained model.

The model is a scikit-learn pipeline saved with skops in ``models/`` (see ``claimcheck train``);
loading accepts only the scikit-learn and numpy types that pipeline is built from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import ModelError
from .records import Unit

TYPES = ("efficacy", "safety", "mechanism")
MODEL_FILE = "types.skops"
META_FILE = "meta.json"
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
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.slice",
    "collections.defaultdict",
    "claimcheck.classification.features_text",
)


def features_text(text: str, unit: str = "sentence", cue_kinds: tuple[str, ...] = ()) -> str:
    """The text the model sees: the unit kind and the wording-cue kinds as tokens, then the text."""
    cues = " ".join(f"__cue_{k}__" for k in cue_kinds)
    return f"__{unit}__ {cues} {text}"


def model_dir(path: Path | None = None) -> Path:
    """The directory holding the model: ``path`` or the packaged ``claimcheck/models``."""
    if path is not None:
        return Path(path)
    return Path(str(resources.files("claimcheck").joinpath("models")))


@dataclass(frozen=True)
class TypeModel:
    """The loaded claim-type classifier and its per-label thresholds."""

    pipeline: object
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]

    def predict(self, units: tuple[Unit, ...] | list[Unit], cue_kinds: list[tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
        """The claim types of each unit, in the order of TYPES; ``cue_kinds`` are the wording cues found in each."""
        if not units:
            return []
        kinds = cue_kinds or [()] * len(units)
        texts = [features_text(u.text, u.unit, k) for u, k in zip(units, kinds)]
        scores = self.pipeline.decision_function(texts)
        out = []
        for row in scores:
            chosen = {label for label, s, t in zip(self.labels, row, self.thresholds) if s >= t}
            out.append(tuple(t for t in TYPES if t in chosen))
        return out


@lru_cache(maxsize=2)
def load_model(path: Path | None = None) -> TypeModel:
    """Load the claim-type model (the packaged one unless ``path`` is given)."""
    import skops.io as sio

    directory = model_dir(path)
    model_path = directory / MODEL_FILE
    meta_path = directory / META_FILE
    if not model_path.exists() or not meta_path.exists():
        raise ModelError(f"no trained model here (expected {MODEL_FILE} and {META_FILE}); run 'claimcheck train'", str(directory))
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
        unexpected = [t for t in untrusted if t not in TRUSTED]
        if unexpected:
            raise ModelError(f"the model file holds unexpected types {unexpected}; refusing to load it", str(model_path))
        pipeline = sio.load(model_path, trusted=untrusted)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ModelError:
        raise
    except Exception as exc:  # skops raises many kinds for a corrupt file
        raise ModelError(f"cannot load the model ({type(exc).__name__}: {exc})", str(model_path)) from None
    labels = tuple(meta["labels"])
    thresholds = tuple(float(meta["thresholds"][label]) for label in labels)
    return TypeModel(pipeline, labels, thresholds)
