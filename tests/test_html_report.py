"""The HTML report for one page: structure, escaping of hostile page text, links, and what a real browser does with it."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

import pytest

import claimcheck
from claimcheck.html_report import identifier_href, render_html, safe_href
from claimcheck.records import Cue, Reference, Report
from claimcheck.terminal import clean

from . import hostile_page as hp
from .browser import RecordingProxy, chromium_or_skip, run_chromium

CHECKED = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIPPED_CLASSES = {"tag", "ref-link"}  # labels the report adds inside a unit: not page text


# -- a parse of the rendered document with the stdlib parser ---------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: Element | None
    position: int
    text: list[str] = field(default_factory=list)  # page text inside, without the report's own labels

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class Document(HTMLParser):
    """Every element with its attributes and parent, the text inside each element, and the style text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.style = ""
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.stack[-1] if self.stack else None, len(self.elements))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs), self.stack[-1] if self.stack else None, len(self.elements)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag == "style":
            self.style += data
        if any(e.classes & SKIPPED_CLASSES for e in self.stack):
            return
        for element in self.stack:
            element.text.append(data)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def by_id(self) -> dict[str, Element]:
        return {e.attrs["id"]: e for e in self.elements if e.attrs.get("id")}

    def text_of(self, element: Element) -> str:
        return " ".join("".join(element.text).split())


def squash(text: str) -> str:
    """Page text as the report should show it: no controls or bidi overrides, whitespace collapsed."""
    return " ".join(BIDI.sub("", clean(text)).split())


