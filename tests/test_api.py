"""The public surface: what `import claimcheck` offers, pinned."""

import json

import claimcheck


def test_public_names_are_pinned():
    assert sorted(claimcheck.__all__) == sorted(
        [
            "Checker",
            "ClaimcheckError",
            "ContentTypeError",
            "DataFileError",
            "Evidence",
            "FetchError",
            "Finding",
            "InputError",
            "PrivateAddressError",
            "ModelError",
            "Page",
            "Options",
            "Reference",
            "Report",
            "SentenceResult",
            "TooLargeError",
            "Wording",
            "__version__",
            "check_file",
            "check_html",
            "check_page",
            "check_source",
            "check_text",
            "check_url",
            "to_dict",
            "to_json",
        ]
    )
    for name in claimcheck.__all__:
        assert hasattr(claimcheck, name)


def test_errors_share_one_base():
    for cls in (
        claimcheck.InputError,
        claimcheck.FetchError,
        claimcheck.ContentTypeError,
        claimcheck.TooLargeError,
        claimcheck.DataFileError,
        claimcheck.ModelError,
    ):
        assert issubclass(cls, claimcheck.ClaimcheckError)


def test_json_report_has_the_documented_keys(example_report):
    data = json.loads(claimcheck.to_json(example_report))
    for key in ("schema_version", "source", "title", "language", "sentences", "references", "findings", "summary"):
        assert key in data
    sentence = data["sentences"][0]
    for key in ("text", "unit", "types", "wording", "strength", "evidence", "flagged", "findings", "cues"):
        assert key in sentence
    assert {s["unit"] for s in data["sentences"]} <= {"sentence", "heading", "list_item"}
    for s in data["sentences"]:
        assert s["wording"] in ("strong", "moderate", "hedged")
        assert (s["strength"] is None) == (not s["types"])
        flaggable = bool(s["types"] and s["strength"] == "strong" and s["evidence"] != "cited")
        assert 0.0 <= s["confidence"] <= 1.0
        assert s["flagged"] == (flaggable and s["confidence"] >= data["min_confidence"])


def test_html_and_text_entry_points_agree_on_a_plain_paragraph():
    text = "Our tincture cures anxiety in days and has no side effects. Call us to order."
    from_text = claimcheck.check_text(text)
    from_html = claimcheck.check_html(f"<html><body><article><p>{text}</p></article></body></html>")
    assert [s.text for s in from_text.sentences] == [s.text for s in from_html.sentences]
    assert [s.flagged for s in from_text.sentences] == [s.flagged for s in from_html.sentences]
    assert from_text.sentences[0].flagged


def test_checking_imports_no_training_library():
    import subprocess
    import sys

    code = (
        "import sys, claimcheck\n"
        "claimcheck.check_text('Our spray cures insomnia in days.')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skops', 'torch', 'transformers'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
