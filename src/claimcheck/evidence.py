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
from urllib.parse import unquote, urlsplit

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
    profile_paths: tuple[str, ...]
    described: re.Pattern[str]
    gate: tuple[str, ...]  # lower-case words one of which every described phrase contains
    gate_cased: tuple[str, ...]  # the same, matched with their case (acronyms: "WHO", "Dr")
    markers: re.Pattern[str]
    author_year: re.Pattern[str]
    claim_words: re.Pattern[str] | None = None  # what a neighbour's pointer can back
    own_staff: re.Pattern[str] | None = None  # the site's own people ("our founder", "at our clinic")
    own_staff_keeps: re.Pattern[str] | None = None  # described cues that still count beside them
    advice: re.Pattern[str] | None = None  # advice that states no outcome ("Make sure you...")
    study_anchor: re.Pattern[str] | None = None  # names one particular study ("the trial", "researchers at")
    study_findings: re.Pattern[str] | None = None  # reports a finding ("participants", "reduced", "percent")
    case_report: re.Pattern[str] | None = None  # the page reports a published case report
    case_narrative: re.Pattern[str] | None = None  # a sentence telling the case ("the patient", "diagnosed")
    speaker_intro: tuple[re.Pattern[str], ...] = ()  # introduces a named outside speaker; group 1 is the name
    speech_verbs: str = ""  # alternation of the verbs that attribute a statement ("said|says|...")


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
        {
            "description",
            "neighbour_claim_words",
            "profile_paths",
            "described_gate",
            "own_staff",
            "own_staff_keeps",
            "neighbour_advice",
            "study_anchor",
            "study_findings",
            "case_report",
            "case_narrative",
            "speaker_intro",
            "speech_verbs",
        },
    )
    for key in ("described", "evidence_suffixes", "evidence_paths", "shop_paths", "profile_paths", "speech_verbs", "author_year_patterns"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) and v for v in data[key])):
            raise DataFileError(f"{key} must be a list of non-empty strings", where)
    hosts: dict[str, str] = {}
    for group, cls in (("evidence_hosts", "evidence"), ("not_evidence_hosts", "not_evidence")):
        for kind, names in data[group].items():
            if not isinstance(names, list):
                raise DataFileError(f"{group}.{kind} must be a list of host names", where)
            for host in names:
                hosts[host.lower()] = f"{cls}:{kind}"
    gate = data.get("described_gate")
    if gate is not None:
        if not isinstance(gate, list) or not all(isinstance(g, str) and g for g in gate):
            raise DataFileError("described_gate must be a list of words", where)
        lower = tuple(g for g in gate if g == g.lower())
        for phrase in data["described"]:
            if not phrase.startswith("re:") and not any(g in phrase.lower().replace("-", " ") for g in lower):
                raise DataFileError(f"described phrase {phrase!r} contains no word of described_gate", where)
    return EvidenceCues(
        hosts=hosts,
        suffixes=tuple(data["evidence_suffixes"]),
        link_words=compile_phrases(data["evidence_link_words"], f"{where}: evidence_link_words"),
        evidence_paths=tuple(data["evidence_paths"]),
        shop_paths=tuple(data["shop_paths"]),
        profile_paths=tuple(data.get("profile_paths", ())),
        own_staff=compile_phrases(data["own_staff"], f"{where}: own_staff") if "own_staff" in data else None,
        own_staff_keeps=compile_phrases(data["own_staff_keeps"], f"{where}: own_staff_keeps") if "own_staff_keeps" in data else None,
        described=compile_phrases(data["described"], f"{where}: described"),
        gate=tuple(g for g in gate if g == g.lower()) if gate is not None else ("",),
        gate_cased=tuple(g for g in gate if g != g.lower()) if gate is not None else (),
        markers=compile_phrases(data["marker_patterns"], f"{where}: marker_patterns"),
        author_year=re.compile("|".join(f"(?:{p[3:]})" for p in data["author_year_patterns"])),
        claim_words=compile_phrases(data["neighbour_claim_words"], f"{where}: neighbour_claim_words")
        if "neighbour_claim_words" in data
        else None,
        speaker_intro=tuple(_compile_one(p, where) for p in data.get("speaker_intro", ())),
        speech_verbs="|".join(re.escape(v) for v in data.get("speech_verbs", ())),
        advice=compile_phrases(data["neighbour_advice"], f"{where}: neighbour_advice") if "neighbour_advice" in data else None,
        **{
            key: compile_phrases(data[key], f"{where}: {key}")
            for key in ("study_anchor", "study_findings", "case_report", "case_narrative")
            if key in data
        },
    )


