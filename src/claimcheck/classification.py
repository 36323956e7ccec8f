"""Classify units with the trained model: claim types, wording strength, and the confidence of a flag.

A model directory holds ``meta.json`` and the plain-array linear model ``units.json`` + ``units.npz``
(see :mod:`claimcheck.linear`; no scikit-learn at check time). ``meta.json`` names the backend, so
another backend can sit behind the same :class:`Classifier` protocol. The model has two layers
(see :mod:`claimcheck.train`): three linear heads over one TF-IDF featurisation (types, strength,
strong claim), then a small logistic layer that turns their outputs, the wording cues and the
previous unit's outputs into the confidence that the unit is a strongly worded claim, and a second
such layer decides whether the unit makes a claim at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from . import linear
from .errors import ModelError
from .records import Unit, Wording
from .vocabulary import CONTENT_UNITS, STRENGTHS, TYPES
from .wording import Lexicon

META_FILE = "meta.json"
MODEL_NAME = "units"
FEATURE_VERSION = 3
BACKENDS = ("linear",)
STACK_UNITS = CONTENT_UNITS
_ORDERED_STRENGTHS = tuple(sorted(STRENGTHS))  # the strength head's columns: hedged, moderate, strong
OUTPUTS = (*TYPES, *_ORDERED_STRENGTHS, "strong_claim")  # the model's score columns, in order
_CLIP = 12.0


def main_text(text: str, unit: str, kinds: tuple[str, ...], rule: str) -> str:
    """The text the heads read: the unit kind, the wording-cue kinds and the lexicon's verdict as tokens, then the text."""
    cues = " ".join(f"__cue_{k}__" for k in kinds)
    return f"__{unit}__ {cues} __rule_{rule}__ {text}"


def cue_vocabulary(lexicon: Lexicon) -> tuple[str, ...]:
    """Every cue kind the lexicon can report, in a fixed order: the confidence layer's indicator inputs."""
    return tuple(sorted(lexicon.effects))


def stack_features(
    scores: np.ndarray,
    unit: str,
    kinds: tuple[str, ...],
    rule: str,
    text: str,
    vocabulary: tuple[str, ...],
    prev_scores: np.ndarray | None,
    prev_text: str | None,
) -> list[float]:
    """The confidence layer's inputs for one unit: the heads' raw scores, cues, unit kind and the previous unit."""
    s = np.clip(scores, -_CLIP, _CLIP)
    strength = _softmax(s[3:6])
    row = [*s[:3], float(s[:3].max()), float(strength[_ORDERED_STRENGTHS.index("strong")]), float(strength[0]), float(s[6])]
    row += [float(rule == "strong"), float(rule == "hedged")]
    present = set(kinds)
    row += [float(k in present) for k in vocabulary]
    row += [float(unit == u) for u in STACK_UNITS]
    stripped = text.rstrip()
    row += [float(len(stripped.split()) <= 4), float(stripped.endswith("?"))]
    if prev_scores is None:
        row += [0.0, 0.0, 0.0, 0.0, 0.0]
    else:
        p = np.clip(prev_scores, -_CLIP, _CLIP)
        before = (prev_text or "").rstrip()
        row += [1.0, float(p[6]), float(p[:3].max()), float(before.endswith(":")), float(before.endswith("?"))]
    return row


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


@dataclass(frozen=True)
class Classification:
    """What the model concluded about each unit of a page."""

    types: list[tuple[str, ...]]
    strengths: list[str]
    confidences: list[float]


class Classifier(Protocol):
    """A classification backend: the labels and flag confidence of a page's units, in order."""

    operating_point: float
    model_id: str  # names the trained model: backend, feature version and a hash of its metadata

    def classify(self, units: tuple[Unit, ...], wordings: list[Wording], threshold: float) -> Classification: ...


