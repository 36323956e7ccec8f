"""Which sources back which sentence, and whether they match the claim: through the real checker."""

from __future__ import annotations

import json

import pytest

import claimcheck
from claimcheck.errors import DataFileError
from claimcheck.matching import load_vocabulary


def page(title: str, paragraphs: list[str], references: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    refs = "".join(f"<p>{i}. {r}</p>" for i, r in enumerate(references, 1))
    return f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}<h2>References</h2>{refs}</article></body></html>"


def sentence(report, start: str):
    return next(s for s in report.sentences if s.text.startswith(start))


FIBRO = "Smith A, Jones B. Low-dose naltrexone reduces fibromyalgia pain: a randomized pilot study. Pain Med. 2009;10:663-72."
ENDO = "Lee C, Park D. Low-dose naltrexone for endometriosis-associated pelvic pain: a randomised controlled trial. Fertil Steril. 2020;113:101-9."


def test_a_source_about_another_condition_is_a_flagged_mismatch():
    report = claimcheck.check_html(
        page("Low-dose naltrexone for endometriosis", ["LDN reduces endometriosis pain in most women [1]."], [FIBRO])
    )
    s = sentence(report, "LDN reduces")
    assert s.evidence.label == "cited" and s.sources.references == (1,)
    kinds = {m.kind: m for m in s.mismatches}
    assert set(kinds) == {"other_condition"}
    assert kinds["other_condition"].claim == "endometriosis" and "fibromyalgia" in kinds["other_condition"].source
    assert s.flagged
    finding = next(f for f in s.findings if f.rule == "CC301")
    assert "fibromyalgia" in finding.message and "endometriosis" in finding.message
    assert [c.text for c in finding.spans] == ["endometriosis"]
    assert not any(f.rule == "CC101" for f in s.findings)  # it is cited: the uncited-claim rule does not apply


def test_a_matching_source_leaves_a_cited_claim_alone():
    report = claimcheck.check_html(
        page("Low-dose naltrexone for endometriosis", ["LDN reduces endometriosis pain in most women [1]."], [ENDO])
    )
    s = sentence(report, "LDN reduces")
    assert s.mismatches == () and not s.flagged


def test_pronouns_take_the_intervention_and_condition_from_the_paragraph():
    report = claimcheck.check_html(
        page(
            "A new approach",
            ["Low-dose naltrexone is an old drug given in a tiny dose for endometriosis. It eases the pain within weeks [1]."],
            [FIBRO],
        )
    )
    s = sentence(report, "It eases")
    assert [m.kind for m in s.mismatches] == ["other_condition"]


def test_animal_work_behind_a_claim_about_people_but_not_behind_a_claim_about_mice():
    mouse = "Wu K. Curcumin attenuates joint inflammation in a rat model of osteoarthritis. J Ethnopharmacol. 2018;2:1-9."
    report = claimcheck.check_html(
        page(
            "Curcumin and osteoarthritis",
            ["Curcumin reduces knee pain in adults with osteoarthritis [1].", "In rats, curcumin reduced osteoarthritis damage [1]."],
            [mouse],
        )
    )
    people, rats = sentence(report, "Curcumin reduces"), sentence(report, "In rats")
    assert [m.kind for m in people.mismatches] == ["animal_for_human"] and "rat" in people.mismatches[0].source
    assert any(f.rule == "CC303" for f in people.findings) and people.flagged
    assert not [m for m in rats.mismatches if m.kind == "animal_for_human"]


def test_a_case_report_cannot_carry_a_strong_claim_but_can_carry_a_hedged_one():
    case = "Ng P. Resolution of plaque psoriasis with turmeric: a case report. Dermatol Case Rep. 2019;4:12-14."
    report = claimcheck.check_html(
        page(
            "Turmeric for psoriasis",
            ["Turmeric cures psoriasis completely and permanently [1].", "Turmeric may ease psoriasis in some people [1]."],
            [case],
        )
    )
    strong, hedged = sentence(report, "Turmeric cures"), sentence(report, "Turmeric may")
    assert "weak_for_strong" in [m.kind for m in strong.mismatches] and any(f.rule == "CC304" for f in strong.findings)
    assert "weak_for_strong" not in [m.kind for m in hedged.mismatches]


def test_a_source_that_names_no_condition_cannot_contradict_the_claim():
    pharmacology = "Hall R. The pharmacology of naltrexone at low doses. Clin Pharmacokinet. 2015;54:1-10."
    report = claimcheck.check_html(
        page("Low-dose naltrexone for endometriosis", ["LDN reduces endometriosis pain in most women [1]."], [pharmacology])
    )
    assert sentence(report, "LDN reduces").mismatches == ()


