"""Clean a page to its main content: blocks with inline links and citation markers, the reference
list as entries, and the page's metadata.

HTML goes through trafilatura's ``bare_extraction`` (links and formatting kept). A plain lxml pass
over the page's block elements, outside the site chrome, fills in what the extractor skipped between
its first and last block (FAQ lists, product tabs), and takes over where it finds nothing. Plain text
is split into paragraphs at blank lines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from functools import lru_cache

from lxml import etree

from .datafiles import check_keys, load
from .errors import DataFileError, InputError
from .language import detect_language
from .records import Block, Document, Link, Marker, Page
from .references import parse_reference

_REF_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(references?|sources?|bibliography|citations?|works cited|literature cited|"
    r"scientific references|studies cited|research|footnotes|notes)\s*:?\s*$",
    re.I,
)
_MARKER_TEXT = re.compile(r"^\s*\[?\(?\d{1,3}(?:\s*[,\u2013\-]\s*\d{1,3})*\)?\]?\s*$")
_NUMBERED = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)]|\^(\d{1,3}))\s+")
_YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022\u25aa\u2013]|\d{1,2}[.)])\s+")
_BLOCK_KINDS = {"p": "paragraph", "head": "heading", "item": "list_item", "cell": "table_cell", "quote": "quote"}
_MIN_TEXT_CHARS = 20

log = logging.getLogger(__name__)


def clean(page: Page) -> Document:
    """Return the page's main content as a Document; raise InputError when it has no text."""
    if page.kind == "text":
        doc = _clean_text(page)
    else:
        doc = _clean_html(page)
    doc = replace(doc, blocks=tuple(b for b in doc.blocks if not _is_chrome(b.text)))
    if sum(len(b.text) for b in doc.blocks) < _MIN_TEXT_CHARS:
        hint = " (the page may need JavaScript to show its content)" if page.kind == "html" else ""
        raise InputError(f"no extractable main text{hint}", page.source)
    return doc


@lru_cache(maxsize=1)
def _chrome_patterns() -> tuple[int, re.Pattern[str]]:
    where = "claimcheck/data/boilerplate.json"
    data = load("boilerplate.json")
    check_keys(data, where, {"version", "max_chars", "patterns"}, {"description"})
    try:
        pattern = re.compile("|".join(f"(?:{p})" for p in data["patterns"]), re.I)
    except re.error as exc:
        raise DataFileError(f"bad pattern: {exc}", where) from None
    return int(data["max_chars"]), pattern


def _is_chrome(text: str) -> bool:
    max_chars, pattern = _chrome_patterns()
    stripped = text.strip(" .:|-\u2013\u2014")
    return len(stripped) < max_chars and bool(pattern.fullmatch(stripped))


# -- HTML -------------------------------------------------------------------------------------------