@dataclass(frozen=True)
class LinearClassifier:
    """Three linear heads over one featurisation, and the logistic confidence layer over them."""

    model: linear.LinearModel
    thresholds: np.ndarray  # per type, on the raw score
    vocabulary: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    operating_point: float
    claim_coef: np.ndarray
    claim_intercept: float
    claim_threshold: float
    implies: tuple[tuple[str, str], ...] = ()  # wording-cue kind -> the claim type it makes (the lexicon's ``implies``)
    model_id: str = ""

    def classify(self, units: tuple[Unit, ...], wordings: list[Wording], threshold: float) -> Classification:
        """Types, strength and confidence of each unit; a unit at or above ``threshold`` is made a strong claim.

        The confidence layer decides the flag, so a unit it is confident about carries the labels that
        make it flaggable: its best type when the type heads gave none, and strong wording.
        """
        if not units:
            return Classification([], [], [])
        texts = [main_text(u.text, u.unit, w.kinds, w.label) for u, w in zip(units, wordings)]
        scores = self.model.scores(texts)
        rows = []
        for i, (u, w) in enumerate(zip(units, wordings)):
            prev = scores[i - 1] if i else None
            rows.append(
                stack_features(scores[i], u.unit, w.kinds, w.label, u.text, self.vocabulary, prev, units[i - 1].text if i else None)
            )
        x = np.asarray(rows)
        z = np.clip(x @ self.coef + self.intercept, -500.0, 500.0)  # math.exp overflows past about 709
        confidences = (1.0 / (1.0 + np.exp(-z))).tolist()
        claims = x @ self.claim_coef + self.claim_intercept >= _logit(self.claim_threshold)
        typed = scores[:, :3] >= self.thresholds
        best = np.argmax(scores[:, :3] - self.thresholds, axis=1)
        strength_idx = scores[:, 3:6].argmax(axis=1)
        types, strengths = [], []
        for i, c in enumerate(confidences):
            chosen: tuple[str, ...] = ()
            if claims[i] or c >= threshold:
                # the claim layer (or a confident flag) decides whether there is a claim; the type heads, which types
                chosen = tuple(t for j, t in enumerate(TYPES) if typed[i, j]) or (TYPES[int(best[i])],)
            strength = _ORDERED_STRENGTHS[int(strength_idx[i])]
            if c >= threshold:
                strength = "strong"
            if chosen:
                # "safe and effective" claims safety too: a deciding cue's type is part of the claim
                implied = {t for kind, t in self.implies if kind in wordings[i].kinds}
                chosen = tuple(t for t in TYPES if t in chosen or t in implied)
            types.append(chosen)
            strengths.append(strength)
        return Classification(types, strengths, confidences)


def model_dir(path: Path | None = None) -> Path:
    """The directory holding the model: ``path`` or the packaged ``claimcheck/models``."""
    if path is not None:
        return Path(path)
    return Path(str(resources.files("claimcheck").joinpath("models")))


@lru_cache(maxsize=4)
def load_classifier(path: Path | None = None) -> Classifier:
    """Load the model of a directory (the packaged one unless ``path`` is given), checked against the lexicon."""
    from .wording import load_lexicon

    directory = model_dir(path)
    meta_path = directory / META_FILE
    if not meta_path.exists():
        raise ModelError(f"no trained model here (expected {META_FILE}); run 'claimcheck train'", str(directory))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ModelError("model metadata is not a JSON object; retrain with 'claimcheck train'", str(meta_path))
        backend = meta.get("backend")
        if backend not in BACKENDS:
            raise ModelError(
                f"unknown model backend {backend!r}; this claimcheck reads {list(BACKENDS)}; retrain with 'claimcheck train'",
                str(meta_path),
            )
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ModelError(f"model features version {meta.get('feature_version')!r}, expected {FEATURE_VERSION}; retrain", str(meta_path))
        thresholds = np.array([float(meta["thresholds"][t]) for t in TYPES])
        conf, claim = meta["confidence"], meta["claim"]
        vocabulary = tuple(conf["kinds"])
        coef = np.array(conf["coef"], dtype=float)
        intercept = float(conf["intercept"])
        point = float(meta["operating_point"])
        claim_coef = np.array(claim["coef"], dtype=float)
        claim_intercept = float(claim["intercept"])
        claim_point = float(claim["threshold"])
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"unreadable model metadata ({type(exc).__name__}: {exc})", str(meta_path)) from None
    lexicon = load_lexicon()
    expected = cue_vocabulary(lexicon)
    if vocabulary != expected:
        missing = sorted(set(expected) ^ set(vocabulary))
        raise ModelError(
            f"the model was trained with other wording-cue kinds ({', '.join(missing)}); retrain with 'claimcheck train'", str(meta_path)
        )
    model = linear.load(directory, MODEL_NAME)
    width = len(stack_features(np.zeros(len(model.classes)), "sentence", (), "moderate", "", vocabulary, None, None))
    numbers = np.concatenate([coef, claim_coef, thresholds, [intercept, claim_intercept, point, claim_point]])
    if (
        coef.shape != (width,)
        or claim_coef.shape != (width,)
        or model.classes != OUTPUTS
        or tuple(meta["confidence"].get("units", ())) != STACK_UNITS
        or not np.isfinite(numbers).all()
        or not 0.0 <= point <= 1.0
        or not 0.0 < claim_point < 1.0
    ):
        raise ModelError("the model's confidence layer does not fit its heads; retrain with 'claimcheck train'", str(meta_path))
    return LinearClassifier(
        model,
        thresholds,
        vocabulary,
        coef,
        intercept,
        point,
        claim_coef,
        claim_intercept,
        claim_point,
        tuple(sorted(lexicon.implies.items())),
        f"{backend}-v{FEATURE_VERSION}-{hashlib.sha256(meta_path.read_bytes()).hexdigest()[:12]}",
    )
