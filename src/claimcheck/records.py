"""Immutable records that flow through the stages: page -> document -> units -> analysis -> report.

They hold character offsets, never spaCy or lxml objects, so each one serialises to JSON and can be
built by hand in a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """A fetched or read input, decoded to text."""

    source: str
    text: str
    kind: str  # "html" | "text"
    url: str | None = None
    content_type: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Link:
    """An inline link; offsets are relative to the text that holds it."""

    start: int
    end: int
    text: str
    url: str


@dataclass(frozen=True)
class Marker:
    """A superscript or anchor citation marker; offsets relative to the text that holds it."""

    start: int
    end: int
    text: str
    target: str | None = None  # "#ref3" style fragment, when the marker is a link


@dataclass(frozen=True)
class Block:
    """One block of main content: a paragraph, heading, list item, table cell, quote or caption."""

    kind: str  # paragraph | heading | list_item | table_cell | quote | caption
    text: str
    links: tuple[Link, ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(frozen=True)
class Identifier:
    """A persistent identifier found in a reference entry or a link."""

    kind: str  # doi | pmid | pmcid | nct | isrctn | arxiv | isbn | url
    value: str


@dataclass(frozen=True)
class ReferenceCheck:
    """Whether a reference entry exists, from Crossref or NCBI (``--verify-references``)."""

    number: int  # Reference.number
    status: str  # found | not_found | mismatch | undecided
    via: str | None  # doi | pmid | pmcid | bibliographic | None
    doi: str | None = None  # the matched record's DOI
    title: str | None = None  # the matched record's title
    differences: tuple[str, ...] = ()  # the fields that disagree, for "mismatch"
    reason: str | None = None  # why, for "undecided"

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "status": self.status,
            "via": self.via,
            "doi": self.doi,
            "title": self.title,
            "differences": list(self.differences),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Reference:
    """One entry of the page's reference list, parsed."""

    number: int
    label: str | None
    text: str
    identifiers: tuple[Identifier, ...] = ()
    authors: tuple[str, ...] = ()
    year: int | None = None
    title: str | None = None
    journal: str | None = None
    anchor: str | None = None  # the entry's HTML id, for "#ref3" markers
    interventions: tuple[str, ...] = ()  # what the entry is about, read from its words (matching.py)
    conditions: tuple[str, ...] = ()
    level: str | None = None  # the kind of study: review | rct | cohort | case_report | animal | in_vitro
    check: ReferenceCheck | None = None  # whether it exists, when references were verified


@dataclass(frozen=True)
class Document:
    """A page cleaned to its main content."""

    source: str
    blocks: tuple[Block, ...]
    references: tuple[Reference, ...] = ()
    url: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    canonical: str | None = None
    language: str | None = None
    kind: str = "html"  # html | text: plain text has no metadata to look for
    subject: tuple[str, ...] = ()  # the conditions the page is about (matching.py), once its units are read


@dataclass(frozen=True)
class Unit:
    """One unit of main content: a sentence, a heading or a list item."""

    index: int
    block: int
    text: str
    unit: str  # sentence | heading | list_item
    links: tuple[Link, ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(frozen=True)
class Cue:
    """A span of a unit's text that made a judgement, with its category."""

    start: int
    end: int
    text: str
    kind: str
    field: str  # wording | evidence | rule

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind, "field": self.field}


@dataclass(frozen=True)
class Wording:
    """How strongly a unit is worded, and the cues that decided it."""

    label: str  # strong | moderate | hedged
    cues: tuple[Cue, ...] = ()
    kinds: tuple[str, ...] = ()  # every cue kind found in the unit, deciding or not
    found: tuple[Cue, ...] = field(default=(), repr=False, compare=False)  # every cue, deciding or not

    def has(self, kind: str) -> bool:
        """Whether any cue of this kind decided the wording."""
        return any(c.kind == kind for c in self.cues)


@dataclass(frozen=True)
class Evidence:
    """What backs a unit: cited, described or none, with the cues and the references it cites."""

    label: str  # cited | described | none
    cues: tuple[Cue, ...] = ()
    references: tuple[int, ...] = ()  # reference numbers
    adjacent: bool = False  # cited through the neighbouring sentence


@dataclass(frozen=True)
class Finding:
    """One rule that fired, with the words that triggered it."""

    rule: str
    name: str
    severity: str  # high | medium | low
    message: str
    spans: tuple[Cue, ...] = ()
    sentence: int | None = None
    accepted: str | None = None  # why a reviewer accepted it (an acceptance file); None while open

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "spans": [s.to_dict() for s in self.spans],
            "accepted": self.accepted,
        }


MISMATCH_FLAGS = ("other_condition", "other_intervention", "animal_for_human", "weak_for_strong")


