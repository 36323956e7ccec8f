"""Render one Report as a self-contained HTML page a reviewer can forward, open offline and print.

Everything taken from the page (title, source, sentences, link targets, reference text, messages
quoting the page, notices) is hostile input. It is cleaned of control characters, escape sequences
and bidirectional overrides here, and escaped by Jinja2's autoescape in the templates; no URL from
the page becomes a live link unless its scheme is http or https. The page carries a
Content-Security-Policy that forbids every script and every remote load, and its one control (show
flagged sentences only) is a checkbox styled with CSS, so it works with scripts off.

Python prepares a plain view model (strings, numbers, lists and dicts); every tag comes from the
templates in ``claimcheck/templates``. Jinja2 is imported only when a page is rendered.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .records import Cue, Finding, Reference, Report, SentenceResult
from .terminal import clean, clean_with_offsets
from .version import __version__

if TYPE_CHECKING:
    import jinja2

__all__ = ["CSP", "render_html", "safe_href"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; base-uri 'none'; form-action 'none'"

TYPES = (
    ("efficacy", "EFF", "says the product or treatment works"),
    ("safety", "SAF", "says it is safe or free of side effects"),
    ("mechanism", "MEC", "says how it works in the body"),
)
SEVERITIES = ("high", "medium", "low")
_SKIPPED_WORDING = ("testimonial", "pseudo_hedge")  # whole-sentence cues, as the terminal view skips them
# bidirectional embeddings, overrides and isolates: they could reorder what a reviewer reads
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ANY_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_MAX_TARGETS = 20  # links from one page finding to the units it names


def _text(value: object) -> str:
    """Page text made safe to show: no controls, escapes, bidi overrides or lone surrogates."""
    if isinstance(value, str) and not _ANY_UNSAFE.search(value):
        return value
    return _SURROGATE.sub("\ufffd", _BIDI.sub("", clean(value)))


def _text_with_offsets(value: str) -> tuple[str, list[int] | None]:
    """``_text(value)`` and, for every offset 0..len(value), the matching offset in the shown text
    (None when nothing was removed, so offsets are unchanged)."""
    if not _ANY_UNSAFE.search(value):
        return value, None
    shown, first = clean_with_offsets(value)
    if not _BIDI.search(shown) and not _SURROGATE.search(shown):
        return shown, first
    kept: list[str] = []
    second: list[int] = []
    for char in shown:
        second.append(len(kept))
        if not _BIDI.match(char):
            kept.append("\ufffd" if _SURROGATE.match(char) else char)
    second.append(len(kept))
    return "".join(kept), [second[o] for o in first]


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http or https URL fit to be a live link, else None."""
    if not isinstance(url, str):
        return None
    candidate = _text(url).strip()
    if not candidate or any(c.isspace() for c in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate


_IDENTIFIER_URLS = {
    "doi": (re.compile(r"10\.\d{4,9}/\S+"), "https://doi.org/{}"),
    "pmid": (re.compile(r"\d{1,9}"), "https://pubmed.ncbi.nlm.nih.gov/{}/"),
    "pmcid": (re.compile(r"PMC\d{1,9}", re.IGNORECASE), "https://pmc.ncbi.nlm.nih.gov/articles/{}/"),
    "nct": (re.compile(r"NCT\d{8}", re.IGNORECASE), "https://clinicaltrials.gov/study/{}"),
    "isrctn": (re.compile(r"ISRCTN\d{8}", re.IGNORECASE), "https://www.isrctn.com/{}"),
    "arxiv": (re.compile(r"(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"), "https://arxiv.org/abs/{}"),
}


def identifier_href(kind: str, value: str) -> str | None:
    """The resolver URL of a persistent identifier (DOI, PMID, PMCID, NCT, ISRCTN, arXiv, URL), or None."""
    if kind == "url":
        return safe_href(value)
    known = _IDENTIFIER_URLS.get(kind)
    if known is None or not isinstance(value, str):
        return None
    pattern, template = known
    value = value.strip()
    if not pattern.fullmatch(value):
        return None
    return safe_href(template.format(quote(value, safe="/:;()._-~")))


# -- the view model ------------------------------------------------------------------------------------


def _segments(s: SentenceResult) -> tuple[list[dict[str, str]], str]:
    """The unit's shown text cut at every cue boundary, each piece with the cue kinds covering it."""
    shown, offsets = _text_with_offsets(s.text)
    size = len(s.text)
    spans: list[tuple[int, int, str, str]] = []
    for field, cues in (("mark", s.wording.cues), ("ev", s.evidence.cues)):
        for cue in cues:
            if field == "mark" and cue.kind in _SKIPPED_WORDING:
                continue
            if not (isinstance(cue.start, int) and isinstance(cue.end, int) and 0 <= cue.start < cue.end <= size):
                continue  # out of range or empty: nothing to mark
            start, end = (cue.start, cue.end) if offsets is None else (offsets[cue.start], offsets[cue.end])
            if start < end:
                spans.append((start, end, field, _text(cue.kind)))
    bounds = sorted({0, len(shown), *(b for start, end, _, _ in spans for b in (start, end))})
    pieces: list[dict[str, str]] = []
    for start, end in zip(bounds, bounds[1:]):
        covering = [(f, k) for a, b, f, k in spans if a <= start and end <= b]
        pieces.append(
            {
                "text": shown[start:end],
                "mark": ", ".join(sorted({k for f, k in covering if f == "mark"})),
                "ev": ", ".join(sorted({k for f, k in covering if f == "ev"})),
            }
        )
    return pieces, shown


def _finding(f: Finding) -> dict[str, Any]:
    severity = f.severity if f.severity in SEVERITIES else "other"
    accepted = getattr(f, "accepted", None)
    return {
        "rule": _text(f.rule),
        "name": _text(f.name),
        "severity": _text(f.severity),
        "severity_class": severity,
        "message": _text(f.message),
        "accepted": None if accepted is None else _text(accepted),
    }


def _confidence(value: float | None) -> str:
    return "not computed" if value is None else f"{value:.2f}"


def _unit(s: SentenceResult, known_refs: set[int]) -> dict[str, Any]:
    pieces, shown = _segments(s)
    types = [t for t, _, _ in TYPES if t in s.types]
    flagged = bool(s.flagged)
    classes = ["unit"]
    if types:
        classes += ["claim", f"t-{types[0]}"]
    if flagged:
        classes.append("flagged")
    note = None
    if flagged or s.findings:
        note = {
            "flagged": flagged,
            "confidence": _confidence(s.confidence),
            "strength": _text(s.strength or "not a claim"),
            "evidence": _text(s.evidence.label),
            "types": ", ".join(_text(t) for t in s.types) or "none",
            "findings": [_finding(f) for f in s.findings],
        }
    return {
        "index": s.index,
        "classes": " ".join(classes),
        "types": [(code, name) for name, code, _ in TYPES if name in types],
        "pieces": pieces,
        "text": shown,
        "flagged": flagged,
        "refs": [n for n in dict.fromkeys(s.evidence.references) if n in known_refs],
        "note": note,
    }


def _blocks(report: Report, known_refs: set[int]) -> list[dict[str, Any]]:
    """The content in reading order: headings, paragraphs, and runs of list items grouped in one list."""
    grouped: dict[int, list[SentenceResult]] = {}
    for s in sorted(report.sentences, key=lambda s: s.index):
        grouped.setdefault(s.block, []).append(s)
    out: list[dict[str, Any]] = []
    for number in sorted(grouped):
        members = grouped[number]
        units = [_unit(s, known_refs) for s in members]
        kinds = {s.unit for s in members}
        kind = "heading" if kinds == {"heading"} else "list_item" if "list_item" in kinds else "paragraph"
        block = {
            "kind": kind,
            "units": units,
            "notes": [u for u in units if u["note"]],
            "has_flag": any(u["flagged"] for u in units),
        }
        if kind == "list_item":
            if out and out[-1]["kind"] == "list":
                out[-1]["entries"].append(block)
                out[-1]["has_flag"] = out[-1]["has_flag"] or block["has_flag"]
            else:
                out.append({"kind": "list", "entries": [block], "has_flag": block["has_flag"]})
        else:
            out.append(block)
    return out


def _targets(f: Finding, report: Report) -> list[int]:
    """The units a page finding points at: its sentence, or the units whose text holds its spans."""
    indices = {s.index for s in report.sentences}
    found: list[int] = []
    if isinstance(f.sentence, int) and f.sentence in indices:
        found.append(f.sentence)
    for cue in f.spans[:_MAX_TARGETS]:  # a page finding's spans carry no unit: find the units whose text holds them
        if not isinstance(cue, Cue) or not 0 <= cue.start < cue.end:
            continue
        found.extend(s.index for s in report.sentences if s.text[cue.start : cue.end] == cue.text)
    return list(dict.fromkeys(found))[:_MAX_TARGETS]


def _reference(ref: Reference, citing: list[int], first: bool, links: bool) -> dict[str, Any]:
    identifiers = []
    for ident in ref.identifiers:
        href = identifier_href(ident.kind, ident.value) if links else None
        identifiers.append({"kind": _text(ident.kind).upper(), "value": _text(ident.value), "href": href})
    return {
        "number": ref.number,
        "anchor": f"ref{ref.number}" if first else None,
        "authors": "; ".join(_text(a) for a in ref.authors),
        "year": "" if ref.year is None else str(ref.year),
        "title": _text(ref.title) if ref.title else "",
        "journal": _text(ref.journal) if ref.journal else "",
        "identifiers": identifiers,
        "text": _text(ref.text),
        "citing": citing,
    }


def _links(report: Report, links: bool) -> list[dict[str, Any]]:
    out = []
    for s in report.sentences:
        for link in s.links:
            href = safe_href(link.url) if links else None
            url = _text(link.url)
            shown = _text(link.text) or url
            scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
            why = "" if href else ("links are off in this report" if not links else f"not linked: {scheme or 'relative or unusual'} URL")
            out.append({"unit": s.index, "text": shown, "url": url, "href": href, "why": why})
    return out


def _utc(moment: datetime.datetime | None) -> datetime.datetime:
    if moment is None:
        return datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def view_model(report: Report, *, checked_at: datetime.datetime | None = None, links: bool = True) -> dict[str, Any]:
    """The plain values the page template shows: cleaned text, counts, segments, links already judged."""
    moment = _utc(checked_at)
    known_refs = {r.number for r in report.references}
    citing: dict[int, list[int]] = {}
    for s in report.sentences:
        for n in dict.fromkeys(s.evidence.references):
            citing.setdefault(n, []).append(s.index)
    seen: set[int] = set()
    references = []
    for ref in report.references:
        references.append(_reference(ref, citing.get(ref.number, []), ref.number not in seen, links))
        seen.add(ref.number)

    claims = [s for s in report.sentences if s.types]
    flagged = [s for s in report.sentences if s.flagged]
    severity_counts = Counter(f.severity for f in report.all_findings())
    severities = [(k, severity_counts.get(k, 0)) for k in SEVERITIES]
    severities += [(_text(k), n) for k, n in sorted(severity_counts.items()) if k not in SEVERITIES]
    if not report.classified:
        verdict = "Claims were not classified on this page (see the notices)."
    elif flagged:
        verdict = f"{len(flagged)} of {len(claims)} claims flagged: worded more strongly than their evidence."
    else:
        verdict = f"No claim flagged: none of the {len(claims)} claims is worded more strongly than its evidence."
    title = _text(report.title).strip() or _text(report.source).strip() or "Untitled page"
    language = report.language if isinstance(report.language, str) and _LANGUAGE_TAG.fullmatch(report.language) else None
    return {
        "csp": CSP,
        "title": title,
        "source": _text(report.source),
        "url": _text(report.url) if report.url and report.url != report.source else None,
        "canonical": _text(report.canonical) if report.canonical else None,
        "author": _text(report.author) if report.author else None,
        "date": _text(report.date) if report.date else None,
        "language": language,
        "checked_at": moment.strftime("%Y-%m-%d %H:%M UTC"),
        "checked_at_iso": moment.isoformat(timespec="seconds"),
        "version": __version__,
        "model": _text(report.model) if report.model else "none (units not classified)",
        "min_confidence": "not applicable" if report.min_confidence is None else f"{report.min_confidence:.2f}",
        "verdict": verdict,
        "flagged_count": len(flagged),
        "counts": {"units": len(report.sentences), "claims": len(claims), "flagged": len(flagged), "references": len(report.references)},
        "severities": severities,
        "notices": [_text(n) for n in report.notices],
        "page_findings": [{**_finding(f), "targets": _targets(f, report)} for f in report.findings],
        "flagged": [
            {"index": s.index, "text": _text(s.text), "rules": ", ".join(dict.fromkeys(_text(f.rule) for f in s.findings))} for s in flagged
        ],
        "types": TYPES,
        "blocks": _blocks(report, known_refs),
        "references": references,
        "links": _links(report, links),
        "links_live": links,
    }


# -- rendering -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """The jinja2 environment of claimcheck's templates (autoescape on, undefined names an error), built once."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("claimcheck", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: Report, *, checked_at: datetime.datetime | None = None, links: bool = True) -> str:
    """The whole HTML document for ``report``: self-contained, script-free, readable offline and printable.

    ``checked_at`` is shown as the date checked (default: now; a naive datetime is taken as UTC).
    With ``links=False`` no URL becomes a live link; in-report anchors stay.
    """
    return template_environment().get_template("page.html.j2").render(page=view_model(report, checked_at=checked_at, links=links))
