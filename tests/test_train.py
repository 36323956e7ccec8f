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
    assert train_main(["--corpus", str(corpus), "--no-real", "--out", str(first)]) == 0
    assert train_main(["--corpus", str(corpus), "--no-real", "--out", str(second)]) == 0
    meta1 = json.loads((first / "meta.json").read_text())
    meta2 = json.loads((second / "meta.json").read_text())
    for key in ("thresholds", "confidence", "operating_point", "data", "label_counts"):
        assert meta1[key] == meta2[key], key
    assert meta1["data"]["corpus"]["pages"] == 12
    assert meta1["data"]["real"] is None
    assert set(meta1["versions"]) >= {"scikit-learn", "python"}
    assert (first / "units.npz").read_bytes() == (second / "units.npz").read_bytes()

    text = "Our magnesium spray cures insomnia in days and has no side effects."
    reports = [claimcheck.check_text(text, claimcheck.Options(model_path=m)) for m in (first, second)]
    assert reports[0].sentences[0].types == reports[1].sentences[0].types
    assert reports[0].sentences[0].confidence == reports[1].sentences[0].confidence
    assert reports[0].sentences[0].wording.label == "strong"


def test_training_reads_real_pages_when_given_and_says_so(tmp_path, capsys):
    corpus = small_corpus(tmp_path, n=6)
    real = tmp_path / "real"
    (real / "gold").mkdir(parents=True)
    # the real pages' layout: gold/*.jsonl with markdown links and heading marks, labelled to the guide
    lines = []
    for page in range(5):
        doc = f"r{page}.html"
        rows = [
            ("# Why our [spray](https://shop.example/spray) works", "heading", ["efficacy"], "strong", "none"),
            ("Our magnesium spray cures insomnia in days.", "sentence", ["efficacy"], "strong", "none"),
            ("Magnesium may help some people sleep.", "sentence", ["efficacy"], "hedged", "none"),
            ("Shipping is free on orders over $40.", "sentence", [], None, "none"),
            ("Sleep matters for everyone.", "sentence", [], None, "none"),
        ]
        for i, (text, unit, types, strength, evidence) in enumerate(rows):
            lines.append(
                json.dumps({"doc": doc, "i": i, "text": text, "unit": unit, "types": types, "strength": strength, "evidence": evidence})
            )
    (real / "gold" / "r.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "m"
    assert train_main(["--corpus", str(corpus), "--real", str(real), "--out", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["data"]["real"]["pages"] == 5
    assert meta["data"]["real"]["units"] == 25
    assert len(meta["data"]["real"]["sha256"]) == 64
    assert "5 real pages" in capsys.readouterr().err


def test_training_without_real_pages_says_it_trains_on_the_corpus_alone(tmp_path, capsys):
    corpus = small_corpus(tmp_path, n=6)
    assert train_main(["--corpus", str(corpus), "--real", str(tmp_path / "absent"), "--out", str(tmp_path / "m")]) == 0
    assert "corpus alone" in capsys.readouterr().err
