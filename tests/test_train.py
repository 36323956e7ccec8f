"""`claimcheck train` rebuilds a model directory from a corpus, reproducibly, and the check can use it."""

import json
import shutil

import claimcheck
from claimcheck.train import main as train_main

from .conftest import ROOT


def small_corpus(tmp_path, n=12):
    corpus = tmp_path / "corpus"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "pages").mkdir()
    labels = sorted((ROOT / "corpus" / "labels").glob("*.jsonl"))[:: max(1, 100 // n)][:n]
    for path in labels:
        shutil.copy(path, corpus / "labels")
        doc = json.loads(path.read_text().splitlines()[0])["doc"]
        shutil.copy(ROOT / "corpus" / "pages" / doc, corpus / "pages")
    return corpus


def test_training_is_reproducible_and_the_model_is_usable(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    first, second = tmp_path / "m1", tmp_path / "m2"
    assert train_main(["--corpus", str(corpus), "--out", str(first)]) == 0
    assert train_main(["--corpus", str(corpus), "--out", str(second)]) == 0
    meta1 = json.loads((first / "meta.json").read_text())
    meta2 = json.loads((second / "meta.json").read_text())
    for key in ("thresholds", "held_out", "data_sha256", "label_counts", "held_out_pages"):
        assert meta1[key] == meta2[key], key
    assert meta1["pages"] == 12
    assert set(meta1["versions"]) >= {"scikit-learn", "skops", "python"}

    text = "Our magnesium spray cures insomnia in days and has no side effects."
    reports = [claimcheck.check_text(text, claimcheck.Options(model_path=m)) for m in (first, second)]
    assert reports[0].sentences[0].types == reports[1].sentences[0].types
    assert reports[0].sentences[0].wording.label == "strong"
