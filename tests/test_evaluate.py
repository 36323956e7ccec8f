"""Evaluation: gold units align to predicted sentences by their words, and scores count what they should."""

import json

from claimcheck.corpus import GoldUnit
from claimcheck.evaluate import align, evaluate, normalise, score
from claimcheck.records import Evidence, Report, SentenceResult, Wording


def predicted(index, text, types=(), wording="moderate", evidence="none"):
    return SentenceResult(index, 0, text, "sentence", tuple(types), Wording(wording), Evidence(evidence))


def gold(i, text, types=(), strength=None, evidence="none", unit="sentence"):
    return GoldUnit("page.html", i, text, unit, tuple(types), strength, evidence)


def test_markdown_links_and_list_dashes_are_read_as_visible_text():
    assert normalise("- See [the trial](https://doi.org/10.1/x) for **details**.") == "See the trial for details."


def test_alignment_by_words_tolerates_punctuation_and_misses_absent_units():
    report = Report("page.html", (predicted(0, "Cupping cures back pain in days!"), predicted(1, "Book a session today.")))
    pairs = align([gold(0, "Cupping cures back pain in days."), gold(1, "A sentence the cleaner dropped entirely.")], report)
    assert pairs[0][1].index == 0
    assert pairs[1][1] is None


def test_scores_count_flags_and_missed_units():
    report = Report(
        "page.html",
        (
            predicted(0, "The tonic is completely safe.", ["safety"], "strong", "none"),
            predicted(1, "Saunas help sore muscles [2].", ["efficacy"], "moderate", "cited"),
            predicted(2, "Our clinic opened in 2015.", [], "moderate", "none"),
        ),
    )
    units = [
        gold(0, "The tonic is completely safe.", ["safety"], "strong"),  # flagged, found
        gold(1, "Saunas help sore muscles [2].", ["efficacy"], "moderate", "cited"),
        gold(2, "Our clinic opened in 2015.", [], None),
        gold(3, "Nothing beats our miracle drops for colds.", ["efficacy"], "strong"),  # flagged, missed
        gold(4, "Home | Shop | Blog", [], None, unit="boilerplate"),  # not main content
    ]
    result = score(align(units, report))
    assert result["units"] == 4
    assert result["extraction_recall"] == 0.75
    assert result["flag"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}
    assert result["types"]["safety"]["f1"] == 1.0
    assert result["types"]["efficacy"]["recall"] == 0.5
    assert result["evidence"]["confusion"]["cited"]["cited"] == 1


def test_evaluate_runs_the_pipeline_on_the_named_pages(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "pages" / "p.txt").write_text("Our drops cure migraines overnight and have no side effects.\n\nWe are open on Sundays.\n")
    lines = [
        {
            "doc": "p.txt",
            "i": 0,
            "text": "Our drops cure migraines overnight and have no side effects.",
            "unit": "sentence",
            "types": ["efficacy", "safety"],
            "strength": "strong",
            "evidence": "none",
        },
        {"doc": "p.txt", "i": 1, "text": "We are open on Sundays.", "unit": "sentence", "types": [], "strength": None, "evidence": "none"},
    ]
    gold_file = tmp_path / "gold" / "p.jsonl"
    gold_file.write_text("\n".join(json.dumps(x) for x in lines))
    result = evaluate([gold_file])
    assert result["pages"] == 1
    assert result["overall"]["extraction_recall"] == 1.0
    assert set(result["per_page"]) == {"p.txt"}
