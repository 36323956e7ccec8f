"""Parse reference-list entries: identifiers (DOI, PMID, PMCID, trial IDs, URLs) and the
authors, year, title and journal of the usual citation styles (Vancouver, APA, MLA)."""

from __future__ import annotations

import re

from .records import Identifier, Reference

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("doi", re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.I)),
    ("pmid", re.compile(r"\bPMID:?\s*(\d{1,8})\b|pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,8})|ncbi\.nlm\.nih\.gov/pubmed/(\d{1,8})", re.I)),
    ("pmcid", re.compile(r"\b(PMC\d{5,8})\b")),
    ("nct", re.compile(r"\b(NCT\d{8})\b")),
    ("isrctn", re.compile(r"\b(ISRCTN\d{8})\b")),
    ("arxiv", re.compile(r"\barXiv:\s*(\d{4}\.\d{4,5})", re.I)),
    ("isbn", re.compile(r"\bISBN(?:-1[03])?:?\s*((?:97[89][\s-]?)?\d[\d\s-]{8,15}[\dX])\b", re.I)),
)
_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.I)
_TRAILING = ".,;:)]}'\""
_LEAD_NUMBER = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)]|\^(\d{1,3}))\s*")
_YEAR = re.compile(r"\(?\b((?:19|20)\d\d)[a-z]?\b\)?")
_QUOTED_TITLE = re.compile(r"[\"\u201c]([^\"\u201d]{5,300}?)[.,]?[\"\u201d]")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]?])\.\s+|(?<=\s[A-Z])\.\s+(?=[A-Z][a-z])|(?<=\s[A-Z]{2})\.\s+(?=[A-Z][a-z])")
_AUTHOR = re.compile(r"[A-Z][A-Za-z'\u2019\-]+(?:,?\s+(?:[A-Z]\.\s*){1,3}|\s+[A-Z]{1,3}\b)")


def find_identifiers(text: str) -> tuple[Identifier, ...]:
    """Every identifier in a piece of text, in order of kind, without duplicates."""
    found: list[Identifier] = []
    seen: set[tuple[str, str]] = set()
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = next(g for g in match.groups() if g)
            value = value.rstrip(_TRAILING) if kind == "doi" else value.strip()
            if kind == "doi" and value.count("(") < value.count(")"):
                value = value.rstrip(")")
            key = (kind, value.lower())
            if key not in seen:
                seen.add(key)
                found.append(Identifier(kind, value))
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        key = ("url", url.lower())
        if key not in seen:
            seen.add(key)
            found.append(Identifier("url", url))
    return tuple(found)


def parse_reference(number: int, text: str, anchor: str | None = None) -> Reference:
    """Parse one entry; ``number`` is its position in the list (1-based) unless the entry names one."""
    text = " ".join(text.split())
    label = None
    body = text
    lead = _LEAD_NUMBER.match(text)
    if lead:
        label = next(g for g in lead.groups() if g)
        number = int(label)
        body = text[lead.end() :]
    year_match = _YEAR.search(body)
    year = int(year_match.group(1)) if year_match else None
    title, journal = _title_and_journal(body, year_match)
    return Reference(
        number=number,
        label=label,
        text=text,
        identifiers=find_identifiers(body),
        authors=_authors(body, year_match, title),
        year=year,
        title=title,
        journal=journal,
        anchor=anchor,
    )


def _authors(body: str, year_match: re.Match | None, title: str | None) -> tuple[str, ...]:
    cut = len(body)
    if title and title in body:
        cut = body.index(title)
    if year_match and year_match.start() < cut:
        cut = year_match.start()
    head = body[:cut]
    # Vancouver: "Smith MA, Jones B." — APA/MLA: "Smith, M. A., & Kim, A."
    names = [m.group(0).strip().rstrip(",") for m in _AUTHOR.finditer(head)]
    return tuple(n for n in names if not n.lower().startswith(("journal", "vol")))


def _title_and_journal(body: str, year_match: re.Match | None) -> tuple[str | None, str | None]:
    quoted = _QUOTED_TITLE.search(body)
    if quoted:
        title = quoted.group(1).strip()
        rest = body[quoted.end() :].lstrip(' .,\u201d"')
        journal = re.split(r",|\.\s|\bvol\.|\d", rest, maxsplit=1)[0].strip(" .,") or None
        return title, journal
    if year_match and body[year_match.start() : year_match.start() + 1] == "(":
        # APA: Authors (2019). Title. Journal, 12(3), 1-10.
        rest = body[year_match.end() :].lstrip(" .")
        parts = [p.strip() for p in re.split(r"(?<=[a-z0-9\)\]?])\.\s+", rest) if p.strip()]
        title = parts[0].rstrip(".") if parts else None
        journal = re.split(r",|\d", parts[1], maxsplit=1)[0].strip(" .") if len(parts) > 1 else None
        return title, journal or None
    # Vancouver: Authors. Title. Journal. 2019;12:100-10.
    parts = [p.strip() for p in _SENTENCE_END.split(body) if p.strip()]
    if len(parts) >= 3:
        return parts[1].rstrip("."), re.split(r"\d", parts[2], maxsplit=1)[0].strip(" .;") or None
    return None, None
