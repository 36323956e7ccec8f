"""claimcheck.linear reproduces fitted scikit-learn TF-IDF + linear pipelines from plain arrays, and its files fail loudly."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from claimcheck.errors import ModelError
from claimcheck.linear import LinearModel, TextFeatures, from_sklearn, load, paths, save

TRAIN = [
    ("Low-dose naltrexone cures fibromyalgia in weeks.", "efficacy", "strong"),
    ("LDN is proven to eliminate chronic pain for good.", "efficacy", "strong"),
    ("This supplement reverses diabetes completely.", "efficacy", "strong"),
    ("Our clinic's infusions restore energy in every patient.", "efficacy", "strong"),
    ("Metformin may slow ageing, early studies suggest.", "efficacy", "hedged"),
    ("Some patients report less pain after acupuncture.", "efficacy", "moderate"),
    ("Probiotics could help with irritable bowel symptoms.", "efficacy", "hedged"),
    ("The trial found a modest improvement in sleep quality.", "efficacy", "moderate"),
    ("Ketamine improved depression scores within a day.", "efficacy", "moderate"),
    ("Semaglutide reduces body weight by about 15 percent.", "efficacy", "moderate"),
    ("There are no side effects at all, it is completely safe.", "safety", "strong"),
    ("Naltrexone is perfectly safe for children and pregnant women.", "safety", "strong"),
    ("Nausea and headache are the most common side effects.", "safety", "moderate"),
    ("Rarely, the vaccine may cause a sore arm or mild fever.", "safety", "hedged"),
    ("Long-term safety has not been established in trials.", "safety", "hedged"),
    ("Stop taking it if you notice a rash or swelling.", "safety", "moderate"),
    ("High doses might damage the liver in some people.", "safety", "hedged"),
    ("The peptide is gentle and well tolerated by everyone.", "safety", "strong"),
    ("It works by blocking opioid receptors on immune cells.", "mechanism", "moderate"),
    ("Naltrexone modulates microglia and calms neuroinflammation.", "mechanism", "strong"),
    ("The drug appears to act on GLP-1 receptors in the gut.", "mechanism", "hedged"),
    ("Red light may stimulate mitochondria to make more ATP.", "mechanism", "hedged"),
    ("Exosomes carry signals that repair damaged tissue.", "mechanism", "strong"),
    ("Cupping increases blood flow to the treated muscles.", "mechanism", "moderate"),
    ("Call us today to book your first consultation.", "none", "moderate"),
    ("Our opening hours are Monday to Friday, 9 to 5.", "none", "moderate"),
    ("Read our blog for more stories from happy clients.", "none", "moderate"),
    ("Parking is available behind the building.", "none", "moderate"),
    ("The study enrolled 120 adults aged 40 to 65.", "none", "moderate"),
    ("Sign up for our newsletter and get 10% off.", "none", "moderate"),
    ("It cures pain, it is safe, and it calms inflammation.", "efficacy safety mechanism", "strong"),
    ("The pill may help and seems safe in small trials.", "efficacy safety", "hedged"),
    ("By lowering inflammation, LDN relieves pain.", "efficacy mechanism", "moderate"),
    ("Side effects are rare because it targets only immune cells.", "safety mechanism", "moderate"),
]
TEXTS = [t for t, _, _ in TRAIN]
TYPES = ("efficacy", "safety", "mechanism")
UNSEEN = [
    "LDN cures pain and is completely safe!!!",
    "",
    " ",
    "   \t\n  ",
    "Naïve café patients: «ça marche» — 100% Ünïcode ΣΊΣΥΦΟΣ İstanbul straße",
    "side    effects\t\tare\n\nrare,,, really...",
    "Zyxqv blorft wibble frobnicate.",
    "It works by blocking opioid receptors on immune cells.",
    "?!.,;:",
    "a",
    "Semaglutide (Ozempic®) reduces weight; may cause nausea.",
    "🙂 emoji-only 🙂🙂",
]
TIGHT = {"rtol": 0.0, "atol": 1e-12}
FLOAT32 = {"rtol": 0.0, "atol": 1e-5}


@pytest.fixture(scope="module")
def sk():
    return pytest.importorskip("sklearn")


def _fit(pipeline, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # token_pattern unused by char analyzers; tiny data convergence
        return pipeline.fit(x, y)


@pytest.fixture(scope="module")
def types_pipeline(sk):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(4, 4), min_df=2, sublinear_tf=True)),
        ]
    )
    y = np.array([[t in types.split() for t in TYPES] for _, types, _ in TRAIN], dtype=int)
    model = OneVsRestClassifier(LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000))
    return _fit(Pipeline([("features", features), ("model", model)]), TEXTS, y)


@pytest.fixture(scope="module")
def strength_pipeline(sk):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    words = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
    return _fit(Pipeline([("words", words), ("model", model)]), TEXTS, [s for _, _, s in TRAIN])


@pytest.fixture(scope="module")
def binary_pipeline(sk):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    y = ["claim" if types != "none" else "other" for _, types, _ in TRAIN]
    return _fit(Pipeline([("words", TfidfVectorizer()), ("model", LogisticRegression(C=10.0))]), TEXTS, y)


def _roundtrip(model: LinearModel, tmp_path, name: str = "m") -> LinearModel:
    save(model, tmp_path, name)
    return load(tmp_path, name)


def test_union_one_vs_rest_matches_sklearn(types_pipeline, tmp_path):
    exact = from_sklearn(types_pipeline, classes=TYPES, coef_dtype=np.float64)
    assert exact.kind == "multilabel" and exact.classes == TYPES
    assert np.array_equal(exact.transform(UNSEEN).toarray(), types_pipeline[0].transform(UNSEEN).toarray())
    expected, proba = types_pipeline.decision_function(UNSEEN), types_pipeline.predict_proba(UNSEEN)
    for model in (exact, _roundtrip(exact, tmp_path)):
        assert np.allclose(model.scores(UNSEEN), expected, **TIGHT)
        assert np.allclose(model.probabilities(UNSEEN), proba, **TIGHT)
    small = _roundtrip(from_sklearn(types_pipeline, classes=TYPES), tmp_path, "small")
    assert small.coef.dtype == np.float32
    assert np.allclose(small.scores(UNSEEN), expected, **FLOAT32)
    assert np.allclose(small.probabilities(UNSEEN), proba, **FLOAT32)
    labels = types_pipeline.predict(UNSEEN)
    assert exact.predict(UNSEEN) == [tuple(t for t, on in zip(TYPES, row) if on) for row in labels]


def test_multinomial_word_trigrams_match_sklearn(strength_pipeline, tmp_path):
    model = _roundtrip(from_sklearn(strength_pipeline, coef_dtype=np.float64), tmp_path)
    assert model.kind == "multiclass" and model.classes == ("hedged", "moderate", "strong")
    assert np.allclose(model.scores(UNSEEN), strength_pipeline.decision_function(UNSEEN), **TIGHT)
    assert np.allclose(model.probabilities(UNSEEN), strength_pipeline.predict_proba(UNSEEN), **TIGHT)
    assert model.predict(UNSEEN) == list(strength_pipeline.predict(UNSEEN))


def test_binary_logistic_regression(binary_pipeline, tmp_path):
    model = _roundtrip(from_sklearn(binary_pipeline, coef_dtype=np.float64), tmp_path)
    assert model.kind == "binary" and model.classes == ("claim", "other") and model.coef.shape[1] == 1
    assert np.allclose(model.scores(UNSEEN)[:, 0], binary_pipeline.decision_function(UNSEEN), **TIGHT)
    assert np.allclose(model.probabilities(UNSEEN), binary_pipeline.predict_proba(UNSEEN), **TIGHT)
    assert model.predict(UNSEEN) == list(binary_pipeline.predict(UNSEEN))


def test_linear_svc_scores_without_probabilities(sk):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False)
    x = vectorizer.fit_transform(TEXTS)
    svc = LinearSVC(C=0.5, random_state=0).fit(x, [s for _, _, s in TRAIN])
    model = from_sklearn((vectorizer, svc), coef_dtype=np.float64)
    assert np.array_equal(model.transform(UNSEEN).toarray(), vectorizer.transform(UNSEEN).toarray())
    assert np.allclose(model.scores(UNSEEN), svc.decision_function(vectorizer.transform(UNSEEN)), **TIGHT)
    with pytest.raises(ValueError, match="no probabilities"):
        model.probabilities(UNSEEN)


@pytest.mark.parametrize(
    ("analyzer", "ngram_range", "lowercase", "sublinear_tf", "norm", "use_idf"),
    [
        ("word", (1, 1), False, False, None, True),
        ("word", (2, 3), True, True, "l2", False),
        ("char", (1, 3), True, False, "l2", True),
        ("char", (4, 4), False, True, None, False),
        ("char_wb", (3, 5), True, True, "l2", True),
    ],
)
def test_transform_is_sklearns(sk, analyzer, ngram_range, lowercase, sublinear_tf, norm, use_idf):
    from sklearn.feature_extraction.text import TfidfVectorizer

    options = {"ngram_range": ngram_range, "lowercase": lowercase, "sublinear_tf": sublinear_tf, "norm": norm, "use_idf": use_idf}
    vectorizer = _fit(TfidfVectorizer(analyzer=analyzer, **options), TEXTS, None)
    features = from_sklearn((vectorizer, _fit(sk.linear_model.LogisticRegression(), vectorizer.transform(TEXTS), [0, 1] * 17))).features[0]
    assert np.array_equal(features.transform(UNSEEN + TEXTS).toarray(), vectorizer.transform(UNSEEN + TEXTS).toarray())


def test_dense_columns_follow_the_text_columns(sk, tmp_path):
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def extra(texts):
        return np.array([[len(t) / 50.0, t.count("!")] for t in texts])

    vectorizer = TfidfVectorizer().fit(TEXTS)
    labels = [s for _, _, s in TRAIN]
    clf = _fit(LogisticRegression(max_iter=3000), hstack([vectorizer.transform(TEXTS), csr_matrix(extra(TEXTS))]).tocsr(), labels)
    text_only = from_sklearn((vectorizer, _fit(LogisticRegression(), vectorizer.transform(TEXTS), labels)))
    model = LinearModel(text_only.features, clf.coef_.T, clf.intercept_, tuple(clf.classes_), "multiclass", n_dense=2)
    model = _roundtrip(model, tmp_path)
    x = hstack([vectorizer.transform(UNSEEN), csr_matrix(extra(UNSEEN))]).tocsr()
    assert np.allclose(model.scores(UNSEEN, dense=extra(UNSEEN)), clf.decision_function(x), **TIGHT)
    assert np.allclose(model.probabilities(UNSEEN, dense=extra(UNSEEN)), clf.predict_proba(x), **TIGHT)
    with pytest.raises(ValueError, match="dense"):
        model.scores(UNSEEN)


@pytest.mark.parametrize(
    ("option", "value"),
    [("stop_words", "english"), ("strip_accents", "unicode"), ("binary", True), ("norm", "l1"), ("dtype", np.float32)],
)
def test_unsupported_vectorizer_options_are_refused(sk, option, value):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(**{option: value}).fit(TEXTS)
    clf = LogisticRegression().fit(vectorizer.transform(TEXTS), [0, 1] * 17)
    with pytest.raises(ValueError, match=option):
        from_sklearn((vectorizer, clf))


def _handmade() -> LinearModel:
    words = TextFeatures(
        "word", (1, 2), {"safe": 0, "cures": 1, "cures pain": 2, "pain": 3}, idf=np.array([1.0, 1.5, 2.0, 1.2]), sublinear_tf=True
    )
    chars = TextFeatures("char", (3, 3), {"saf": 0, "ain": 1}, use_idf=False, norm=None)
    coef = np.array([[0.5, -1.0], [2.0, 0.1], [1.0, 0.0], [0.3, 0.2], [0.0, 0.7], [-0.4, 0.4]])
    return LinearModel((words, chars), coef, np.array([-0.5, 0.25]), ("efficacy", "safety"), "multilabel")


def test_handmade_model_without_sklearn(tmp_path):
    model = _handmade()
    tf = np.array([1.5, 2.0, 1.2 * (1 + np.log(2))])  # "cures", "cures pain", "pain" twice
    words = tf / np.linalg.norm(tf)
    expected = np.array([words @ [2.0, 1.0, 0.3], words @ [0.1, 0.0, 0.2]]) + [0.0 - 0.4 * 2, 0.7 * 0 + 0.4 * 2]
    expected += [-0.5, 0.25]
    text = "Cures pain, PAIN"
    assert np.allclose(model.scores([text])[0], expected, **TIGHT)
    assert np.allclose(_roundtrip(model, tmp_path).scores([text, ""]), model.scores([text, ""]), **TIGHT)
    assert np.allclose(model.scores([""]), [[-0.5, 0.25]], **TIGHT)
    assert model.scores([]).shape == (0, 2)
    with pytest.raises(TypeError):
        model.scores(text)


def test_prediction_imports_neither_sklearn_nor_skops(tmp_path):
    save(_handmade(), tmp_path, "m")
    code = (
        "import sys; from claimcheck.linear import load; "
        f"m = load({str(tmp_path)!r}, 'm'); m.probabilities(['cures pain']); "
        "print(sorted(k for k in ('sklearn', 'skops', 'scipy') if k in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def _broken(tmp_path, how: str):
    json_path, npz_path = paths(tmp_path, "m")
    save(_handmade(), tmp_path, "m")
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    if how == "no json":
        json_path.unlink()
        return json_path, "missing"
    if how == "no npz":
        npz_path.unlink()
        return npz_path, "missing"
    if how == "bad json":
        json_path.write_text('{"format": "claimcheck-linear", "vers', encoding="utf-8")
        return json_path, "bad JSON"
    if how == "wrong version":
        meta["version"] = 99
        json_path.write_text(json.dumps(meta), encoding="utf-8")
        return json_path, "version 99"
    if how == "missing key":
        del meta["features"][0]["analyzer"]
        json_path.write_text(json.dumps(meta), encoding="utf-8")
        return json_path, "analyzer"
    if how == "vocabulary too long":
        meta["features"][1]["vocabulary"].append("xyz")
        json_path.write_text(json.dumps(meta), encoding="utf-8")
        return npz_path, "shape mismatch"
    if how == "corrupt npz":
        npz_path.write_bytes(npz_path.read_bytes()[:40])
        return npz_path, "unreadable"
    if how == "coef shape":
        model = _handmade()
        np.savez_compressed(npz_path, coef=model.coef[:-1], intercept=model.intercept, idf_0=model.features[0].idf)
        return npz_path, "shape mismatch"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["no json", "no npz", "bad json", "wrong version", "missing key", "vocabulary too long", "corrupt npz", "coef shape"]
)
def test_broken_files_raise_model_error_naming_the_file(tmp_path, how):
    path, reason = _broken(tmp_path, how)
    with pytest.raises(ModelError) as caught:
        load(tmp_path, "m")
    message = str(caught.value)
    assert caught.value.source == str(path) and message.startswith(str(path))
    assert reason in message and "\n" not in message
