"""Evaluation: gold units align to predicted sentences by their words, and scores count what they should."""

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import claimcheck
from claimcheck.cli import main
from claimcheck.corpus import GoldUnit
from claimcheck.evaluate import (
    GROUPS,
    PagePairs,
    align,
    average_precision,
    compare_pages,
    count_table,
    evaluate,
    flag_curve,
    normalise,
    render,
    score,
    summarise,
)
from claimcheck.records import Evidence, Report, SentenceResult, Wording

PACKAGED_MODEL = Path(claimcheck.__file__).parent / "models"


def predicted(index, text, types=(), wording="moderate", evidence="none", confidence=None, flagged=None):
    return SentenceResult(
        index, 0, text, "sentence", tuple(types), Wording(wording), Evidence(evidence), confidence=confidence, flagged=flagged
    )


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


def test_claim_or_not_and_the_strong_class_on_gold_claims():
    pairs = [
        (gold(0, "a", ["efficacy"], "strong"), predicted(0, "a", ["efficacy"], "strong")),  # claim tp, strong tp
        (gold(1, "b", ["safety"], "strong"), predicted(1, "b", [], "strong")),  # claim fn; strong tp: wording without a type
        (gold(2, "c", ["efficacy"], "moderate"), predicted(2, "c", ["efficacy"], "strong")),  # claim tp, strong fp
        (gold(3, "d"), predicted(3, "d", ["mechanism"], "strong")),  # claim fp; not a gold claim: no strong decision
        (gold(4, "e", ["efficacy"], "hedged"), None),  # claim fn; missed, so not strong
        (gold(5, "f"), predicted(5, "f")),  # claim tn
        (gold(6, "g", ["efficacy"], "strong", unit="boilerplate"), None),  # not main content
    ]
    result = score(pairs)
    # claim: tp 2, fp 1, fn 2 -> P 2/3, R 1/2, F1 4/7
    assert result["claim"] == {"precision": 0.667, "recall": 0.5, "f1": 0.571, "support": 4}
    # strong on gold claims: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 4/5
    assert result["strong"] == {"precision": 0.667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert result["strength"]["strong"]["f1"] == result["strong"]["f1"]
    # flag: tp unit 0, fp units 2 and 3, fn unit 1 -> P 1/3, R 1/2, F1 2/5
    assert result["flag"] == {"precision": 0.333, "recall": 0.5, "f1": 0.4, "support": 2}
    assert result["flagged"] == 3
    table = count_table(pairs)
    assert table[GROUPS.index("claim")].tolist() == [2, 1, 2]
    assert table[GROUPS.index("strong")].tolist() == [2, 1, 0]


def curve_pairs():
    """Five uncited units with confidences (the run's threshold between 0.4 and 0.72), one flaggable unit
    without, and one cited unit: three gold flags in all."""
    return [
        (gold(0, "a", ["efficacy"], "strong"), predicted(0, "a", ["efficacy"], "strong", confidence=0.9, flagged=True)),
        (gold(1, "b", ["efficacy"], "moderate"), predicted(1, "b", ["efficacy"], "strong", confidence=0.72, flagged=True)),
        (gold(2, "c", ["safety"], "strong"), predicted(2, "c", ["safety"], "strong", confidence=0.4, flagged=False)),
        (gold(3, "d"), predicted(3, "d", ["safety"], "strong", confidence=0.4, flagged=False)),
        # under the run's threshold labels stay as the heads gave them; at 0.95 the checker makes it a strong claim
        (gold(4, "e", ["efficacy"], "strong"), predicted(4, "e", ["efficacy"], "moderate", confidence=0.95)),
        (gold(5, "f"), predicted(5, "f", ["efficacy"], "strong")),  # flaggable, no confidence: not on the curve
        (gold(6, "g", ["efficacy"], "strong", "cited"), predicted(6, "g", ["efficacy"], "strong", "cited", confidence=0.99)),
    ]


def test_flag_curve_by_hand():
    curve = flag_curve(curve_pairs())
    assert (curve["gold_flags"], curve["flaggable"], curve["with_confidence"]) == (3, 5, 5)
    assert curve["operating_threshold"] == 0.72
    points = {pt["threshold"]: pt for pt in curve["points"]}
    assert len(points) == 21  # 0, 0.05 .. 0.95 and the operating point
    strip = ("precision", "recall", "f1", "flagged")
    assert [points[0.0][k] for k in strip] == [0.6, 1.0, 0.75, 5]  # tp 3 of 5 flagged, of 3 gold
    assert [points[0.45][k] for k in strip] == [0.667, 0.667, 0.667, 3]
    assert [points[0.72][k] for k in strip] == [0.667, 0.667, 0.667, 3]
    assert [points[0.75][k] for k in strip] == [1.0, 0.667, 0.8, 2]
    assert [points[0.95][k] for k in strip] == [1.0, 0.333, 0.5, 1]
    assert [pt["threshold"] for pt in curve["points"] if pt["operating"]] == [0.72]
    # ranked 0.95 (hit), 0.9 (hit), 0.72 (miss), 0.4 and 0.4 (one hit): (1 + 1 + 3/5) / 3
    assert curve["average_precision"] == 0.867
    assert average_precision([(0.9, True), (0.8, True)], 4) == 0.5
    assert average_precision([(0.5, False)], 0) is None


def test_no_confidences_say_so_in_one_line():
    pairs = [(gold(0, "a", ["efficacy"], "strong"), predicted(0, "a", ["efficacy"], "strong"))]
    curve = flag_curve(pairs)
    assert curve["points"] == [] and curve["average_precision"] is None
    text = render(summarise([PagePairs("p.html", pairs)]))
    assert [line for line in text.splitlines() if line.startswith("flag curve")] == [
        "flag curve: no confidences (1 flaggable units, none with a confidence)"
    ]


def pages(seed=1, n=12, perfect=False):
    """Pages of random gold labels with random predictions, or with the gold labels as predictions."""
    rng, noise = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    out = []
    for k in range(n):
        pairs = []
        for i in range(int(rng.integers(4, 10))):
            types = ["efficacy"] if rng.random() < 0.6 else []
            strength = str(rng.choice(["strong", "moderate", "hedged"])) if types else None
            g = gold(i, f"unit {i}", types, strength, str(rng.choice(["cited", "described", "none"])))
            if perfect:
                p = predicted(i, g.text, g.types, g.strength or "moderate", g.evidence)
            else:
                guess = ["efficacy"] if noise.random() < 0.6 else []
                p = predicted(i, g.text, guess, str(noise.choice(["strong", "moderate"])), str(noise.choice(["cited", "none"])))
            pairs.append((g, p))
        out.append(PagePairs(f"{k}.html", pairs))
    return out


def test_bootstrap_intervals_hold_the_pooled_figure_and_repeat_with_the_seed():
    data = pages()
    first, again = summarise(data, resamples=300, seed=7), summarise(data, resamples=300, seed=7)
    assert first["intervals"] == again["intervals"]
    overall = first["overall"]
    pooled = {
        "flag_precision": overall["flag"]["precision"],
        "flag_recall": overall["flag"]["recall"],
        "flag_f1": overall["flag"]["f1"],
        "claim_f1": overall["claim"]["f1"],
        "strong_f1": overall["strong"]["f1"],
        "types_macro_f1": overall["types"]["macro_f1"],
        "strength_macro_f1": overall["strength"]["macro_f1"],
        "evidence_macro_f1": overall["evidence"]["macro_f1"],
    }
    for name, value in pooled.items():
        ci = first["intervals"][name]
        assert ci["value"] == value
        assert ci["low"] <= value <= ci["high"]
    assert first["intervals"]["claim_f1"]["low"] < first["intervals"]["claim_f1"]["high"]
    # one page: every resample is that page, so the interval is a point
    single = summarise(data[:1], resamples=50)["intervals"]["flag_f1"]
    assert single["low"] == single["value"] == single["high"]


def test_paired_bootstrap_of_identical_and_of_better_candidates():
    data = pages()
    result = compare_pages([("a", data), ("a again", data), ("oracle", pages(perfect=True))], resamples=200)
    same, oracle = result["comparison"]
    for key in ("flag_f1", "flag_precision"):
        assert same[key] == {"difference": 0.0, "low": 0.0, "high": 0.0, "better": 0.0, "worse": 0.0}
        assert oracle[key]["better"] == 1.0 and oracle[key]["low"] > 0
    assert oracle["baseline"] == "a" and oracle["model"] == "oracle"
    assert result["models"][2]["intervals"]["flag_f1"]["value"] == 1.0
    assert result["models"][0]["intervals"] == result["models"][1]["intervals"]


def test_text_fits_120_columns_and_shows_intervals():
    data = [PagePairs(f"{k}.html", curve_pairs()) for k in range(3)]
    single = render(summarise(data, resamples=100))
    # every page alike: flagged units 0, 1 and 5 (no confidence, flaggable), gold flags 0, 2 and 4 (6 is cited)
    assert "flag      P 0.33 [0.33, 0.33]  R 0.33 [0.33, 0.33]" in single
    assert "average precision 0.867" in single and "operating point: threshold 0.720" in single
    both = render(compare_pages([("a", data), ("b", data)], resamples=100))
    assert "flag F1 +0.00 [+0.00, +0.00] better 0% worse 0%" in both
    for text in (single, both):
        assert max(len(line) for line in text.splitlines()) <= 120


def test_evaluate_command_compares_models_on_the_same_pages(tmp_path):
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
    model = str(PACKAGED_MODEL)
    out = CliRunner().invoke(
        main, ["evaluate", str(gold_file), "--model", model, "--model", model, "--min-confidence", "0.2", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [m["model"] for m in data["models"]] == [model, model]
    assert data["comparison"][0]["flag_f1"]["difference"] == 0.0
    out = CliRunner().invoke(main, ["evaluate", str(gold_file), "--min-confidence", "2"])
    assert out.exit_code == 2 and "--min-confidence" in out.output
