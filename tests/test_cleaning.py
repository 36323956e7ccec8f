"""Cleaning a real-shaped clinic page: main content kept, site chrome dropped, references parsed."""

from claimcheck.cleaning import clean
from claimcheck.fetching import read_file

from .conftest import EXAMPLE


def test_example_page_keeps_main_content_and_drops_chrome():
    doc = clean(read_file(EXAMPLE))
    text = "\n".join(b.text for b in doc.blocks)
    assert "Red Light Therapy Is a Game-Changer" in text
    assert "Sessions last 15 to 20 minutes." in text
    for chrome in (
        "We use cookies",
        "Related posts",
        "Join our newsletter",
        "Does insurance cover this",
        "All rights reserved",
        "Our Team",
    ):
        assert chrome not in text, chrome
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "paragraph", "list_item"} <= kinds


def test_example_page_metadata_and_references():
    doc = clean(read_file(EXAMPLE))
    assert doc.title.startswith("Red Light Therapy for Knee Arthritis")
    assert doc.author and "Whitcombe" in doc.author
    assert doc.date == "2025-03-18"
    assert doc.language == "en"
    assert len(doc.references) == 2
    assert {i.kind for r in doc.references for i in r.identifiers} >= {"doi", "pmid"}
    assert doc.references[0].year == 2021
    assert all("References" not in b.text for b in doc.blocks)


def test_inline_links_keep_their_targets():
    doc = clean(read_file(EXAMPLE))
    links = [lk for b in doc.blocks for lk in b.links]
    assert any(lk.url.startswith("https://pubmed.ncbi.nlm.nih.gov/") for lk in links)
    block = next(b for b in doc.blocks for lk in b.links if "pubmed" in lk.url)
    link = next(lk for lk in block.links if "pubmed" in lk.url)
    assert block.text[link.start : link.end] == link.text


def test_xhtml_page_with_an_xml_declaration_is_read():
    from claimcheck.fetching import page_from_html

    body = "".join(f"<p>Paragraph {i} of a saved mobile page about knee pain and walking every day.</p>" for i in range(6))
    html = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>Knee pain</title></head><body><article>{body}</article></body></html>'
    )
    doc = clean(page_from_html(html))
    assert "Paragraph 3 of a saved mobile page" in "\n".join(b.text for b in doc.blocks)
