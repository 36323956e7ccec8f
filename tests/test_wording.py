"""Wording strength per ANNOTATION.md section 2, sentence by sentence."""

import pytest

from claimcheck.records import Unit
from claimcheck.wording import rate


def wording(text: str) -> str:
    return rate(Unit(0, 0, text, "sentence")).label


@pytest.mark.parametrize(
    "text, expected",
    [
        # boosters, establishment, hype, absolute safety, cure words, verdicts, promises
        ("Our serum is clinically proven to fade scars.", "strong"),
        ("Research shows that cold plunges speed up recovery.", "strong"),
        ("This tea is a breakthrough for bloating.", "strong"),
        ("The cleanse is completely safe for children.", "strong"),
        ("The drops have no side effects at all.", "strong"),
        ("Cupping has minimal side effects, making it a gentler choice.", "strong"),
        ("The protocol reverses prediabetes.", "strong"),
        ("Magnet therapy is highly effective for back pain.", "strong"),
        ("Most clients are pain-free in days.", "strong"),
        ("You can lose 20 pounds in a month with our shots.", "strong"),
        ('One client wrote: "My migraines were gone after two sessions!"', "strong"),
        # plain causal claims are moderate
        ("Zinc lozenges shorten colds.", "moderate"),
        ("The device helps relieve muscle soreness.", "moderate"),
        ("Acupuncture works by stimulating nerves under the skin.", "moderate"),
        ("The vaccine did not reduce hospital stays in older adults.", "moderate"),
        # hedges that govern the claim
        ("Ginger may ease nausea during pregnancy.", "hedged"),
        ("The supplement is thought to lower cortisol.", "hedged"),
        ("Early research suggests a benefit for sleep.", "hedged"),
        ("The effect was seen only in mice.", "hedged"),
        # denials hedge
        ("Chelation is not a cure for autism.", "hedged"),
        ("Detox pads are no miracle.", "hedged"),
        # hedge scope: a hedge inside a relative clause does not govern the main claim
        ("The balm, which may calm inflammation, is safe and effective.", "strong"),
        ("Although the research is limited, the infusion is completely safe.", "strong"),
        # pseudo-hedges are praise, not hedges
        ("Ozone is a promising and powerful therapy for infections.", "strong"),
    ],
)
def test_wording_table(text, expected):
    assert wording(text) == expected


def test_cues_point_at_the_deciding_words():
    unit = Unit(0, 0, "The oil is completely safe and works wonders for joints.", "sentence")
    result = rate(unit)
    assert result.label == "strong"
    spans = {unit.text[c.start : c.end].lower() for c in result.cues}
    assert "completely safe" in spans
    assert any("works wonders" in s for s in spans)
