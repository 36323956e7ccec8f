"""Find the evidence tied to each unit: cited (a specific pointer), described (evidence named in
words), or none; link citation markers to the reference list; classify link targets.

Per ANNOTATION.md section 3, a pointer in the neighbouring sentence of the same paragraph also
makes a sentence cited. The cue lists and host lists are ``data/evidence.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .datafiles import check_keys, compile_phrases, load
from .errors import DataFileError
from .records import Cue, Document, Evidence, Reference, Unit
from .references import find_identifiers

_NUMBERS = re.compile(r"\d{1,3}(?:\s*[\u2013\-]\s*\d{1,3})?")
_PARAGRAPH_KINDS = {"paragraph", "quote", "table_cell", "caption"}


@dataclass(frozen=True)
class EvidenceCues:
    """The compiled evidence cue lists."""

    hosts: dict[str, str]  # host suffix -> class
    suffixes: tuple[str, ...]  # host endings that are agencies or universities (.gov, .edu)
    link_words: re.Pattern[str]  # anchor words that name a source ("study", "report")
    evidence_paths: tuple[str, ...]
    shop_paths: tuple[str, ...]
    described: re.Pattern[str]
    markers: re.Pattern[str]
    author_year: re.Pattern[str]


@lru_cache(maxsize=4)
def load_cues(path: Path | None = None) -> EvidenceCues:
    """Read and validate the evidence cue file."""
    name = "evidence.json"
    data = load(name, path)
    where = str(path or f"claimcheck/data/{name}")
    check_keys(
        data,
        where,
        {
            "version",
            "evidence_hosts",
            "evidence_paths",
            "not_evidence_hosts",
            "shop_paths",
            "described",
            "marker_patterns",
            "author_year_patterns",
            "evidence_suffixes",
            "evidence_link_words",
        },
        {"description"},
    )
    hosts: dict[str, str] = {}
    for group, cls in (("evidence_hosts", "evidence"), ("not_evidence_hosts", "not_evidence")):
        for kind, names in data[group].items():
            if not isinstance(names, list):
                raise DataFileError(f"{group}.{kind} must be a list of host names", where)
            for host in names:
                hosts[host.lower()] = f"{cls}:{kind}"
    return EvidenceCues(
        hosts=hosts,
        suffixes=tuple(data["evidence_suffixes"]),
        link_words=compile_phrases(data["evidence_link_words"], f"{where}: evidence_link_words"),
        evidence_paths=tuple(data["evidence_paths"]),
        shop_paths=tuple(data["shop_paths"]),
        described=compile_phrases(data["described"], f"{where}: described"),
        markers=compile_phrases(data["marker_patterns"], f"{where}: marker_patterns"),
        author_year=re.compile("|".join(f"(?:{p[3:]})" for p in data["author_year_patterns"])),
    )


def classify_link(url: str, page_url: str | None = None, cues: EvidenceCues | None = None, anchor: str = "") -> str:
    """Classify a link target: ``evidence:<kind>``, ``own_site``, ``not_evidence:<kind>``, ``anchor`` or ``other``.

    A link to another site counts as evidence when its host is a known journal, database, registry
    or agency, ends like an agency or university (.gov, .edu), or when it points at a PDF or its
    words name a source ("a study", "this report").
    """
    cues = cues or load_cues()
    if url.startswith("#"):
        return "anchor"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return "own_site"
    if any(i.kind in ("doi", "pmid", "pmcid", "nct") for i in find_identifiers(url)):
        return "evidence:literature"
    labels = host.split(".")
    for i in range(len(labels) - 1):
        suffix = ".".join(labels[i:])
        if suffix in cues.hosts:
            return cues.hosts[suffix]
    if page_url:
        page_host = (urlsplit(page_url).hostname or "").lower().removeprefix("www.")
        if page_host and _same_site(host, page_host):
            return "own_site"
    if host.endswith(cues.suffixes):
        return "evidence:agency"
    path = parts.path.lower()
    if any(p in path for p in cues.shop_paths):
        return "not_evidence:shop"
    if path.endswith(".pdf") or cues.link_words.search(anchor):
        return "evidence:document"
    return "other"


def _same_site(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a) or a.split(".")[-2:] == b.split(".")[-2:]


@dataclass(frozen=True)
class _Pointers:
    cues: tuple[Cue, ...]
    numbers: tuple[int, ...]


def _pointers(unit: Unit, doc: Document, cues: EvidenceCues) -> _Pointers:
    found: list[Cue] = []
    numbers: list[int] = []
    text = unit.text
    for marker in unit.markers:
        nums = _expand(marker.text)
        if nums or marker.target:
            found.append(Cue(marker.start, marker.end, marker.text, "marker", "evidence"))
            numbers.extend(nums or _anchor_number(marker.target))
    for m in cues.markers.finditer(text):
        if any(c.start <= m.start() < c.end for c in found):
            continue
        nums = _expand(m.group(0))
        # a bare "(3)" counts only where the page has a reference list to point into
        if m.group(0).startswith("(") and not doc.references:
            continue
        found.append(Cue(m.start(), m.end(), m.group(0), "marker", "evidence"))
        numbers.extend(nums)
    for m in cues.author_year.finditer(text):
        found.append(Cue(m.start(), m.end(), m.group(0), "author_year", "evidence"))
        numbers.extend(_match_author_year(m.group(0), doc.references))
    for link in unit.links:
        cls = classify_link(link.url, doc.url, cues, link.text)
        if cls.startswith("evidence"):
            found.append(Cue(link.start, link.end, link.text, f"link:{cls.split(':')[1]}", "evidence"))
    for ident in find_identifiers(text):
        if ident.kind in ("doi", "pmid", "pmcid", "nct", "isrctn"):
            at = text.find(ident.value)
            found.append(Cue(max(at, 0), max(at, 0) + len(ident.value), ident.value, f"identifier:{ident.kind}", "evidence"))
    known = {r.number for r in doc.references}
    refs = tuple(sorted({n for n in numbers if n in known})) if known else ()
    return _Pointers(tuple(sorted(found, key=lambda c: c.start)), refs)


def _expand(text: str) -> list[int]:
    numbers: list[int] = []
    for part in _NUMBERS.findall(text):
        bounds = [int(x) for x in re.split(r"\s*[\u2013\-]\s*", part)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 50:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.append(bounds[0])
    return numbers


def _anchor_number(target: str | None) -> list[int]:
    match = re.search(r"(\d{1,3})\D*$", target or "")
    return [int(match.group(1))] if match else []


def _match_author_year(citation: str, references: tuple[Reference, ...]) -> list[int]:
    names = re.findall(r"[A-Z][A-Za-z\u00C0-\u017F'\-]+", citation)
    years = set(re.findall(r"(?:19|20)\d\d", citation))
    out = []
    for ref in references:
        if ref.year and str(ref.year) in years and ref.authors:
            surname = ref.authors[0].split(",")[0].split()[0]
            if surname in names:
                out.append(ref.number)
    return out


def find_evidence(doc: Document, units: tuple[Unit, ...], path: Path | None = None) -> tuple[Evidence, ...]:
    """The evidence of every unit, in the order of ``units``."""
    cues = load_cues(path)
    pointers = [_pointers(u, doc, cues) for u in units]
    kinds = [doc.blocks[u.block].kind if u.block < len(doc.blocks) else "paragraph" for u in units]
    results = []
    for i, unit in enumerate(units):
        own = pointers[i]
        described = tuple(Cue(m.start(), m.end(), m.group(0), "described", "evidence") for m in cues.described.finditer(unit.text))
        if own.cues:
            results.append(Evidence("cited", own.cues + described, own.numbers))
            continue
        neighbour_refs: tuple[int, ...] = ()
        adjacent = False
        if kinds[i] in _PARAGRAPH_KINDS and unit.unit == "sentence":
            for j in (i - 1, i + 1):
                if 0 <= j < len(units) and units[j].block == unit.block and pointers[j].cues:
                    adjacent = True
                    neighbour_refs += pointers[j].numbers
        if adjacent:
            results.append(Evidence("cited", described, tuple(sorted(set(neighbour_refs))), adjacent=True))
        elif described:
            results.append(Evidence("described", described))
        else:
            results.append(Evidence("none"))
    return tuple(results)