def _clean_html(page: Page) -> Document:
    from trafilatura import bare_extraction

    html = page.text
    extractor_failure: str | None = None
    try:
        tree = _parse(html, page.source)
        try:
            extracted = bare_extraction(
                tree,
                url=page.url,
                include_links=True,
                include_formatting=True,
                include_tables=True,
                include_comments=False,
                with_metadata=True,
                # a date the page declares, not a year guessed from its text or references
                date_extraction_params={"extensive_search": False, "original_date": True},
            )
        except RecursionError:
            raise
        except Exception as exc:  # a fault inside trafilatura, htmldate or lxml on this page
            # the plain lxml pass below still reads the page; without text from it the page fails with this reason
            extractor_failure = type(exc).__name__
            log.debug("%s: the extractor failed (%s); using the plain block pass", page.source, extractor_failure)
            extracted = None
    except RecursionError:
        raise InputError("the HTML is nested too deeply to read", page.source) from None
    blocks: list[Block] = []
    meta: dict = {}
    if extracted is not None and extracted.body is not None:
        blocks = _blocks_from_body(extracted.body)
        meta = {
            "title": extracted.title,
            "author": extracted.author,
            "date": extracted.date,
            "canonical": extracted.url,
        }
    fallback = _fallback_blocks(tree)
    if sum(len(b.text) for b in blocks) < _MIN_TEXT_CHARS:
        blocks = fallback
        if extractor_failure and sum(len(b.text) for b in blocks if not _is_chrome(b.text)) < _MIN_TEXT_CHARS:
            raise InputError(f"cannot extract the main content ({extractor_failure})", page.source)
    else:
        blocks = _fill_gaps(blocks, fallback)
    blocks, entries = _split_references(blocks)
    if not entries:
        entries = _references_from_tree(tree)
    lang_attr = tree.get("lang") if tree is not None else None
    if not meta.get("title"):
        titles = tree.xpath("//title/text()") if tree is not None else []
        meta["title"] = titles[0].strip() if titles else None
    text_sample = " ".join(b.text for b in blocks[:60])
    return Document(
        source=page.source,
        url=page.url,
        blocks=tuple(blocks),
        references=tuple(parse_reference(i + 1, text) for i, text in enumerate(entries)),
        title=meta.get("title"),
        author=meta.get("author"),
        date=meta.get("date"),
        canonical=meta.get("canonical"),
        language=detect_language(text_sample, declared=lang_attr),
    )


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# characters an lxml tree cannot hold (it raises ValueError when the extractor copies them into new
# nodes): C0 controls other than tab, newline and carriage return, and code points that are not characters
_XML_INVALID_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_INVALID_CODEPOINTS = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` with control characters as spaces and lone surrogates and U+FFFE/U+FFFF as U+FFFD."""
    return _XML_INVALID_CODEPOINTS.sub("\ufffd", _XML_INVALID_CONTROLS.sub(" ", text))


def _parse(html: str, source: str):
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(recover=True)
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses a str that declares its own encoding
    html = _xml_safe(html)
    try:
        # always a whole document: a fragment such as "<svg></svg>" would otherwise be the root
        # element, which the extractor's cleaning passes cannot drop (AssertionError in lxml)
        tree = lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"cannot parse the HTML ({exc})", source) from None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise InputError("the HTML is nested too deeply to read (more than 256 levels)", source)
    return tree


class _Builder:
    """Accumulates inline text with collapsed whitespace, recording link and marker offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.links: list[Link] = []
        self.markers: list[Marker] = []

    def add(self, text: str | None) -> None:
        if not text:
            return
        text = re.sub(r"\s+", " ", text)
        if text.startswith(" ") and (self.length == 0 or self.parts[-1].endswith(" ")):
            text = text[1:]
        if text:
            self.parts.append(text)
            self.length += len(text)

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "lb":
            self.add(" ")
        elif tag == "ref":
            start = self._start()
            self.add(el.text)
            for child in el:
                self.walk(child)
                self.add(child.tail)
            self._mark_link(start, el.get("target") or "")
            return
        elif tag == "hi" and el.get("rend") == "#sup":
            start = self._start()
            self.add(el.text)
            for child in el:
                self.walk(child)
                self.add(child.tail)
            text = "".join(self.parts)[start:]
            if text.strip():
                self.markers.append(Marker(start, start + len(text.rstrip()), text.rstrip()))
            return
        elif tag in ("graphic",):
            return
        else:
            self.add(el.text)
        for child in el:
            self.walk(child)
            self.add(child.tail)

    def _start(self) -> int:
        return self.length

    def _mark_link(self, start: int, target: str) -> None:
        text = "".join(self.parts)[start:].rstrip()
        if not text.strip():
            return
        lead = len(text) - len(text.lstrip())
        start += lead
        text = text.strip()
        end = start + len(text)
        if target.startswith("#") or (_MARKER_TEXT.match(text) and not target.startswith("http")):
            self.markers.append(Marker(start, end, text, target or None))
        else:
            self.links.append(Link(start, end, text, target))
            if _MARKER_TEXT.match(text):
                self.markers.append(Marker(start, end, text, target))

    def block(self, kind: str) -> Block | None:
        text = "".join(self.parts)
        stripped = text.rstrip()
        if not stripped.strip():
            return None
        return Block(kind, stripped, tuple(self.links), tuple(sorted(self.markers, key=lambda m: m.start)))


def _blocks_from_body(body) -> list[Block]:
    blocks: list[Block] = []

    def emit(el, kind: str) -> None:
        builder = _Builder()
        builder.add(el.text)
        for child in el:
            if child.tag in ("list", "table", "p", "quote", "head") and kind != "heading":
                # nested block: flush what we have, then descend
                block = builder.block(kind)
                if block:
                    blocks.append(block)
                visit(child, inherited="quote" if kind == "quote" else None)
                builder = _Builder()
                builder.add(child.tail)
                continue
            builder.walk(child)
            builder.add(child.tail)
        block = builder.block(kind)
        if block:
            blocks.append(block)

    def dispatch(child, inherited: str | None) -> None:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("list", "table", "row", "div", "section"):
            visit(child, inherited)
        elif tag == "quote":
            visit_quote(child)
        elif tag in _BLOCK_KINDS:
            kind = _BLOCK_KINDS[tag]
            if inherited == "quote" and kind == "paragraph":
                kind = "quote"
            emit(child, kind)
        elif tag != "lb":
            emit(child, "paragraph")

    def visit(el, inherited: str | None = None) -> None:
        for child in el:
            dispatch(child, inherited)

    def visit_quote(el) -> None:
        if not any(c.tag in ("p", "list", "head", "table") for c in el):
            emit(el, "quote")
            return
        builder = _Builder()
        builder.add(el.text)
        for child in el:
            if child.tag in ("p", "list", "head", "table"):
                block = builder.block("quote")
                if block:
                    blocks.append(block)
                dispatch(child, "quote")
                builder = _Builder()
            else:
                builder.walk(child)
            builder.add(child.tail)
        block = builder.block("quote")
        if block:
            blocks.append(block)

    visit(body)
    return blocks


_BOILERPLATE = re.compile(
    r"nav|menu|breadcrumb|cookie|consent|banner|share|social|comment|related|newsletter|subscribe|sidebar|"
    r"footer|header|byline|author-bio|advert|promo|popup|modal|widget",
    re.I,
)


_SKIP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "button", "select", "svg"}
_HTML_BLOCKS = {
    "h1": "heading",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "p": "paragraph",
    "li": "list_item",
    "td": "table_cell",
    "th": "table_cell",
    "figcaption": "caption",
    "dd": "paragraph",
    "dt": "heading",
    "summary": "heading",
}


def _fallback_blocks(tree) -> list[Block]:
    """Content blocks by plain rules: every block element outside the site chrome, in document order."""
    if tree is None:
        return []
    blocks: list[Block] = []

    def visit(el) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if not tag or tag in _SKIP_TAGS:
                continue
            label = f"{child.get('class', '')} {child.get('id', '')}"
            if tag not in ("main", "article") and label.strip() and _BOILERPLATE.search(label):
                continue
            if tag in _HTML_BLOCKS and not child.xpath(".//p|.//li|.//h2|.//h3|.//table"):
                builder = _Builder()
                _walk_html(builder, child)
                block = builder.block(_HTML_BLOCKS[tag])
                if block:
                    blocks.append(block)
            else:
                visit(child)

    body = tree.find("body")
    visit(body if body is not None else tree)
    return blocks


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


_LOOKAHEAD = 200
_SUBSTRING_SEARCHES = 2000


def _matches(kept: list[str], found: list[str]) -> list[bool]:
    """Which fallback texts the extractor kept: whole blocks by lookup, parts of blocks by search.

    The search inside the extracted text runs for at most ``_SUBSTRING_SEARCHES`` texts, so a page
    of tens of thousands of blocks cannot make it quadratic; the rest count as not kept.
    """
    whole = set(kept)
    joined = "\u0000".join(kept)
    searches = 0
    matched = []
    for text in found:
        if not text:
            matched.append(False)
        elif text in whole:
            matched.append(True)
        elif searches < _SUBSTRING_SEARCHES:
            searches += 1
            matched.append(text in joined)
        else:
            matched.append(False)
    return matched


def _fill_gaps(extracted: list[Block], fallback: list[Block]) -> list[Block]:
    """Add the blocks the extractor skipped inside the main content (FAQ lists, product tabs).

    Only blocks between the first and last block the extractor kept are added, so headers,
    comments and footers around the article stay out.
    """
    if len(extracted) < 2 or not fallback:
        return extracted
    kept = [_norm(b.text) for b in extracted]
    found = [_norm(b.text) for b in fallback]
    matched = _matches(kept, found)
    hits = [i for i, m in enumerate(matched) if m]
    if len(hits) < 2:
        return extracted
    missing = [(i, fallback[i]) for i in range(hits[0], hits[-1]) if not matched[i] and len(fallback[i].text) >= 12]
    if not missing:
        return extracted
    # place each extracted block at the position of its match in the fallback sequence, looking a
    # bounded number of hits ahead so that a long page stays linear
    positions: list[float] = []
    at = 0  # index into hits of the last placed block
    for key in kept:
        for j in range(at, min(len(hits), at + _LOOKAHEAD)):
            text = found[hits[j]]
            if text in key or key in text:
                at = j
                break
        positions.append(float(hits[at]))
    merged = [(pos, 0, n, b) for n, (pos, b) in enumerate(zip(positions, extracted))]
    merged += [(float(i), 1, n, b) for n, (i, b) in enumerate(missing)]
    return [b for *_, b in sorted(merged, key=lambda t: (t[0], t[1], t[2]))]


def _walk_html(builder: _Builder, el) -> None:
    builder.add(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "a":
            start = builder.length
            _walk_html(builder, child)
            builder._mark_link(start, child.get("href") or "")
        elif tag == "sup":
            start = builder.length
            _walk_html(builder, child)
            text = "".join(builder.parts)[start:].rstrip()
            if text.strip():
                builder.markers.append(Marker(start, start + len(text), text))
        elif tag == "br":
            builder.add(" ")
        elif tag in ("script", "style"):
            pass
        else:
            _walk_html(builder, child)
        builder.add(child.tail)


# -- reference lists --------------------------------------------------------------------------------


def _looks_like_entry(block: Block) -> bool:
    text = block.text
    if _NUMBERED.match(text) and (_YEAR.search(text) or "doi" in text.lower() or "http" in text.lower()):
        return True
    if block.kind == "list_item" and (_YEAR.search(text) or "doi" in text.lower()):
        return True
    return bool(_YEAR.search(text) and re.search(r"\bvol\.|\bpp\.|\bdoi\b|et al\.|\d+\(\d+\)|;\s*\d+", text))


def _split_references(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Move the reference list out of the content blocks."""
    kept: list[Block] = []
    entries: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        is_heading_like = block.kind == "heading" or (len(block.text) < 40 and not block.text.rstrip().endswith("."))
        if is_heading_like and _REF_HEADING.match(block.text):
            j = i + 1
            found: list[str] = []
            while j < len(blocks) and blocks[j].kind != "heading" and _looks_like_entry(blocks[j]):
                found.append(blocks[j].text)
                j += 1
            if found:
                entries.extend(found)
                i = j
                continue
        kept.append(block)
        i += 1
    return kept, entries


def _references_from_tree(tree) -> list[str]:
    """Reference entries straight from the HTML, for lists the extractor left out."""
    if tree is None:
        return []
    for heading in tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6|//strong|//b|//p"):
        text = " ".join(heading.text_content().split())
        if not text or not _REF_HEADING.match(text):
            continue
        entries: list[str] = []
        node = heading if heading.tag not in ("strong", "b") else heading.getparent()
        sibling = node.getnext()
        while sibling is not None and sibling.tag not in ("h1", "h2", "h3", "h4", "h5", "h6"):
            items = sibling.xpath(".//li") if sibling.tag in ("ol", "ul", "div", "section") else [sibling]
            for item in items:
                entry = " ".join(item.text_content().split())
                if entry and _looks_like_entry(Block("list_item", entry)):
                    entries.append(entry)
            sibling = sibling.getnext()
        if entries:
            return entries
    return []


# -- plain text -------------------------------------------------------------------------------------


def _clean_text(page: Page) -> Document:
    paragraphs = [p for p in re.split(r"\n\s*\n", page.text.replace("\r\n", "\n")) if p.strip()]
    blocks: list[Block] = []
    title = None
    for para in paragraphs:
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if len(lines) > 1 and all(_LIST_LINE.match(ln) for ln in lines):
            blocks.extend(Block("list_item", _LIST_LINE.sub("", ln, count=1) if not _NUMBERED.match(ln) else ln) for ln in lines)
            continue
        text = " ".join(lines)
        text = re.sub(r"\s+", " ", text).strip()
        if len(lines) == 1 and len(text) < 120 and not re.search(r"[.!?:;\"\u201d]$", text):
            blocks.append(Block("heading", text))
            if title is None and not blocks[:-1]:
                title = text
        else:
            blocks.append(Block("paragraph", text))
    blocks, entries = _split_references(blocks)
    if not entries:
        blocks, entries = _split_trailing_numbered(blocks)
    return Document(
        source=page.source,
        blocks=tuple(blocks),
        references=tuple(parse_reference(i + 1, t) for i, t in enumerate(entries)),
        title=title,
        language=detect_language(" ".join(b.text for b in blocks[:60])),
        kind="text",
    )


def _split_trailing_numbered(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Reference entries written as one numbered paragraph each after a 'References' line."""
    out: list[Block] = []
    entries: list[str] = []
    for block in blocks:
        lines = re.split(r"(?=(?:^|\s)\d{1,2}\.\s+[A-Z][^.]{1,40},)", block.text)
        if len(lines) > 2 and all(_looks_like_entry(Block("list_item", ln.strip())) for ln in lines if ln.strip()):
            entries.extend(ln.strip() for ln in lines if ln.strip())
        else:
            out.append(block)
    return out, entries
