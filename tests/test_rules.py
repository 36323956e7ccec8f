"""Findings: each rule fires on the wording it is about, names its trigger words, and stays quiet otherwise."""

import claimcheck
from claimcheck.records import Evidence, SentenceResult, Unit
from claimcheck.rules import sentence_findings
from claimcheck.wording import rate


def page(body: str, head: str = "<title>T</title>") -> claimcheck.Report:
    return claimcheck.check_html(
        f"<html lang='en'><head>{head}</head><body><article>{body}</article></body></html>", url="https://clinic.example/blog/post"
    )


def rules_of(report, fragment):
    sentence = next(s for s in report.sentences if fragment in s.text)
    return {f.rule: f for f in sentence.findings}


def test_establishment_phrase_without_citation():
    report = page("<p>Clinically proven to melt belly fat, our green coffee capsules work for everyone.</p>")
    found = rules_of(report, "Clinically proven")
    assert "CC102" in found and "CC101" in found
    assert any(span.text.lower() == "clinically proven" for span in found["CC102"].spans)


def test_a_cited_claim_raises_no_uncited_findings():
    report = page(
        "<p>In a randomised trial of 210 adults, the nasal spray shortened colds by a day [1].</p>"
        "<h2>References</h2><ol><li>Ito K, Baptiste R. Nasal spray for colds. Resp Med. 2020;3:1-9. doi:10.5555/rm.2020.1</li></ol>"
    )
    found = rules_of(report, "randomised trial")
    assert "CC101" not in found and "CC102" not in found


def findings_for(text: str, types: tuple[str, ...], evidence: str = "none") -> dict:
    """The rules on one unit whose types are given (the model's part is measured in evaluation)."""
    unit = Unit(0, 0, text, "sentence")
    result = SentenceResult(0, 0, text, "sentence", types, rate(unit), Evidence(evidence))
    return {f.rule: f for f in sentence_findings(result)}


def test_cure_wording_needs_a_condition_after_it():
    assert "CC104" in findings_for("Our herbal tincture cures eczema in children.", ("efficacy",))
    assert "CC104" not in findings_for("Nothing cures it.", ("efficacy",))


def test_testimonial_offered_as_proof():
    found = findings_for("\u201cMy son\u2019s skin cleared completely and the itching was gone!\u201d \u2013 Priya", ("efficacy",))
    assert {"CC105", "CC101"} <= set(found)


def test_rules_need_a_claim():
    assert findings_for("Our herbal tincture cures eczema in children.", ()) == {}


def test_absolute_safety_wording():
    found = rules_of(page("<p>Ozone sauna sessions are 100% safe and have no side effects.</p>"), "100% safe")
    assert "CC103" in found
    assert {s.text.lower() for s in found["CC103"].spans} >= {"100% safe", "no side effects"}


def test_page_findings_for_references_author_date_and_sales():
    report = page(
        "<p>Magnet insoles are a breakthrough that eliminates foot pain for good.</p>"
        "<p>Order now and get 20% off your first pair!</p>"
        "<h2>References</h2><ol><li>Vance, L. \u201cMagnets and feet.\u201d Foot Science Today, vol. 2, 2019.</li>"
        "<li>Ortiz, P. \u201cInsoles.\u201d Podiatry Voice, vol. 7, 2021.</li></ol>"
    )
    rules = {f.rule for f in report.findings}
    assert {"CC201", "CC202", "CC203", "CC204", "CC205"} <= rules
    sales = next(f for f in report.findings if f.rule == "CC205")
    assert any("order now" in s.text.lower() for s in sales.spans)


def test_a_dated_authored_page_with_cited_references_has_no_metadata_findings():
    report = page(
        "<p>Compression socks reduced ankle swelling on long flights (Hale et al., 2018).</p>"
        "<h2>References</h2><ol><li>Hale, J., et al. (2018). Socks on planes. Travel Med, 4(2), 10-15. https://doi.org/10.5555/tm.2018.4</li></ol>",
        head="<title>T</title><meta name='author' content='Rosa Kim'><meta property='article:published_time' content='2024-05-02'>",
    )
    rules = {f.rule for f in report.findings}
    assert not rules & {"CC201", "CC202", "CC203", "CC204"}
    assert report.sentences[0].evidence.references == (1,)