def check_document(source: str, report: Report) -> Document:
    """The structural promises of the report, for any page."""
    doc = Document(source)
    ids = [e.attrs["id"] for e in doc.elements if e.attrs.get("id")]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    by_id = doc.by_id()
    for s in report.sentences:
        assert f"u{s.index}" in by_id, f"unit {s.index} has no anchor"
    for s in report.flagged:
        assert doc.text_of(by_id[f"u{s.index}"]) == squash(s.text)
        note = doc.text_of(by_id[f"n{s.index}"])
        for f in s.findings:
            assert f.rule in note and f.severity in note and squash(f.message) in note
        assert squash(s.evidence.label) in note and (s.strength or "") in note
    # no script, no remote or embedded resource, no event handler, no refresh
    assert doc.all("script") == []
    for tag in ("img", "iframe", "object", "embed", "link", "base", "form", "frame", "svg", "math", "video", "audio", "source"):
        assert doc.all(tag) == [], f"unexpected <{tag}>"
    assert all(not name.startswith("on") for e in doc.elements for name in e.attrs), "event handler attribute"
    assert not any((e.attrs.get("http-equiv") or "").lower() == "refresh" for e in doc.all("meta"))
    assert len(doc.all("style")) == 1 and "</" not in doc.style and "PWNED" not in doc.style
    # links: off-report only to http(s), in-report only to ids that exist
    for a in doc.all("a"):
        href = a.attrs.get("href") or ""
        assert href.startswith(("http://", "https://", "#")), href
        if href.startswith("#"):
            assert href[1:] in by_id, f"dangling anchor {href}"
        else:
            assert set((a.attrs.get("rel") or "").split()) >= {"noopener", "noreferrer", "nofollow"}
    assert not CONTROL.search(source), "control character in the output"
    csp = [e for e in doc.all("meta") if (e.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(csp) == 1
    directives = {d.split()[0]: d.split()[1:] for d in (csp[0].attrs["content"] or "").split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"] and directives["script-src"] == ["'none'"]
    assert directives["style-src"] == ["'unsafe-inline'"] and directives["img-src"] == ["data:"]
    assert doc.all("meta")[0].attrs.get("charset") == "utf-8" and doc.all("meta")[1] is csp[0], "CSP must come first"
    assert doc.all("html")[0].attrs.get("lang") == "en"
    return doc


# -- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_doc(example_report) -> tuple[str, Report]:
    return render_html(example_report, checked_at=CHECKED), example_report


@pytest.fixture(scope="module")
def seed_doc(seed_html) -> tuple[str, Report]:
    report = claimcheck.check_html(seed_html)
    return render_html(report, checked_at=CHECKED), report


@pytest.fixture(scope="module")
def hostile_report() -> Report:
    report = claimcheck.check_html(hp.hostile_html())
    # what the checker does not reach (source, URL, notices) is made hostile by hand
    return replace(
        report,
        source=f"{hp.JAVASCRIPT_URL}{hp.TERMINAL_ESCAPES}",
        url=hp.JAVASCRIPT_URL,
        canonical=hp.DATA_URL,
        title=f"{report.title}{hp.TERMINAL_ESCAPES}\u202e{hp.STYLE_BREAKER}",
        author=hp.ATTRIBUTE_BREAKER,
        notices=(f"note {hp.TERMINAL_ESCAPES}{hp.STYLE_BREAKER}\x9b31m",),
    )


@pytest.fixture(scope="module")
def hostile_doc(hostile_report) -> tuple[str, Report]:
    return render_html(hostile_report, checked_at=CHECKED), hostile_report


DOCS = ("example_doc", "seed_doc", "hostile_doc")


# -- structure and safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCS)
def test_every_unit_is_anchored_flagged_ones_carry_their_findings_and_nothing_is_live(request, name):
    source, report = request.getfixturevalue(name)
    assert report.flagged, "each page under test has flagged claims"
    check_document(source, report)


def test_the_hostile_page_is_flagged_and_its_payloads_are_shown_as_text(hostile_doc):
    source, report = hostile_doc
    doc = check_document(source, report)
    flagged = {s.text for s in report.flagged}
    assert hp.STRONG_CLAIM in flagged
    body = " ".join(doc.text_of(e) for e in doc.all("main"))
    assert "</style><script>" in body and 'onerror="document.body' in body
    for url in (hp.JAVASCRIPT_URL, hp.DATA_URL, "vbscript:msgbox(1)", "file:///etc/passwd"):
        assert url in body, f"{url} should be listed as text"
    header = doc.text_of(doc.all("header")[0])
    assert hp.JAVASCRIPT_URL in header and "\x1b" not in source and "\x07" not in source
    title = doc.text_of(doc.all("title")[0])
    assert title.startswith("claimcheck report:") and hp.SENTINEL_TITLE in title  # as text, not as a script
    assert "javascript" not in " ".join(a.attrs.get("href") or "" for a in doc.all("a")).lower()


def test_a_hostile_tracker_link_in_the_page_stays_a_plain_http_link(hostile_doc):
    source, report = hostile_doc
    hrefs = [a.attrs["href"] for a in Document(source).all("a")]
    tracker = [lk.url for s in report.sentences for lk in s.links if hp.TRACKER_HOST in lk.url]
    assert tracker and all(u in hrefs for u in tracker)
    assert render_html(report, checked_at=CHECKED, links=False).count('href="http') == 0


def test_page_findings_link_to_the_units_they_name(hostile_doc):
    source, report = hostile_doc
    doc = Document(source)
    cta = [f for f in report.findings if any(c.kind == "call_to_action" for c in f.spans)]
    assert cta, "the hostile page ends with a call to buy next to flagged claims"
    holders = [s.index for s in report.sentences for c in cta[0].spans if s.text[c.start : c.end] == c.text]
    item = next(li for li in doc.all("li") if cta[0].rule in doc.text_of(li) and "findings" in (li.parent.classes if li.parent else ()))
    links = [a.attrs["href"] for a in doc.all("a") if a.parent is not None and a.parent.parent is item]
    assert links == [f"#u{i}" for i in dict.fromkeys(holders)]
    for f in report.findings:
        assert f.rule in doc.text_of(item.parent) and squash(f.message) in doc.text_of(item.parent)


def test_the_header_states_source_date_version_model_counts_and_threshold(example_doc):
    source, report = example_doc
    doc = Document(source)
    header = doc.text_of(doc.all("header")[0])
    assert report.source in header and "2025-03-01 09:30 UTC" in header
    assert claimcheck.__version__ in header and report.model in header
    assert f"{report.min_confidence:.2f}" in header
    severities = [f.severity for f in report.all_findings()]
    for severity in ("high", "medium", "low"):
        assert f"{severities.count(severity)} {severity}" in header
    assert f"{len(report.sentences)} units" in header and f"{len(report.flagged)} flagged" in header
    assert not [a for a in doc.all("a") if _inside(a, doc.all("header")[0])], "the source is text, not a link"


def test_checked_at_is_shown_in_utc_and_defaults_to_now(example_report):
    naive = render_html(example_report, checked_at=datetime.datetime(2024, 5, 6, 7, 8))
    assert "2024-05-06 07:08 UTC" in naive
    zone = datetime.timezone(datetime.timedelta(hours=2))
    assert "2024-05-06 05:08 UTC" in render_html(example_report, checked_at=datetime.datetime(2024, 5, 6, 7, 8, tzinfo=zone))
    before = datetime.datetime.now(datetime.UTC)
    shown = re.search(r'<time datetime="([^"]+)"', render_html(example_report)).group(1)
    assert abs(datetime.datetime.fromisoformat(shown) - before) < datetime.timedelta(minutes=2)


# -- behaviour -----------------------------------------------------------------------------------------


def test_the_flagged_only_control_is_a_labelled_checkbox_that_works_without_script(example_doc):
    source, _ = example_doc
    doc = Document(source)
    boxes = [e for e in doc.all("input") if e.attrs.get("type") == "checkbox"]
    assert len(boxes) == 1
    box = boxes[0]
    labels = [e for e in doc.all("label") if e.attrs.get("for") == box.attrs.get("id")]
    assert labels and "flagged" in doc.text_of(labels[0]).lower()
    assert "disabled" not in box.attrs and "tabindex" not in box.attrs
    content = doc.by_id()["content"]
    assert content.parent is box.parent and box.position < content.position, "the CSS ~ selector needs them as siblings"
    selector = re.escape(f".{box.attrs['class']}:checked ~ #content")
    assert re.search(selector + r" \.unit:not\(\.flagged\)[^{]*\{ display: none; \}", doc.style, re.S)
    assert re.search(re.escape(f".{box.attrs['class']}:focus-visible"), doc.style)
    assert re.search(r"@media print \{.*\.only-flagged[^{]*\{ display: none !important; \}", doc.style, re.S)
    assert re.search(r"@media print \{.*break-inside: avoid", doc.style, re.S)
    flagged = [e for e in doc.elements if "flagged" in e.classes and e.tag == "span"]
    assert len(flagged) == len(example_doc[1].flagged)


def test_the_legend_names_the_three_claim_types_in_words(example_doc):
    doc = Document(example_doc[0])
    legend = next(e for e in doc.all("ul") if "legend" in e.classes)
    words = doc.text_of(legend)
    for name in ("efficacy", "safety", "mechanism"):
        assert name in words
    for s in example_doc[1].sentences:  # every claim is labelled in text, not by colour alone
        for t in s.types:
            unit = doc.by_id()[f"u{s.index}"]
            tags = [e for e in doc.elements if e.parent is unit and "tag" in e.classes and f"t-{t}" in e.classes]
            assert tags, f"unit {s.index} lacks its {t} tag"


def test_references_list_parsed_fields_identifiers_and_the_sentences_citing_them(example_doc):
    source, report = example_doc
    doc = Document(source)
    by_id = doc.by_id()
    hrefs = [a.attrs["href"] for a in doc.all("a")]
    dois = [i.value for r in report.references for i in r.identifiers if i.kind == "doi"]
    assert dois and all(f"https://doi.org/{d}" in hrefs for d in dois)
    for ref in report.references:
        entry = by_id[f"ref{ref.number}"]
        text = doc.text_of(entry)
        assert squash(ref.text) in text and str(ref.year) in text and (ref.title or "") in text
        citing = [s.index for s in report.sentences if ref.number in s.evidence.references]
        assert citing
        inside = [a.attrs["href"] for a in doc.all("a") if _inside(a, entry) and a.attrs["href"].startswith("#u")]
        assert inside == [f"#u{i}" for i in citing]
        for s in citing:
            assert f"#ref{ref.number}" in [a.attrs["href"] for a in doc.all("a") if _inside(a, by_id[f"u{s}"])]


def _inside(element: Element, ancestor: Element) -> bool:
    node = element.parent
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def test_a_doi_written_on_a_page_becomes_a_doi_org_link():
    page = (
        "<html><body><article><h1>Zinc and colds</h1><p>Zinc lozenges may shorten a cold by a day [1].</p>"
        "<h2>References</h2><ol><li>Hemila H. (2017). Zinc lozenges and the common cold. JRSM Open, 8(5). "
        "doi:10.1177/2054270417694291</li></ol></article></body></html>"
    )
    report = claimcheck.check_html(page)
    hrefs = [a.attrs["href"] for a in Document(render_html(report)).all("a")]
    assert "https://doi.org/10.1177/2054270417694291" in hrefs


def test_a_javascript_url_is_never_an_href_whatever_its_spelling(hostile_doc):
    source, report = hostile_doc
    hrefs = [(a.attrs.get("href") or "").lower() for a in Document(source).all("a")]
    assert [lk.url for s in report.sentences for lk in s.links if "script" in lk.url.lower()], "the page has script links"
    assert not [h for h in hrefs if "script" in h or h.startswith("data:")]
    for url in hp.UNSAFE_URLS + ("//evil.example/x", "/relative", "https:", "http://", "https://exa mple.com", "\x00javascript:x"):
        assert safe_href(url) is None, url
    assert safe_href(" https://example.org/a?b=1 ") == "https://example.org/a?b=1"
    assert identifier_href("doi", "10.1000/a b") is None and identifier_href("pmid", "12x") is None
    assert identifier_href("url", hp.JAVASCRIPT_URL) is None
    assert identifier_href("pmid", "31048211") == "https://pubmed.ncbi.nlm.nih.gov/31048211/"
    assert identifier_href("doi", "10.1000/x#y?z") == "https://doi.org/10.1000/x%23y%3Fz"


def test_overlapping_and_out_of_range_cues_mark_the_right_words(example_report):
    s = next(s for s in example_report.sentences if s.flagged and s.types)
    text = "Studies show \x1b[2J\u202ethis cure is safe."
    start = text.index("cure")
    cues = (
        Cue(0, 12, text[0:12], "establishment", "wording"),
        Cue(start, start + 4, "cure", "cure", "wording"),
        Cue(start - 5, start + 12, text[start - 5 : start + 12], "safety_absolute", "wording"),
        Cue(0, 500, "", "hype", "wording"),  # out of range: ignored
        Cue(-3, 2, "", "hype", "wording"),
        Cue(0, 0, "", "verdict", "wording"),  # empty
        Cue(0, len(text), text, "testimonial", "wording"),  # whole-sentence kind: not marked
    )
    edited = replace(
        s,
        text=text,
        wording=replace(s.wording, cues=cues),
        evidence=replace(s.evidence, cues=(Cue(8, start + 2, "", "described", "evidence"),)),
    )
    report = replace(example_report, sentences=tuple(edited if x is s else x for x in example_report.sentences))
    source = render_html(report, checked_at=CHECKED)
    doc = check_document(source, report)
    unit = doc.by_id()[f"u{s.index}"]
    assert doc.text_of(unit) == squash(text).replace("\u202e", "")
    marked = "".join("".join(e.text) for e in doc.all("mark") if _inside(e, unit))
    evidence = "".join("".join(e.text) for e in doc.all("u") if _inside(e, unit))
    assert marked == text[0:12] + text[start - 5 : start + 12]  # the overlapping cure and safety cues merge
    assert evidence == squash(text[8 : start + 2])
    again = render_html(report, checked_at=CHECKED)
    assert again == source, "rendering is deterministic"


def test_importing_claimcheck_and_the_html_renderer_does_not_import_jinja2():
    # (checking a page may import it anyway: spaCy's command-line helpers do)
    code = (
        "import sys, claimcheck, claimcheck.html_report\n"
        "print('jinja2' in sys.modules)\n"
        "claimcheck.html_report.template_environment()\n"
        "print('jinja2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_templates_ship_inside_the_package():
    from importlib.resources import files

    templates = files("claimcheck") / "templates"
    assert (templates / "page.html.j2").is_file() and (templates / "_style.css.j2").is_file()


def test_references_with_repeated_numbers_keep_ids_unique(example_report):
    extra = Reference(number=1, label=None, text=f"Duplicate {hp.ATTRIBUTE_BREAKER}")
    report = replace(example_report, references=(*example_report.references, extra))
    check_document(render_html(report, checked_at=CHECKED), report)


# -- in a real browser --------------------------------------------------------------------------------------


def _assert_inert(dom: str, expected_title: str) -> Document:
    doc = Document(dom)
    assert doc.text_of(doc.all("title")[0]) == expected_title, "a script changed the title"
    assert "pwned" not in doc.by_id(), "a script added an element"
    assert all(hp.SENTINEL_ATTR not in e.attrs for e in doc.elements), "a script or handler set an attribute"
    assert doc.all("script") == [] and doc.all("img") == []
    return doc


@pytest.mark.parametrize("name", DOCS)
def test_chromium_runs_no_page_script_and_makes_no_request(request, name, tmp_path):
    chromium_or_skip()
    source, report = request.getfixturevalue(name)
    path = tmp_path / f"{name}.html"
    path.write_text(source, encoding="utf-8")
    shot = tmp_path / "shot.png" if name == "hostile_doc" else None
    with RecordingProxy() as proxy:
        dom = run_chromium(path, tmp_path, proxy=proxy, screenshot=shot)
        time.sleep(0.3)  # a late connection still reaches the recorder
    assert proxy.requests() == [], f"the report made the browser ask for {proxy.requests()}"
    title = Document(source).text_of(Document(source).all("title")[0])
    doc = _assert_inert(dom, title)
    by_id = doc.by_id()
    for s in report.flagged:
        assert doc.text_of(by_id[f"u{s.index}"]) == squash(s.text)
        assert all(f.rule in doc.text_of(by_id[f"n{s.index}"]) for f in s.findings)
    if shot is not None:
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_the_browser_checks_can_fail_on_the_raw_hostile_page(tmp_path):
    """Control: the hostile page itself, loaded as is, does set the sentinels and asks for remote files."""
    chromium_or_skip()
    path = tmp_path / "raw.html"
    path.write_text(hp.hostile_html(), encoding="utf-8")
    with RecordingProxy() as proxy:
        dom = run_chromium(path, tmp_path, proxy=proxy)
        time.sleep(0.3)
    with pytest.raises(AssertionError):
        _assert_inert(dom, "Joint Relief")
    doc = Document(dom)
    assert doc.text_of(doc.all("title")[0]) == hp.SENTINEL_TITLE and "pwned" in doc.by_id()
    assert any(hp.TRACKER_HOST in line for line in proxy.requests())


def test_a_page_of_20000_units_renders_and_loads(tmp_path):
    started = time.perf_counter()
    report = claimcheck.Checker(claimcheck.Options(max_units=20_000, max_seconds=300)).check_html(hp.huge_hostile_html(20_000))
    checked = time.perf_counter()
    source = render_html(report, checked_at=CHECKED)
    rendered = time.perf_counter()
    assert len(report.sentences) == 20_000 and report.flagged
    assert rendered - checked < max(10.0, (checked - started)), "rendering must not cost more than checking"
    doc = check_document(source, report)
    assert len([e for e in doc.elements if e.attrs.get("id", "").startswith("u")]) == 20_000
    chromium_or_skip()
    path = tmp_path / "huge.html"
    path.write_text(source, encoding="utf-8")
    with RecordingProxy() as proxy:
        dom = run_chromium(path, tmp_path, proxy=proxy, timeout=120)
    assert proxy.requests() == []
    loaded = _assert_inert(dom, doc.text_of(doc.all("title")[0]))
    assert f"u{report.sentences[-1].index}" in loaded.by_id()


def test_a_page_that_was_not_classified_says_so():
    page = (
        "<html lang='de'><body><article><p>Dieses Mittel heilt Arthritis vollständig und ist absolut sicher für alle Menschen.</p>"
        "<p>Kaufen Sie jetzt und sparen Sie viel Geld bei Ihrer ersten Bestellung heute.</p></article></body></html>"
    )
    report = claimcheck.check_html(page)
    assert not report.classified and report.notices
    source = render_html(report, checked_at=CHECKED)
    doc = check_document(source, report)
    header = doc.text_of(doc.all("header")[0])
    assert "not classified" in header and all(squash(n) in header for n in report.notices)
    assert doc.by_id()["content"].attrs.get("lang") == report.language
