"""Evidence per ANNOTATION.md section 3: cited, described, none; markers linked to references."""

import json
from importlib import resources

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


@pytest.mark.parametrize(
    "sentence",
    [
        # establishment in any tense or voice
        "Cold showers have been shown to lift alertness in office workers.",
        "Beetroot juice has been found to lower systolic pressure.",
        "Rhodiola is clinically proven to ease fatigue.",
        "Our science-backed formula supports restful sleep.",
        "This research-based plan steadies blood sugar.",
        "Evidence has piled up around the benefits of walking after meals.",
        "Several trials have demonstrated that zinc shortens colds.",
        "Data suggest that fasting lowers insulin levels.",
        "A growing body of evidence links loneliness to heart disease.",
        # researchers, experts and named outside bodies
        "Researchers presented findings on how fibre feeds gut bacteria.",
        "Scientists at a Danish university tracked 4,000 cyclists for ten years.",
        "Experts emphasized that sunscreen prevents most skin cancers.",
        "Per the experts, flossing once a day keeps gums healthy.",
        "Pediatricians endorse tummy time for stronger neck muscles.",
        "A leading sleep expert warns that blue light delays melatonin.",
        "Dr. Amir Khan, a cardiologist at a city hospital, says salt raises blood pressure.",
        "The World Health Organization recommends breastfeeding for six months.",
        "Untreated measles can be deadly, says the CDC.",
        "Health officials said the vaccine cut hospital admissions by half.",
        "The medical community agrees that smoking causes lung cancer.",
        # studies named in words
        "A review of 27 studies found yoga eased back pain.",
        "In clinical trials, the patch reduced migraine days.",
        "The 2021 survey report revealed that most runners stretch too little.",
        "A trial published in The Lancet tested the drug in 800 adults.",
        "Results appeared in the Journal of Sleep Research last spring.",
        "Data from the national nutrition survey show most adults lack fibre.",
        "Modelling showed that masks slowed the spread in schools.",
        "Source: CDC, National Center for Health Statistics",
        "Bruising is the most commonly reported side effect of the injection.",
        "Half of the parents surveyed said melatonin helped their children sleep.",
    ],
)
def test_described_families(sentence):
    assert evidence_of(f"<p>{sentence}</p>")[0][1] == "described"


@pytest.mark.parametrize(
    "sentence",
    [
        "According to the brand, the serum should be applied twice a day.",
        "Our founder Dr. Maya Ortiz says the drip restores energy in hours.",
        "Dr. Leo Park, the chiropractor at our clinic, says adjustments cure headaches.",
        "People who said they slept badly were offered a free consultation.",
        "Our process is rooted in careful, data-driven testing of every mattress.",
        "Book a trial class at our studio this week.",
        "In (March 2021) the clinic moved to a larger building.",
    ],
)
def test_not_evidence(sentence):
    assert evidence_of(f"<p>{sentence}</p>")[0][1] == "none"


def test_a_study_named_by_the_site_staff_still_counts():
    assert evidence_of("<p>Our doctors say a 2020 study found fewer colds in people taking zinc.</p>")[0][1] == "described"


@pytest.mark.parametrize(
    "citation",
    ["(Okafor, Lindqvist, Brandt, & Moreau, 2018)", "(Haddad and Yilmaz, 2022)", "(Ferreira et al., 2016; Novak, 2019)"],
)
def test_author_year_citations_with_several_authors(citation):
    assert evidence_of(f"<p>Burnout rises with unpaid care work {citation}.</p>")[0][1] == "cited"


@pytest.mark.parametrize(
    "url, kind",
    [
        # hospitals, health organisations, journals, universities: sources
        ("https://www.mayoclinic.org/diseases-conditions/insomnia/symptoms-causes/syc-20355167", "evidence:hospital"),
        (
            "https://www.heart.org/en/healthy-living/fitness/fitness-basics/aha-recs-for-physical-activity-in-adults",
            "evidence:organisation",
        ),
        ("https://jamanetwork.com/journals/jama/fullarticle/2780000", "evidence:journal"),
        ("https://www.sph.example.edu/nutrition/whole-grains/", "evidence:agency"),
        ("https://go.redirect.example/?id=7&url=https%3A%2F%2Fdoi.org%2F10.1000%2Fxyz123", "evidence:literature"),
        ("https://web.archive.org/web/20200101000000/https://www.who.int/news-room/fact-sheets/detail/obesity", "evidence:agency"),
        # news sites, magazines and health publishers: not a pointer to a source
        ("https://www.nytimes.com/2023/05/02/well/eat/fiber-gut-health.html", "not_evidence:news"),
        ("https://www.bbc.co.uk/news/health-12345678", "not_evidence:news"),
        ("https://www.womenshealthmag.com/fitness/a1234/plank-benefits/", "not_evidence:news"),
        ("https://www.healthline.com/nutrition/oats", "not_evidence:news"),
        # shops, home pages and people's profiles
        ("https://amzn.to/3abcXYZ", "not_evidence:shop"),
        ("https://www.cdc.gov/", "not_evidence:home_page"),
        ("https://www.aap.org/en-us/Pages/Default.aspx", "not_evidence:home_page"),
        ("https://directory.med.example.edu/profile/jdoe", "not_evidence:profile"),
        ("https://www.state.example.edu/people/jane-doe", "not_evidence:profile"),
    ],
)
def test_more_link_classes(url, kind):
    assert classify_link(url, "https://clinic.example/blog/post") == kind