@dataclass(frozen=True)
class Sources:
    """What a cited unit relies on: reference entries, source links, identifiers in its text.

    ``unresolved`` holds the markers that point at no entry of the reference list, ``unmatched``
    the author-year citations that match no entry.
    """

    references: tuple[int, ...] = ()
    urls: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    unresolved: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "references": list(self.references),
            "urls": list(self.urls),
            "identifiers": [{"kind": i.kind, "value": i.value} for i in self.identifiers],
            "unresolved": list(self.unresolved),
            "unmatched": list(self.unmatched),
        }


@dataclass(frozen=True)
class Mismatch:
    """A way a claim's sources fail it, with the words on both sides that decided it.

    ``kind``: other_condition | other_intervention | animal_for_human | weak_for_strong |
    marker_without_entry | author_year_without_entry.
    """

    kind: str
    claim: str  # the claim's words ("endometriosis"), or what the claim is ("a claim about people")
    source: str  # the source's words ("fibromyalgia", "in mice", "case report")
    sources: tuple[str, ...] = ()  # the sources judged: "[3]" or a URL

    def to_dict(self) -> dict:
        return {"kind": self.kind, "claim": self.claim, "source": self.source, "sources": list(self.sources)}


@dataclass(frozen=True)
class SentenceResult:
    """Everything claimcheck concluded about one unit."""

    index: int
    block: int
    text: str
    unit: str
    types: tuple[str, ...]
    wording: Wording
    evidence: Evidence
    findings: tuple[Finding, ...] = ()
    links: tuple[Link, ...] = ()
    confidence: float | None = None  # calibrated probability that the unit is a flaggable claim
    flagged: bool | None = None  # None: derived from the labels alone (see ``flaggable``)
    sources: Sources = field(default_factory=Sources)
    mismatches: tuple[Mismatch, ...] = ()

    def __post_init__(self) -> None:
        if self.flagged is None:
            object.__setattr__(self, "flagged", self.flaggable)

    @property
    def strength(self) -> str | None:
        """The wording when the unit makes a claim, else None."""
        return self.wording.label if self.types else None

    @property
    def flaggable(self) -> bool:
        """A claim worded more strongly than its evidence (ANNOTATION.md section 4), whatever the confidence.

        ``flagged`` is this and, when the checker has a confidence threshold, a confidence at or above it.
        """
        return bool(self.types) and self.strength == "strong" and self.evidence.label != "cited"

    @property
    def mismatched(self) -> bool:
        """A cited claim whose sources do not match it (another condition or intervention, animal work,
        a case report behind a strong claim): flagged whatever its wording (ANNOTATION.md section 4)."""
        return bool(self.types) and any(m.kind in MISMATCH_FLAGS for m in self.mismatches)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "block": self.block,
            "text": self.text,
            "unit": self.unit,
            "types": list(self.types),
            "wording": self.wording.label,
            "strength": self.strength,
            "evidence": self.evidence.label,
            "flagged": self.flagged,
            "confidence": None if self.confidence is None else float(self.confidence),  # unrounded: read back, it shows the same
            "findings": [f.to_dict() for f in self.findings],
            "cues": [c.to_dict() for c in (*self.wording.cues, *self.evidence.cues)],
            "references": list(self.evidence.references),
            "links": [{"text": lk.text, "url": lk.url} for lk in self.links],
            "sources": self.sources.to_dict(),
            "mismatches": [m.to_dict() for m in self.mismatches],
        }


@dataclass(frozen=True)
class Analysis:
    """What the checker concluded about a segmented document: each unit's result and the page findings.

    ``classified`` is False when the document's language is not one the models read; ``notices`` say why.
    """

    sentences: tuple[SentenceResult, ...]
    findings: tuple[Finding, ...] = ()
    classified: bool = True
    notices: tuple[str, ...] = ()
    min_confidence: float | None = None  # the confidence a flag needed; None when nothing was classified


@dataclass(frozen=True)
class Report:
    """The result of checking one page."""

    source: str
    sentences: tuple[SentenceResult, ...]
    references: tuple[Reference, ...] = ()
    findings: tuple[Finding, ...] = ()
    url: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    canonical: str | None = None
    language: str | None = None
    classified: bool = True
    notices: tuple[str, ...] = field(default=())
    min_confidence: float | None = None  # the confidence a flag needed
    model: str | None = None  # the model that classified the units (None when they were not classified)

    @property
    def flagged(self) -> tuple[SentenceResult, ...]:
        """The flagged sentences, in document order."""
        return tuple(s for s in self.sentences if s.flagged)

    def all_findings(self) -> tuple[Finding, ...]:
        """Page-level findings followed by every sentence's findings."""
        return (*self.findings, *(f for s in self.sentences for f in s.findings))

    def open_findings(self) -> tuple[Finding, ...]:
        """The findings nobody has accepted (see :mod:`claimcheck.acceptance`)."""
        return tuple(f for f in self.all_findings() if f.accepted is None)