def _compile_one(pattern: str, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.startswith("re:"):
        raise DataFileError(f"speaker_intro entries must be re: patterns, not {pattern!r}", where)
    try:
        compiled = re.compile(pattern[3:], re.I)
    except re.error as exc:
        raise DataFileError(f"bad pattern {pattern!r}: {exc}", where) from None
    if compiled.groups < 1:
        raise DataFileError(f"speaker_intro pattern {pattern!r} captures no name", where)
    return compiled


def classify_link(url: str, page_url: str | None = None, cues: EvidenceCues | None = None, anchor: str = "") -> str:
    """Classify a link target: ``evidence:<kind>``, ``own_site``, ``not_evidence:<kind>``, ``anchor`` or ``other``.

    A link to another site counts as evidence when it carries a DOI, PMID or trial number, when
    its host is a known journal, database, registry, agency, hospital or health organisation, ends
    like an agency or university (.gov, .edu), or when it points at a PDF or its words name a
    source ("a study", "this report"). Links to the page's own site, to shops, social media, news
    sites and magazines are not pointers to a source (ANNOTATION.md, conventions 1.1). A redirect
    or affiliate wrapper is classified by the address it forwards to.
    """
    cues = cues or load_cues()
    if url.startswith("#"):
        return "anchor"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:  # a malformed address ("http://[::1") points at no source
        return "other"
    if not host:
        return "own_site"
    inner = _forwarded(parts.query) or _archived(parts.path)
    if inner:
        return classify_link(inner, page_url, cues, anchor)
    if any(i.kind in ("doi", "pmid", "pmcid", "nct") for i in find_identifiers(url)):
        return "evidence:literature"
    if page_url:
        page_host = _host_of(page_url)
        if page_host and _same_site(host, page_host):
            return "own_site"
    path = parts.path.lower()
    labels = host.split(".")
    for i in range(len(labels) - 1):
        suffix = ".".join(labels[i:])
        if suffix in cues.hosts:
            return _specific(cues.hosts[suffix], path, host, cues)
    if host.endswith(cues.suffixes):
        return _specific("evidence:agency", path, host, cues)
    if any(p in path for p in cues.shop_paths):
        return "not_evidence:shop"
    if path.endswith(".pdf") or (cues.link_words.search(anchor) and "/blog" not in path):
        return "evidence:document"
    return "other"


def _host_of(url: str) -> str:
    """The lower-case host of ``url`` without "www.", or "" when it has none or is malformed."""
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _specific(cls: str, path: str, host: str, cues: EvidenceCues) -> str:
    """An evidence host's home page or a person's profile page is not a pointer to a source."""
    if not cls.startswith("evidence"):
        return cls
    if _HOME.fullmatch(path):
        return "not_evidence:home_page"
    if host.startswith(("directory.", "profiles.", "experts.")) or any(p in path for p in cues.profile_paths):
        return "not_evidence:profile"
    return cls


_HOME = re.compile(r"/?(?:[a-z]{2}(?:[-_][a-z]{2})?/?)?(?:(?:pages/)?(?:index|default|home)(?:\.\w+)?)?/?")
_FORWARD = re.compile(r"(?:^|&)(?:url|u|dest|destination|target|murl|redirect|redirect_url)=(https?(?::|%3A)[^&]+)", re.I)
_ARCHIVE = re.compile(r"/web/\d+[a-z_]*/(https?://.+)$")
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "nhs", "or", "ne", "go", "gob", "govt"}


def _forwarded(query: str) -> str | None:
    """The destination of a redirect or affiliate link (``?url=https%3A%2F%2F...``), if any."""
    if "http" not in query:
        return None
    match = _FORWARD.search(query)
    return unquote(match.group(1)) if match else None