@pytest.mark.parametrize(
    "url, page",
    [
        ("https://www.cdc.gov/nutrition/fiber.html", "https://www.cdc.gov/nutrition/tips.html"),
        ("https://nutrition.bigcollege.edu/healthy-drinks/", "https://health.bigcollege.edu/blog/post"),
        ("https://pdf.clinic.co.uk/?url=https%3A%2F%2Fclinic.co.uk%2Fposts%2Fa", "https://www.clinic.co.uk/posts/b"),
    ],
)
def test_links_to_the_pages_own_site_are_not_sources_even_on_agency_sites(url, page):
    assert classify_link(url, page) == "own_site"


def test_different_sites_under_one_country_suffix_are_not_the_same_site():
    assert classify_link("https://www.nhs.uk/conditions/asthma/", "https://www.clinic.co.uk/blog") == "evidence:agency"
    assert classify_link("https://www.otherclinic.co.uk/blog", "https://www.clinic.co.uk/blog") == "other"


def test_the_canonical_address_tells_which_links_are_the_sites_own():
    html = (
        '<html><head><link rel="canonical" href="https://www.health.example.gov/eat-well/fibre.html"></head><body><article>'
        "<p>Fibre keeps bowel movements regular and lowers cholesterol. "
        'See our <a href="https://www.health.example.gov/eat-well/grains.html">page on whole grains</a>.</p>'
        "</article></body></html>"
    )
    report = claimcheck.check_html(html)
    assert [s.evidence.label for s in report.sentences] == ["none", "none"]


@pytest.mark.parametrize(
    "body, expected",
    [
        # a claim beside a cited sentence of the same paragraph is cited
        (
            '<p>Walking after dinner lowers blood sugar spikes. <a href="https://pubmed.ncbi.nlm.nih.gov/23456789/">A crossover trial</a> '
            "measured glucose in 10 adults.</p>",
            ["cited", "cited"],
        ),
        # a question or a definition beside it is not
        (
            '<p>What is a glucose spike? <a href="https://pubmed.ncbi.nlm.nih.gov/23456789/">A crossover trial</a> measured glucose in 10 adults.</p>',
            ["none", "cited"],
        ),
        (
            '<p>Oats are a cereal grain. <a href="https://pubmed.ncbi.nlm.nih.gov/23456789/">A crossover trial</a> measured glucose in 10 adults.</p>',
            ["none", "cited"],
        ),
        # a news link is no pointer, so it cites neither sentence
        (
            '<p>Walking after dinner lowers blood sugar spikes. <a href="https://www.usatoday.com/story/news/health/2022/walking/">One newspaper</a> '
            "covered it.</p>",
            ["none", "none"],
        ),
    ],
)
def test_neighbouring_sentence_rule(body, expected):
    assert [label for _, label in evidence_of(body)] == expected


def test_the_neighbouring_rule_does_not_cross_a_heading():
    rows = evidence_of(
        "<p>Walking after dinner lowers blood sugar spikes.</p><h2>Try it tonight</h2>"
        '<p><a href="https://pubmed.ncbi.nlm.nih.gov/23456789/">A crossover trial</a> measured glucose in 10 adults.</p>'
    )
    assert [label for _, label in rows] == ["none", "none", "cited"]


def test_list_items_take_described_evidence_from_their_lead_in():
    rows = evidence_of(
        "<p>Tai chi has been shown to help:</p><ul><li>Improve balance</li><li>Ease knee pain</li></ul><p>Classes run weekly.</p>"
    )
    assert [label for _, label in rows] == ["described", "described", "described", "none"]


def test_every_literal_described_phrase_must_carry_a_gate_word(tmp_path):
    from claimcheck.errors import DataFileError
    from claimcheck.evidence import load_cues

    data = json.loads(resources.files("claimcheck").joinpath("data", "evidence.json").read_text(encoding="utf-8"))
    data["described"].append("hear it on the grapevine")
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataFileError, match="grapevine"):
        load_cues(path)


