"""Evidence per ANNOTATION.md section 3: cited, described, none; markers linked to references."""

import pytest

import claimcheck
from claimcheck.evidence import classify_link


def evidence_of(html_body: str, url: str = "https://clinic.example/blog/post") -> list[tuple[str, str]]:
    report = claimcheck.check_html(f"<html><body><article>{html_body}</article></body></html>", url=url)
    return [(s.text, s.evidence.label) for s in report.sentences]


def test_bracket_marker_cites_and_links_to_the_reference_entry():
    report = claimcheck.check_html(
        "<html><body><article><p>Tai chi lowered blood pressure in a trial of 120 adults [2].</p>"
        "<h2>References</h2><ol><li>Reyes A. Tai chi and blood pressure. J Hypertens Res. 2020;4:11-19.</li>"
        "<li>Okoro B, Lin C. Tai chi for stage 1 hypertension. Heart Health. 2021;8:40-48. doi:10.5555/hh.2021.008</li></ol>"
        "</article></body></html>"
    )
    first = report.sentences[0]
    assert first.evidence.label == "cited"
    assert first.evidence.references == (2,)
    assert [r.number for r in report.references] == [1, 2]
    assert report.references[1].identifiers[0].kind == "doi"


def test_citation_in_the_next_sentence_of_the_same_paragraph_counts():
    rows = evidence_of("<p>Saunas are gentle on the heart. A cohort of 2,300 men showed fewer cardiac deaths (Laukkanen et al., 2015).</p>")
    assert [label for _, label in rows] == ["cited", "cited"]


def test_citation_in_another_paragraph_does_not_count():
    rows = evidence_of(
        "<p>Saunas are gentle on the heart and clear toxins from the body.</p>"
        "<p>A cohort of 2,300 men showed fewer cardiac deaths (Laukkanen et al., 2015).</p>"
    )
    assert rows[0][1] == "none"


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Studies show that tart cherry juice improves sleep.", "described"),
        ("A 2019 trial published in a leading journal found fewer headaches.", "described"),
        ("Our patients tell us they sleep better than ever.", "none"),
    ],
)
def test_described_and_none(sentence, expected):
    assert evidence_of(f"<p>{sentence}</p>")[0][1] == expected


def test_links_to_studies_cite_but_links_to_the_clinic_or_social_media_do_not():
    rows = evidence_of(
        '<p>Probiotics shortened diarrhoea in children, according to <a href="https://pubmed.ncbi.nlm.nih.gov/12345678/">this trial</a>.</p>'
        '<p>Read our <a href="https://clinic.example/services/probiotics">probiotic guide</a> for the best strains.</p>'
        '<p>Follow our <a href="https://www.instagram.com/clinic">Instagram</a> for daily gut tips that heal your belly.</p>'
    )
    assert [label for _, label in rows] == ["cited", "none", "none"]


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://doi.org/10.1000/182", "evidence"),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", "evidence"),
        ("https://clinicaltrials.gov/study/NCT01234567", "evidence"),
        ("https://www.cdc.gov/flu/prevent/", "evidence"),
        ("https://clinic.example/book", "own_site"),
        ("/services/iv-therapy", "own_site"),
        ("https://www.facebook.com/clinic", "not_evidence"),
        ("https://shop.example/products/gummies", "not_evidence"),
    ],
)
def test_link_classes(url, kind):
    assert classify_link(url, "https://clinic.example/blog/post").startswith(kind)
