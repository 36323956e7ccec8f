"""Property tests: for any text or HTML, check_text and check_html return a Report or raise ClaimcheckError.

The runs are bounded and derandomised so CI sees the same examples every time. CLAIMCHECK_FUZZ_EXAMPLES
sets the number of examples for the whole file (default 150); raise it for a long run, e.g.
``CLAIMCHECK_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py``.

Inputs that once broke the contract live in tests/fuzz_corpus/ (one file each) and in CORPUS below.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import claimcheck
from claimcheck import ClaimcheckError, Report

TOTAL_EXAMPLES = int(os.environ.get("CLAIMCHECK_FUZZ_EXAMPLES", "150"))
# the HTML grammar finds more than plain text, so it gets the larger share
HTML_EXAMPLES = max(1, TOTAL_EXAMPLES * 2 // 3)
TEXT_EXAMPLES = max(1, TOTAL_EXAMPLES - HTML_EXAMPLES)

FUZZ = {"derandomize": True, "deadline": None, "suppress_health_check": list(HealthCheck), "database": None}

CORPUS_DIR = Path(__file__).parent / "fuzz_corpus"


def holds_contract(call, *args) -> None:
    """``call(*args)`` returns a Report or raises a ClaimcheckError with a one-line message."""
    try:
        result = call(*args)
    except ClaimcheckError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    assert isinstance(result, Report)


# -- generators -------------------------------------------------------------------------------------

CLAIMS = [
    "Turmeric cures arthritis and has no side effects.",
    "Studies show vitamin C prevents colds [1].",
    "This tea is clinically proven to boost immunity.",
    "Our supplement may help support healthy digestion.",
    "References",
    "1. Smith J, et al. J Nutr. 2019;149(3):1-9. doi:10.1000/xyz",
]
CONTROL = st.characters(min_codepoint=0, max_codepoint=31) | st.sampled_from(["\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "\uffff"])
# surrogates cannot be encoded, so they are left out of the generated str (category Cs)
ANY_CHAR = st.characters(exclude_categories=("Cs",))
words = st.text(ANY_CHAR, max_size=40) | st.sampled_from(CLAIMS) | st.text(CONTROL, min_size=1, max_size=4)

ODD_HREFS = [
    "http://[::1",
    "http://[::1]:99999/",
    "https://",
    "http://exa mple.com/",
    "javascript:",
    "javascript:alert(1)",
    "mailto:",
    "data:text/html,<p>x</p>",
    "//",
    "#",
    "#ref1",
    "http://example.com/%zz",
    "http://\u0000host/",
    "http://xn--/",
    "https://doi.org/10.1000/xyz",
    "http://" + "a" * 300 + ".com/",
    "\x1f",
    "",
]
TAGS = ["svg", "math", "script", "style", "template", "table", "tr", "td", "p", "h1", "h2", "h3", "h4", "h5", "h6",
        "li", "ul", "ol", "div", "article", "main", "sup", "noscript", "iframe", "body", "html", "head", "title",
        "blockquote", "foreignObject", "select", "option", "textarea", "pre", "frameset", "object"]  # fmt: skip
ATTR_NAMES = ["class", "id", "lang", "title", "style", "data-x", "xmlns", "href", "rel", "x\x01y"]


@st.composite
def attribute(draw) -> str:
    name = draw(st.sampled_from(ATTR_NAMES))
    value = draw(st.text(ANY_CHAR, max_size=20) | st.sampled_from(["a" * 5000, "nav", "content", "en", "\x00", '"', "'"]))
    quote = draw(st.sampled_from(['"', "'", ""]))
    return f" {name}={quote}{value}{quote}"


@st.composite
def leaf(draw) -> str:
    return draw(
        words
        | st.sampled_from(
            [
                "<!-- a comment -->",
                "<!-- unclosed comment",
                "<![CDATA[ cdata ]]>",
                "<![CDATA[ unclosed",
                "<?php echo 1; ?>",
                '<?xml version="1.0" encoding="utf-8"?>',
                '<?xml version="1.0" encoding="latin-1"?>',
                "<!DOCTYPE html>",
                "<!DOCTYPE x [ <!ENTITY e 'x'> ]>",
                "&amp;",
                "&nbsp;",
                "&#0;",
                "&#x1f;",
                "&#xD800;",
                "&#1114112;",
                "&#99999999999;",
                "&unknown;",
                "&",
                "<br>",
                "<br/>",
                "<img src=x>",
                "</p>",
                "</div></div></div>",
                "<",
                ">",
                "\x00",
                "\x1f",
                "\x0c",
                "\r",
            ]
        )
    )


@st.composite
def link(draw, children) -> str:
    href = draw(st.sampled_from(ODD_HREFS) | st.text(ANY_CHAR, max_size=30))
    return f'<a href="{href}">{draw(children)}</a>'


@st.composite
def element(draw, children) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(draw(st.lists(attribute(), max_size=2)))
    inner = "".join(draw(st.lists(children, max_size=4)))
    close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", f"</{tag}>", "", "</p>"]))
    return f"<{tag}{attrs}>{inner}{close}"


fragments = st.recursive(leaf(), lambda children: element(children) | link(children), max_leaves=40)


@st.composite
def deep(draw) -> str:
    """Up to about 50 nested elements of one or a few tags, closed or not."""
    depth = draw(st.integers(1, 55))
    tags = draw(st.lists(st.sampled_from(TAGS + ["a"]), min_size=1, max_size=3))
    opened = [tags[i % len(tags)] for i in range(depth)]
    middle = draw(words)
    closing = "".join(f"</{t}>" for t in reversed(opened)) if draw(st.booleans()) else ""
    return "".join(f"<{t}>" for t in opened) + middle + closing


@st.composite
def pages(draw) -> str:
    prolog = draw(st.sampled_from(["", "<!DOCTYPE html>", '<?xml version="1.0" encoding="utf-8"?>', "\ufeff", "\x00"]))
    body = "".join(draw(st.lists(fragments | deep(), min_size=1, max_size=6)))
    if draw(st.booleans()):
        return f"{prolog}<html><head><title>{draw(words)}</title></head><body>{body}</body></html>"
    return prolog + body


texts = st.text(ANY_CHAR | CONTROL, max_size=400) | st.lists(words, max_size=12).map(lambda parts: "\n\n".join(parts))


# -- properties -------------------------------------------------------------------------------------


@settings(max_examples=HTML_EXAMPLES, **FUZZ)
@given(pages(), st.sampled_from([None, "https://example.com/page", "http://[::1"]))
def test_check_html_returns_a_report_or_a_claimcheck_error(html, url):
    holds_contract(claimcheck.check_html, html, url)


@settings(max_examples=max(1, HTML_EXAMPLES // 4), **FUZZ)
@given(pages())
def test_check_html_on_bytes_returns_a_report_or_a_claimcheck_error(html):
    holds_contract(claimcheck.check_html, html.encode("utf-8"))


@settings(max_examples=TEXT_EXAMPLES, **FUZZ)
@given(texts)
def test_check_text_returns_a_report_or_a_claimcheck_error(text):
    holds_contract(claimcheck.check_text, text)


# -- inputs that once failed ------------------------------------------------------------------------

ARTICLE = "<p>Turmeric cures arthritis and has no side effects. It is the best remedy for joint pain.</p>"
CORPUS = [
    pytest.param("html", "<svg></svg>", id="svg-empty"),
    pytest.param("text", "Turmeric cures arthritis\x1f and has no side effects.", id="text-x1f"),
    pytest.param("html", f"<html><body>{ARTICLE}<p>a\x1fb</p></body></html>", id="html-x1f"),
]


def corpus_files():
    for path in sorted(CORPUS_DIR.glob("*")):
        if path.suffix in (".html", ".txt"):
            kind = "html" if path.suffix == ".html" else "text"
            yield pytest.param(kind, path.read_bytes().decode("utf-8", "surrogatepass"), id=path.name)


@pytest.mark.parametrize(("kind", "data"), [*CORPUS, *corpus_files()])
def test_inputs_that_once_failed(kind, data):
    holds_contract(claimcheck.check_html if kind == "html" else claimcheck.check_text, data)


def test_control_characters_do_not_cost_the_page_its_text():
    html = f"<html><body>{ARTICLE.replace(' cures', chr(0x1F) + ' cures').replace('side', chr(5) + 'side')}</body></html>"
    report = claimcheck.check_html(html)
    assert any("Turmeric" in s.text and "arthritis" in s.text for s in report.sentences)


def test_svg_fragment_with_text_beside_it_is_checked():
    report = claimcheck.check_html(f"<svg></svg>{ARTICLE}")
    assert any("Turmeric cures arthritis" in s.text for s in report.sentences)


def _broken_extractor(*args, **kwargs):
    raise AssertionError


def test_an_extractor_fault_falls_back_to_the_plain_block_pass(monkeypatch, caplog):
    import logging

    import trafilatura

    caplog.set_level(logging.DEBUG, logger="claimcheck.cleaning")
    monkeypatch.setattr(trafilatura, "bare_extraction", _broken_extractor)
    report = claimcheck.check_html(f"<html><body><article>{ARTICLE}</article></body></html>")
    assert any("Turmeric cures arthritis" in s.text for s in report.sentences)
    assert "the extractor failed (AssertionError" in caplog.text


def test_an_extractor_fault_on_a_page_without_text_is_one_clear_error(monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", _broken_extractor)
    with pytest.raises(claimcheck.InputError, match=r"^<html>: cannot extract the main content \(AssertionError\)$"):
        claimcheck.check_html("<html><body><svg></svg></body></html>")