def test_findings_after_a_named_study_take_described_until_the_next_heading():
    rows = evidence_of(
        "<h2>The trial</h2>"
        "<p>A study published in a sleep journal followed 300 shift workers for a year.</p>"
        "<p>Those who took magnesium each night reported fewer awakenings than the placebo group.</p>"
        "<p>Night-time cramps also dropped by 40 percent.</p>"
        "<h2>How to take it</h2>"
        "<p>Evening doses lowered cramps for many readers.</p>"
    )
    labels = dict(rows)
    assert labels["Those who took magnesium each night reported fewer awakenings than the placebo group."] == "described"
    assert labels["Night-time cramps also dropped by 40 percent."] == "described"
    assert labels["Evening doses lowered cramps for many readers."] == "none"


def test_findings_without_a_named_study_stay_none():
    rows = evidence_of("<p>Our clients love the new class.</p><p>Those who come twice a week reported better sleep.</p>")
    assert [label for _, label in rows] == ["none", "none"]


def test_sentences_telling_a_published_case_report_are_described():
    rows = evidence_of(
        "<p>Her rash appeared after a week of herbal tea.</p>"
        "<p>Doctors described the case in a case report in a dermatology journal.</p>"
        "<p>The woman stopped the tea and her skin cleared within a month.</p>"
    )
    assert [label for _, label in rows] == ["described", "described", "described"]


def test_a_case_study_of_the_clinic_is_not_a_published_case_report():
    rows = evidence_of("<p>Read our client case study below.</p><p>She felt better after six sessions.</p>")
    assert rows[1][1] == "none"


def test_later_quotes_by_an_introduced_outside_expert_are_described():
    rows = evidence_of(
        '<p>"Breathing slowly calms the body," says Mara Lindqvist, a nurse who teaches yoga at a city hospital.</p>'
        '<p>"Ten minutes a day is enough to feel calmer," Lindqvist says.</p>'
        '<p>"Ten minutes a day is enough to feel calmer," Petersen says.</p>'
    )
    assert [label for _, label in rows] == ["described", "described", "none"]


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("A spokesperson for the fitness app said step counts rose by a third.", "described"),
        ("As part of its annual trends report, the gym chain said rowing bookings doubled.", "described"),
        ("We've found that fasting until noon helps people lose about a pound a month.", "described"),
        ("During testing, we found this brush easy to grip.", "none"),
    ],
)
def test_organisations_data_and_researchers_own_findings_are_described(sentence, expected):
    assert evidence_of(f"<p>{sentence}</p>")[0][1] == expected


def test_advice_beside_a_citation_is_not_cited():
    rows = evidence_of(
        "<p>Walking after meals lowers blood sugar [1]. Make sure you wear good shoes for your walk.</p>"
        "<h2>References</h2><ol><li>Diaz R. Walking and glucose. Diabetes Res. 2020;2:1-9.</li></ol>"
    )
    assert rows[1][1] == "none"


def test_company_blogs_and_scholar_profiles_are_not_pointers():
    assert classify_link("https://gymchain.example/blog/annual-report-2024", anchor="annual report") == "other"
    assert classify_link("https://scholar.google.com/citations?user=abc", anchor="my research").startswith("not_evidence")


@pytest.mark.parametrize("key", ["profile_paths", "speech_verbs", "described"])
def test_evidence_lists_must_be_lists_of_strings(tmp_path, key):
    import json

    from claimcheck.datafiles import load
    from claimcheck.errors import DataFileError
    from claimcheck.evidence import load_cues

    data = load("evidence.json", None)
    data[key] = "/people/" if key != "described" else [3]
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match=key):
        load_cues(path)


@pytest.mark.parametrize("url", ["http://[::1", "https://[::1/study.pdf", "https://out.example/go?url=https://[::1"])
def test_a_malformed_link_is_an_ordinary_link(url):
    assert classify_link(url, "https://clinic.example/blog") == "other"
    assert classify_link("https://pubmed.ncbi.nlm.nih.gov/23456789/", "http://[::1") == "evidence:literature"


def test_a_page_with_malformed_links_is_checked():
    html = (
        '<html><head><link rel="canonical" href="http://[::1"></head><body><article>'
        '<p>Fibre keeps bowel movements regular, <a href="http://[::1">a study</a> found. '
        'A <a href="https://pubmed.ncbi.nlm.nih.gov/23456789/">trial</a> measured it.</p>'
        "</article></body></html>"
    )
    report = claimcheck.check_html(html, url="http://[::1")
    assert len(report.sentences) == 2