def test_sources_are_listed_per_sentence_and_dangling_markers_found():
    html = page(
        "Low-dose naltrexone for endometriosis",
        [
            "LDN reduced pain scores in a trial of 60 women [2]. "
            "A review is at <a href='https://pubmed.ncbi.nlm.nih.gov/12345678/'>PubMed</a>.",
            "Endometriosis pain fell by half in the study group [7].",
        ],
        [FIBRO, ENDO],
    )
    report = claimcheck.check_html(html)
    data = json.loads(claimcheck.to_json(report))
    first = next(s for s in data["sentences"] if s["text"].startswith("LDN reduced"))
    assert first["sources"]["references"] == [2]
    link = next(s for s in data["sentences"] if s["text"].startswith("A review"))
    assert link["sources"]["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/12345678/"]
    dangling = sentence(report, "Endometriosis pain fell")
    assert dangling.sources.unresolved == ("[7]",)
    assert any(f.rule == "CC305" and "[7]" in f.message for f in dangling.findings)
    refs = {r["number"]: r for r in data["references"]}
    assert "fibromyalgia" in refs[1]["conditions"] and "low-dose naltrexone" in refs[1]["interventions"]
    assert refs[2]["level"] == "rct"


def test_the_seed_page_references_and_its_subject(seed_html):
    report = claimcheck.check_html(seed_html)
    data = json.loads(claimcheck.to_json(report))
    assert len(data["references"]) == 7
    assert all("low-dose naltrexone" in r["interventions"] for r in data["references"])
    assert not any(s["sources"]["references"] for s in data["sentences"])  # its markers were lost in the scrape
    rules = {f["rule"]: f for f in data["findings"]}
    assert "CC202" in rules  # entries cited by nothing
    off = rules["CC206"]["message"].lower()
    assert "endometriosis" in off and "fibromyalgia" in off and "autoimmune" in off and off.startswith("3 reference")
    about_endometriosis = [r["number"] for r in data["references"] if "endometriosis" in r["conditions"]]
    assert about_endometriosis == [4, 7]
    assert next(r for r in data["references"] if r["number"] == 7)["level"] == "case_report"


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"name": "x", "aliases": [], "broader": ["y"]}, "'y', which is not defined"),
        ({"name": "X", "aliases": [], "broader": []}, "lower-case"),
    ],
)
def test_a_broken_vocabulary_is_refused_with_the_reason(tmp_path, terms, message):
    path = tmp_path / "terms.json"
    path.write_text(json.dumps({"version": 1, "interventions": [terms], "conditions": [terms]}), encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        load_vocabulary(path)


def test_a_loop_of_broader_terms_is_refused(tmp_path):
    loop = [{"name": "a", "aliases": [], "broader": ["b"]}, {"name": "b", "aliases": [], "broader": ["a"]}]
    path = tmp_path / "terms.json"
    path.write_text(json.dumps({"version": 1, "interventions": loop, "conditions": loop}), encoding="utf-8")
    with pytest.raises(DataFileError, match="loop back"):
        load_vocabulary(path)


def test_the_seed_page_with_references_not_found(seed_html, httpserver, tmp_path):
    httpserver.expect_request("/crossref/works").respond_with_json(
        {"status": "ok", "message-type": "work-list", "message": {"items": [], "total-results": 0}}
    )
    options = claimcheck.Options(
        verify_references=True,
        allow_private=True,
        reference_cache=tmp_path / "refs.sqlite",
        reference_services=(httpserver.url_for("/crossref"), httpserver.url_for("/eutils")),
    )
    with claimcheck.Checker(options) as checker:
        report = checker.check_html(seed_html)
    assert [r.check.status for r in report.references] == ["not_found"] * 7
    rules = {f.rule: f for f in report.findings}
    assert "None of the page's 7 references could be found" in rules["CC209"].message
    assert "CC207" not in rules
    assert len(httpserver.log) == 7
    offline = claimcheck.Options(offline=True, reference_cache=tmp_path / "refs.sqlite")
    with claimcheck.Checker(offline) as checker:
        again = checker.check_html(seed_html)
    assert "CC209" in {f.rule for f in again.findings} and len(httpserver.log) == 7  # answered from the cache


def test_references_are_not_looked_up_unless_asked(tmp_path):
    html = page("Low-dose naltrexone for endometriosis", ["LDN reduces endometriosis pain in most women [1]."], [ENDO])
    report = claimcheck.check_html(html)
    assert all(r.check is None for r in report.references)
    offline = claimcheck.Checker(claimcheck.Options(offline=True, reference_cache=tmp_path / "none.sqlite")).check_html(html)
    assert offline.references[0].check.status == "undecided"
    assert any("could not be checked" in n and "offline: not in the cache" in n for n in offline.notices)
