"""Linear text models as plain arrays and vocabularies: TF-IDF features scored without scikit-learn.

A :class:`LinearModel` holds what a fitted scikit-learn pipeline (TF-IDF vectorizers, alone or in a
FeatureUnion, then a linear classifier) needs at prediction time: each vectorizer's options,
vocabulary and idf weights, and the stacked coefficients. It reproduces the pipeline's
``decision_function`` and ``predict_proba`` with numpy only (``transform`` also builds a scipy
sparse matrix). :func:`from_sklearn` converts a fitted pipeline (scikit-learn is imported there
only); :func:`save` and :func:`load` store a model as ``<name>.json`` (options, vocabularies,
classes) and ``<name>.npz`` (idf, coefficients, intercept).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

FORMAT = "claimcheck-linear"
FORMAT_VERSION = 1
ANALYZERS = ("word", "char", "char_wb")
NORMS = ("l2", None)
KINDS = ("multilabel", "multiclass", "binary")
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_WHITE_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True, eq=False)
class TextFeatures:
    """One fitted TF-IDF vectorizer: its options, vocabulary (term -> column) and idf weights.

    ``transform`` gives what scikit-learn's ``TfidfVectorizer.transform`` gives for the same
    options (no accent stripping, stop words, custom analyzers or binary counts).
    """

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: Mapping[str, int]
    idf: np.ndarray | None = None
    lowercase: bool = True
    token_pattern: str = DEFAULT_TOKEN_PATTERN
    sublinear_tf: bool = False
    norm: str | None = "l2"
    use_idf: bool = True
    _columns: dict[str, int] = field(init=False, repr=False)  # term -> column + 1, so 0 means absent
    _tokenize: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unsupported analyzer {self.analyzer!r}; expected one of {ANALYZERS}")
        if self.norm not in NORMS:
            raise ValueError(f"unsupported norm {self.norm!r}; expected 'l2' or None")
        low, high = (int(n) for n in self.ngram_range)
        if not 1 <= low <= high:
            raise ValueError(f"bad ngram_range {self.ngram_range!r}")
        object.__setattr__(self, "ngram_range", (low, high))
        columns = {term: int(col) + 1 for term, col in self.vocabulary.items()}
        if sorted(columns.values()) != list(range(1, len(columns) + 1)):
            raise ValueError("vocabulary columns must be 0 .. n-1, each once")
        object.__setattr__(self, "_columns", columns)
        if self.use_idf:
            if self.idf is None:
                raise ValueError("use_idf is set but no idf weights were given")
            idf = np.ascontiguousarray(self.idf, dtype=np.float64)
            if idf.shape != (len(columns),):
                raise ValueError(f"idf has shape {idf.shape}, expected ({len(columns)},)")
            object.__setattr__(self, "idf", idf)
        elif self.idf is not None:
            raise ValueError("idf weights were given but use_idf is off")
        pattern = re.compile(self.token_pattern)
        if pattern.groups > 1:
            raise ValueError("the token pattern has more than one capturing group")
        object.__setattr__(self, "_tokenize", pattern.findall)

    @property
    def n_features(self) -> int:
        """The number of columns (vocabulary size)."""
        return len(self._columns)

    def terms(self) -> list[str]:
        """The vocabulary as a list of terms in column order."""
        out = [""] * len(self._columns)
        for term, col in self._columns.items():
            out[col - 1] = term
        return out

    def _grams(self, text: str) -> Iterable[str]:
        """The n-grams of ``text`` (with repeats), as scikit-learn's analyzer gives them (order aside)."""
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "word":
            tokens = self._tokenize(text)
            grams = [tokens] if low == 1 else []
            for n in range(max(low, 2), min(high, len(tokens)) + 1):
                grams.append(map(" ".join, zip(*(tokens[i:] for i in range(n)))))
            return chain.from_iterable(grams)
        text = _WHITE_SPACES.sub(" ", text)
        if self.analyzer == "char":
            size = len(text)
            return chain.from_iterable(map(text.__getitem__, _slices(n, size - n + 1)) for n in range(low, min(high, size) + 1))
        grams = []  # char_wb: n-grams inside space-padded words
        for word in text.split():
            word = f" {word} "
            size = len(word)
            for n in range(low, high + 1):
                if size <= n:  # a short word counts once, whole
                    grams.append(word)
                    break
                grams.extend(map(word.__getitem__, _slices(n, size - n + 1)))
        return grams

    def _entries(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero entries (rows, columns, values) of the TF-IDF matrix, sorted by row then column."""
        lookup = self._columns.get
        hits: list[int] = []
        lengths = []
        for text in texts:
            before = len(hits)
            hits.extend(filter(None, map(lookup, self._grams(text))))
            lengths.append(len(hits) - before)
        n_features = max(self.n_features, 1)
        keys = np.repeat(np.arange(len(texts), dtype=np.int64) * n_features - 1, lengths)
        keys += np.fromiter(hits, dtype=np.int64, count=len(hits))
        keys, counts = np.unique(keys, return_counts=True)
        rows, cols = np.divmod(keys, n_features)
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            np.log(values, out=values)
            values += 1.0
        if self.idf is not None:
            values *= self.idf[cols]
        if self.norm == "l2" and len(values):
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
            norms[norms == 0.0] = 1.0
            values /= norms[rows]
        return rows, cols, values

    def transform(self, texts: Sequence[str]):
        """The TF-IDF matrix of ``texts`` (``scipy.sparse.csr_matrix``, float64, one row per text)."""
        from scipy.sparse import csr_matrix

        texts = _texts(texts)
        rows, cols, values = self._entries(texts)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        return csr_matrix((values, cols, indptr), shape=(len(texts), self.n_features))


@dataclass(frozen=True, eq=False)
class LinearModel:
    """A linear model over stacked TF-IDF features (and optionally ``n_dense`` numeric columns after them).

    ``coef`` is (n_features, n_outputs): one column per class for ``multilabel`` (one-vs-rest binary
    models) and ``multiclass`` models, a single column (the score of ``classes[1]``) for ``binary``.
    ``probabilistic`` is False for margin classifiers (LinearSVC), which have no probabilities.
    """

    features: tuple[TextFeatures, ...]
    coef: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]
    kind: str
    n_dense: int = 0
    probabilistic: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {KINDS}")
        if self.n_dense < 0:
            raise ValueError("n_dense cannot be negative")
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        coef = np.asarray(self.coef)
        if coef.dtype not in (np.float32, np.float64):
            coef = coef.astype(np.float64)
        intercept = np.asarray(self.intercept, dtype=np.float64).reshape(-1)
        outputs = 1 if self.kind == "binary" else len(self.classes)
        if self.kind == "binary" and len(self.classes) != 2:
            raise ValueError(f"a binary model needs 2 classes, got {len(self.classes)}")
        rows = sum(f.n_features for f in self.features) + self.n_dense
        if coef.shape != (rows, outputs):
            raise ValueError(f"coef has shape {coef.shape}, expected ({rows}, {outputs})")
        if intercept.shape != (outputs,):
            raise ValueError(f"intercept has shape {intercept.shape}, expected ({outputs},)")
        object.__setattr__(self, "coef", np.ascontiguousarray(coef))
        object.__setattr__(self, "intercept", intercept)

    @property
    def n_features(self) -> int:
        """The number of sparse (text) columns; the dense ones follow them."""
        return sum(f.n_features for f in self.features)

    def transform(self, texts: Sequence[str]):
        """The stacked TF-IDF matrix of ``texts`` (``scipy.sparse.csr_matrix``), as the FeatureUnion gives it."""
        from scipy.sparse import csr_matrix, hstack

        texts = _texts(texts)
        if not self.features:
            return csr_matrix((len(texts), 0))
        return hstack([f.transform(texts) for f in self.features], format="csr")

    def scores(self, texts: Sequence[str], dense: np.ndarray | None = None) -> np.ndarray:
        """The decision function, (len(texts), n_outputs); ``dense`` is (len(texts), n_dense) when n_dense > 0."""
        texts = _texts(texts)
        n = len(texts)
        out = np.zeros((n, self.coef.shape[1]), dtype=np.float64)
        if self.features and n:
            rows, cols, values, offset = [], [], [], 0
            for f in self.features:
                r, c, v = f._entries(texts)
                rows.append(r)
                cols.append(c + offset)
                values.append(v)
                offset += f.n_features
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(values)
            weighted = self.coef[c] * v[:, None]  # float64 even for float32 coefficients
            for j in range(out.shape[1]):
                out[:, j] = np.bincount(r, weights=weighted[:, j], minlength=n)
        if self.n_dense:
            if dense is None:
                raise ValueError(f"this model needs {self.n_dense} dense feature columns")
            block = np.asarray(dense, dtype=np.float64)
            if block.shape != (n, self.n_dense):
                raise ValueError(f"dense has shape {block.shape}, expected ({n}, {self.n_dense})")
            out += block @ self.coef[self.n_features :].astype(np.float64)
        elif dense is not None and np.size(dense):
            raise ValueError("this model takes no dense features")
        out += self.intercept
        return out

    def probabilities(self, texts: Sequence[str], dense: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities as scikit-learn's ``predict_proba`` gives them: (len(texts), len(classes))."""
        if not self.probabilistic:
            raise ValueError("this model is a margin classifier (LinearSVC) and has no probabilities")
        s = self.scores(texts, dense)
        if self.kind == "multiclass":
            s -= s.max(axis=1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=1, keepdims=True)
            return s
        p = _sigmoid(s)
        return np.hstack([1.0 - p, p]) if self.kind == "binary" else p

    def predict(self, texts: Sequence[str], dense: np.ndarray | None = None) -> list:
        """The predicted class of each text, or for a multilabel model the tuple of its classes."""
        s = self.scores(texts, dense)
        if self.kind == "multilabel":
            return [tuple(c for c, v in zip(self.classes, row) if v > 0) for row in s]
        if self.kind == "binary":
            return [self.classes[int(v > 0)] for v in s[:, 0]]
        return [self.classes[i] for i in s.argmax(axis=1)]


_SLICES: dict[int, list[slice]] = {}


def _slices(n: int, count: int) -> Iterable[slice]:
    """``slice(i, i + n)`` for i in range(count), from a shared cache (replaced, never mutated, when it grows)."""
    cached = _SLICES.get(n, [])
    if len(cached) < count:
        cached = [slice(i, i + n) for i in range(max(count, 2 * len(cached), 512))]
        _SLICES[n] = cached
    return islice(cached, max(count, 0))


def _texts(texts: Sequence[str]) -> Sequence[str]:
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got a single string")
    return texts if isinstance(texts, list | tuple) else list(texts)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out


# --- conversion from scikit-learn (training time only) ---------------------------------------------


def _features_of(vectorizer) -> TextFeatures:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if type(vectorizer) is not TfidfVectorizer:
        raise ValueError(f"only TfidfVectorizer features can be exported, not {type(vectorizer).__name__}")
    p = vectorizer.get_params()
    unsupported = {
        "input": p["input"] != "content",
        "strip_accents": p["strip_accents"] is not None,
        "preprocessor": p["preprocessor"] is not None,
        "tokenizer": p["tokenizer"] is not None,
        "stop_words": p["stop_words"] is not None,
        "binary": p["binary"],
        "analyzer": p["analyzer"] not in ANALYZERS,
        "norm": p["norm"] not in NORMS,
        "dtype": np.dtype(p["dtype"]) != np.float64,
    }
    bad = [name for name, is_bad in unsupported.items() if is_bad]
    if bad:
        raise ValueError(f"unsupported TfidfVectorizer options: {', '.join(f'{b}={p[b]!r}' for b in bad)}")
    if not hasattr(vectorizer, "vocabulary_"):
        raise ValueError("the vectorizer is not fitted")
    return TextFeatures(
        analyzer=p["analyzer"],
        ngram_range=tuple(p["ngram_range"]),
        vocabulary={str(t): int(i) for t, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64) if p["use_idf"] else None,
        lowercase=bool(p["lowercase"]),
        token_pattern=p["token_pattern"],
        sublinear_tf=bool(p["sublinear_tf"]),
        norm=p["norm"],
        use_idf=bool(p["use_idf"]),
    )


def features_from_sklearn(vectorizer) -> TextFeatures:
    """A fitted TfidfVectorizer as :class:`TextFeatures` (training time only)."""
    return _features_of(vectorizer)


def _linear_of(model) -> tuple[np.ndarray, np.ndarray, bool]:
    """(coef (outputs, features), intercept, probabilistic) of one LogisticRegression or LinearSVC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if type(model) not in (LogisticRegression, LinearSVC):
        raise ValueError(f"only LogisticRegression and LinearSVC can be exported, not {type(model).__name__}")
    if not hasattr(model, "coef_"):
        raise ValueError(f"the {type(model).__name__} is not fitted")
    if isinstance(model, LinearSVC) and model.get_params()["multi_class"] != "ovr":
        raise ValueError("only LinearSVC(multi_class='ovr') can be exported")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],))
    return coef, intercept, isinstance(model, LogisticRegression)


def from_sklearn(pipeline_or_parts, classes: Sequence[str] | None = None, coef_dtype: Any = np.float32) -> LinearModel:
    """Convert a fitted scikit-learn pipeline into a :class:`LinearModel`.

    Accepts ``Pipeline([features, model])`` or a ``(features, model)`` pair, where features is a
    TfidfVectorizer or a FeatureUnion of them, and model is LogisticRegression, LinearSVC, or a
    OneVsRestClassifier of either fitted on a multilabel indicator matrix. ``classes`` names the
    outputs (a one-vs-rest model only knows them as 0..k-1). Anything else raises ValueError.
    """
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(pipeline_or_parts, Pipeline):
        steps = [step for _, step in pipeline_or_parts.steps if step not in (None, "passthrough")]
        if len(steps) != 2:
            raise ValueError(f"expected a pipeline of features and a model, got {len(steps)} steps")
        features, model = steps
    else:
        features, model = pipeline_or_parts
    if isinstance(features, FeatureUnion):
        if features.transformer_weights:
            raise ValueError("FeatureUnion transformer_weights are not supported")
        parts = [t for _, t in features.transformer_list if t not in (None, "drop")]
        if any(t == "passthrough" for t in parts):
            raise ValueError("a 'passthrough' FeatureUnion member is not supported")
        text_features = tuple(_features_of(t) for t in parts)
    else:
        text_features = (_features_of(features),)

    if isinstance(model, OneVsRestClassifier):
        if not getattr(model, "multilabel_", False):
            raise ValueError("only one-vs-rest models fitted on a multilabel indicator matrix are supported")
        fitted = [_linear_of(e) for e in model.estimators_]
        if any(c.shape[0] != 1 for c, _, _ in fitted):
            raise ValueError("each one-vs-rest estimator must be binary")
        coef = np.vstack([c for c, _, _ in fitted])
        intercept = np.concatenate([i for _, i, _ in fitted])
        probabilistic = all(p for _, _, p in fitted)
        names = tuple(str(c) for c in model.classes_)
        kind = "multilabel"
    else:
        coef, intercept, probabilistic = _linear_of(model)
        names = tuple(str(c) for c in model.classes_)
        kind = "binary" if coef.shape[0] == 1 else "multiclass"
    if classes is not None:
        if len(classes) != len(names):
            raise ValueError(f"{len(classes)} class names given for {len(names)} classes")
        names = tuple(str(c) for c in classes)
    return LinearModel(
        features=text_features,
        coef=np.ascontiguousarray(coef.T, dtype=coef_dtype),
        intercept=intercept.copy(),
        classes=names,
        kind=kind,
        probabilistic=probabilistic,
    )


# --- files ---------------------------------------------------------------------------------------


def paths(directory: str | Path, name: str) -> tuple[Path, Path]:
    """The two files of model ``name`` in ``directory``: ``<name>.json`` and ``<name>.npz``."""
    directory = Path(directory)
    return directory / f"{name}.json", directory / f"{name}.npz"


def save(model: LinearModel, directory: str | Path, name: str) -> tuple[Path, Path]:
    """Write ``model`` as ``<directory>/<name>.json`` and ``<directory>/<name>.npz``; return both paths."""
    json_path, npz_path = paths(directory, name)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"coef": model.coef, "intercept": model.intercept}
    meta_features = []
    for i, f in enumerate(model.features):
        if f.idf is not None:
            arrays[f"idf_{i}"] = f.idf
        meta_features.append(
            {
                "analyzer": f.analyzer,
                "ngram_range": list(f.ngram_range),
                "lowercase": f.lowercase,
                "token_pattern": f.token_pattern,
                "sublinear_tf": f.sublinear_tf,
                "norm": f.norm,
                "use_idf": f.use_idf,
                "vocabulary": f.terms(),
            }
        )
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": model.kind,
        "classes": list(model.classes),
        "n_dense": model.n_dense,
        "probabilistic": model.probabilistic,
        "features": meta_features,
    }
    with open(npz_path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    json_path.write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return json_path, npz_path


def load(directory: str | Path, name: str) -> LinearModel:
    """Read the model ``name`` saved by :func:`save`; raise ModelError naming the file when it is missing or broken."""
    json_path, npz_path = paths(directory, name)
    for path in (json_path, npz_path):
        if not path.is_file():
            raise ModelError("model file is missing", str(path))
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"bad JSON ({type(exc).__name__}: {exc})", str(json_path)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"not a {FORMAT} model file", str(json_path))
    if meta.get("version") != FORMAT_VERSION:
        raise ModelError(f"format version {meta.get('version')!r}, expected {FORMAT_VERSION}", str(json_path))
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as exc:  # zipfile, zlib, numpy format errors: all mean a broken file
        raise ModelError(f"unreadable arrays ({type(exc).__name__}: {exc})", str(npz_path)) from None
    for key in ("coef", "intercept"):
        if key not in arrays:
            raise ModelError(f"no {key!r} array", str(npz_path))
    try:
        features = []
        for i, f in enumerate(meta["features"]):
            terms = f["vocabulary"]
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise ModelError(f"feature block {i}: the vocabulary is not a list of terms", str(json_path))
            vocabulary = {t: col for col, t in enumerate(terms)}
            if len(vocabulary) != len(terms):
                raise ModelError(f"feature block {i}: the vocabulary repeats terms", str(json_path))
            idf = arrays.get(f"idf_{i}")
            if f["use_idf"] and (idf is None or idf.shape != (len(terms),)):
                shape = None if idf is None else idf.shape
                raise ModelError(f"shape mismatch: idf_{i} is {shape}, expected ({len(terms)},)", str(npz_path))
            features.append(
                TextFeatures(
                    analyzer=f["analyzer"],
                    ngram_range=tuple(f["ngram_range"]),
                    vocabulary=vocabulary,
                    idf=idf if f["use_idf"] else None,
                    lowercase=bool(f["lowercase"]),
                    token_pattern=f["token_pattern"],
                    sublinear_tf=bool(f["sublinear_tf"]),
                    norm=f["norm"],
                    use_idf=bool(f["use_idf"]),
                )
            )
        kind, classes, n_dense = meta["kind"], meta["classes"], int(meta["n_dense"])
        probabilistic = bool(meta["probabilistic"])
        if kind not in KINDS or not isinstance(classes, list) or not all(isinstance(c, str) for c in classes) or n_dense < 0:
            raise ValueError("bad kind, classes or n_dense")
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ModelError(f"bad model description ({type(exc).__name__}: {exc})", str(json_path)) from None
    coef, intercept = arrays["coef"], arrays["intercept"]
    if coef.dtype not in (np.float32, np.float64) or intercept.dtype != np.float64:
        raise ModelError(f"unexpected array types {coef.dtype} / {intercept.dtype}", str(npz_path))
    outputs = 1 if kind == "binary" else len(classes)
    rows = sum(f.n_features for f in features) + n_dense
    if coef.shape != (rows, outputs) or intercept.shape != (outputs,):
        raise ModelError(
            f"shape mismatch: coef {coef.shape} and intercept {intercept.shape}, expected ({rows}, {outputs}) and ({outputs},)",
            str(npz_path),
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ModelError("non-finite coefficients", str(npz_path))
    try:
        return LinearModel(tuple(features), coef, intercept, tuple(classes), kind, n_dense, probabilistic)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"inconsistent model ({exc})", str(json_path)) from None


def export(pipeline_or_parts, directory: str | Path, name: str, classes: Iterable[str] | None = None) -> LinearModel:
    """Convert a fitted scikit-learn pipeline with :func:`from_sklearn` and :func:`save` it; return the model."""
    model = from_sklearn(pipeline_or_parts, None if classes is None else tuple(classes))
    save(model, directory, name)
    return model