def _archived(path: str) -> str | None:
    """The page a web-archive snapshot (``/web/20190101000000/https://...``) is a copy of, if any."""
    match = _ARCHIVE.match(path)
    return match.group(1) if match else None


def _site(host: str) -> str:
    """The registrable part of a host name: ``bbc.co.uk`` for ``www.bbc.co.uk``, ``ucdavis.edu`` for ``health.ucdavis.edu``."""
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _same_site(a: str, b: str) -> bool:
    return a == b or _site(a) == _site(b)


@dataclass(frozen=True)
class _Pointers:
    cues: tuple[Cue, ...]
    numbers: tuple[int, ...]


def _pointers(unit: Unit, doc: Document, cues: EvidenceCues) -> _Pointers:
    found: list[Cue] = []
    numbers: list[int] = []
    text = unit.text
    for marker in unit.markers:
        nums = marker_numbers(marker.text)
        if nums or marker.target:
            found.append(Cue(marker.start, marker.end, marker.text, "marker", "evidence"))
            numbers.extend(nums or _anchor_number(marker.target))
    for m in cues.markers.finditer(text):
        if any(c.start <= m.start() < c.end for c in found):
            continue
        nums = marker_numbers(m.group(0))
        # a bare "(3)" counts only where the page has a reference list to point into
        if m.group(0).startswith("(") and not doc.references:
            continue
        found.append(Cue(m.start(), m.end(), m.group(0), "marker", "evidence"))
        numbers.extend(nums)
    for m in cues.author_year.finditer(text):
        found.append(Cue(m.start(), m.end(), m.group(0), "author_year", "evidence"))
        numbers.extend(_match_author_year(m.group(0), doc.references))
    for link in unit.links:
        cls = classify_link(link.url, doc.url or doc.canonical, cues, link.text)
        if cls.startswith("evidence"):
            found.append(Cue(link.start, link.end, link.text, f"link:{cls.split(':')[1]}", "evidence"))
    for ident in find_identifiers(text):
        if ident.kind in ("doi", "pmid", "pmcid", "nct", "isrctn"):
            at = text.find(ident.value)
            found.append(Cue(max(at, 0), max(at, 0) + len(ident.value), ident.value, f"identifier:{ident.kind}", "evidence"))
    known = {r.number for r in doc.references}
    refs = tuple(sorted({n for n in numbers if n in known})) if known else ()
    return _Pointers(tuple(sorted(found, key=lambda c: c.start)), refs)


def marker_numbers(text: str) -> list[int]:
    """The reference numbers a citation marker names ("[2]", "[3-5]", "(1, 4)"), ranges expanded."""
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
    """The evidence of every unit, in the order of ``units``.

    A unit is cited by its own pointer, or by a pointer in the neighbouring sentence of the same
    paragraph when it states something a source could back (a claim or a finding, not a question,
    a definition or advice). A bare list item takes described evidence from the lead-in it
    completes ("Studies show that X helps:").
    """
    cues = load_cues(path)
    pointers = [_pointers(u, doc, cues) for u in units]
    described = [_described(u.text, cues) for u in units]
    kinds = [doc.blocks[u.block].kind if u.block < len(doc.blocks) else "paragraph" for u in units]
    results = []
    for i, unit in enumerate(units):
        own = pointers[i]
        if own.cues:
            results.append(Evidence("cited", own.cues + described[i], own.numbers))
            continue
        neighbour_refs: tuple[int, ...] = ()
        adjacent = False
        if kinds[i] in _PARAGRAPH_KINDS and unit.unit == "sentence":
            for j in (i - 1, i + 1):
                if 0 <= j < len(units) and units[j].block == unit.block and pointers[j].cues:
                    adjacent = True
                    neighbour_refs += pointers[j].numbers
            adjacent = adjacent and _backs_claim(unit.text, cues)
        if adjacent:
            results.append(Evidence("cited", described[i], tuple(sorted(set(neighbour_refs))), adjacent=True))
        elif described[i]:
            results.append(Evidence("described", described[i]))
        elif unit.unit == "list_item" and _lead_in_described(i, units, described, pointers):
            results.append(Evidence("described"))
        else:
            results.append(Evidence("none"))
    for i in _reported_study(units, results, cues):
        results[i] = Evidence("described")
    for i in _quoted_speaker(units, results, cues):
        results[i] = Evidence("described")
    return tuple(results)


