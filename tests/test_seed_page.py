"""The page that started the project, wrapped in plain HTML: its worst claims are flagged and its
reference list is found wanting. The page is read from ../shared at run time."""

import claimcheck


def sentence_containing(report, fragment):
    matches = [s for s in report.sentences if fragment in s.text]
    assert matches, f"no unit contains {fragment!r}"
    return matches[0]


def test_seed_claims_are_flagged(seed_html):
    report = claimcheck.check_html(seed_html)
    conclusion = sentence_containing(report, "promising, safe, and effective treatment")
    heading = sentence_containing(report, "Game-Changer")
    side_effects = sentence_containing(report, "minimal side effects")
    assert heading.unit == "heading"
    for s in (conclusion, heading, side_effects):
        assert s.flagged, s
        assert any(f.rule == "CC101" and f.severity == "high" for f in s.findings)
    assert "safety" in side_effects.types
    assert {"efficacy", "safety"} <= set(conclusion.types)


def test_seed_reference_list_has_no_identifiers(seed_html):
    report = claimcheck.check_html(seed_html)
    assert len(report.references) == 7
    assert all(not r.identifiers for r in report.references)
    finding = next(f for f in report.findings if f.rule == "CC201")
    assert "7 references" in finding.message
    assert not any(r.text in s.text for r in report.references for s in report.sentences)


def test_seed_hedged_mechanism_sentence_is_not_flagged(seed_html):
    report = claimcheck.check_html(seed_html)
    assert not sentence_containing(report, "This may reduce the abnormal immune response").flagged