def _quoted_speaker(units: tuple[Unit, ...], results: list[Evidence], cues: EvidenceCues) -> list[int]:
    """The units without evidence that quote an outside speaker introduced earlier on the page.

    Once a sentence that describes evidence introduces a named person with a title or role
    ("says Jane Roe, a nurse at X", "Dr. Roe"), later attributions to that person by surname
    ("Roe says", "said Roe") describe the same outside expert (ANNOTATION.md, conventions 1.1).
    """
    if not cues.speaker_intro or not cues.speech_verbs:
        return []
    out: list[int] = []
    names: set[str] = set()
    attributed: re.Pattern[str] | None = None
    for i, unit in enumerate(units):
        label = results[i].label
        if label == "described" and results[i].cues:
            found = {m.group(1).split()[-1] for p in cues.speaker_intro for m in p.finditer(unit.text)}
            if found - names:
                names |= found
                alt = "|".join(re.escape(n) for n in sorted(names))
                verbs = cues.speech_verbs
                attributed = re.compile(rf"\b(?:{alt})\b,? (?:{verbs})\b|\b(?:{verbs}) (?:{alt})\b")
        elif label == "none" and attributed is not None and attributed.search(unit.text):
            out.append(i)
    return out


# how many units after a sentence naming a study its findings may still be reported
_STUDY_WINDOW = 8


def _reported_study(units: tuple[Unit, ...], results: list[Evidence], cues: EvidenceCues) -> list[int]:
    """The units without evidence of their own that report the findings of a study the page names.

    A news story about one trial names it once ("a study published in...", "researchers at X")
    and then reports its results sentence by sentence; those sentences describe that study
    (ANNOTATION.md section 3). The same holds for every sentence telling the case on a page that
    reports a published case report. A heading ends the study's section.
    """
    out: list[int] = []
    narrative = cues.case_narrative
    if cues.case_report is None or not any("case" in u.text.lower() and cues.case_report.search(u.text) for u in units):
        narrative = None
    anchor = cues.study_anchor
    findings = cues.study_findings
    last = None
    for i, unit in enumerate(units):
        if unit.unit == "heading":
            last = None
            continue
        label = results[i].label
        if label != "none":
            if anchor is not None and anchor.search(unit.text):
                last = i
            continue
        if narrative is not None and narrative.search(unit.text):
            out.append(i)
        elif last is not None and i - last <= _STUDY_WINDOW and findings is not None and findings.search(unit.text):
            out.append(i)
    return out


def _described(text: str, cues: EvidenceCues) -> tuple[Cue, ...]:
    # the phrase patterns are the costly part: run them only where one of their words occurs
    low = text.lower()
    if not any(g in low for g in cues.gate) and not any(g in text for g in cues.gate_cased):
        return ()
    found = tuple(Cue(m.start(), m.end(), m.group(0), "described", "evidence") for m in cues.described.finditer(text))
    if found and cues.own_staff is not None and cues.own_staff.search(text):
        # the site's own staff speaking is not outside evidence; a study they name still is
        keeps = cues.own_staff_keeps
        found = tuple(c for c in found if keeps is not None and keeps.search(c.text))
    return found


def _backs_claim(text: str, cues: EvidenceCues) -> bool:
    """Whether a sentence states something a neighbour's pointer can back: not a question, and
    worded as an effect, a risk, an outcome or a figure (advice is not)."""
    if text.rstrip(' *_"\u201d)').endswith("?"):
        return False
    if cues.advice is not None and cues.advice.match(text):
        return False
    return cues.claim_words is None or cues.claim_words.search(text) is not None


def _lead_in_described(i: int, units: tuple[Unit, ...], described: list, pointers: list[_Pointers]) -> bool:
    """Whether list item ``i`` completes a lead-in ("...has been shown to help:") that describes evidence."""
    j = i - 1
    while j >= 0 and units[j].unit == "list_item":
        j -= 1
    if j < 0 or not units[j].text.rstrip(" *_").endswith(":"):
        return False
    return bool(described[j]) and not pointers[j].cues
