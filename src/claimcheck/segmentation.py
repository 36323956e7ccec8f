"""Split the cleaned blocks into units: sentences of paragraphs, and whole headings and list items.

spaCy's blank English pipeline with the rule-based sentencizer; abbreviations that end in a period
(et al., vol., Fig., e.g.) do not end a sentence, and a citation marker after the full stop stays
with the sentence it follows.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .records import Block, Document, Link, Marker, Unit

_ABBREVIATIONS = (
    "al.",
    "vol.",
    "Vol.",
    "pp.",
    "p.",
    "Fig.",
    "fig.",
    "Figs.",
    "e.g.",
    "i.e.",
    "Dr.",
    "Drs.",
    "vs.",
    "No.",
    "no.",
    "approx.",
    "Inc.",
    "Ltd.",
    "Co.",
    "St.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Prof.",
    "Ref.",
    "ed.",
    "eds.",
    "Jr.",
    "Sr.",
    "cf.",
    "etc.",
    "ca.",
    "min.",
    "max.",
    "mg.",
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "Aug.",
    "Sept.",
    "Sep.",
    "Oct.",
    "Nov.",
    "Dec.",
    "U.S.",
    "U.K.",
    "Ph.D.",
    "M.D.",
    "D.O.",
    "N.D.",
    "B.Sc.",
    "M.Sc.",
    "Nos.",
    "Eq.",
    "Suppl.",
)
_BRACKET_MARKER = re.compile(r"\[\s*\d{1,3}(?:\s*[,\u2013\-]\s*\d{1,3})*\s*\]")
_WHOLE_UNITS = {"heading", "list_item"}  # units of their own, never split


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for abbreviation in _ABBREVIATIONS:
        nlp.tokenizer.add_special_case(abbreviation, [{"ORTH": abbreviation}])
    return nlp


def segment(doc: Document) -> tuple[Unit, ...]:
    """Every unit of the document's main content, in document order."""
    nlp = _nlp()
    prose = [(b, block) for b, block in enumerate(doc.blocks) if block.kind not in _WHOLE_UNITS]
    masked = [_mask(block) for _, block in prose]
    # sentence-split all paragraph-like blocks in one batch
    spans = {b: _sentence_spans(parsed, text) for (b, _), parsed, text in zip(prose, nlp.pipe(masked), masked)}
    units: list[Unit] = []
    for b, block in enumerate(doc.blocks):
        if b in spans:
            first = len(units)
            units.extend(_unit(first + k, b, block, start, end, "sentence") for k, (start, end) in enumerate(spans[b]))
        else:
            units.append(_unit(len(units), b, block, 0, len(block.text), block.kind))
    return tuple(units)


def _mask(block: Block) -> str:
    """The block's text with citation markers blanked out, so they never split a sentence."""
    chars = list(block.text)
    spans = [(m.start, m.end) for m in block.markers]
    spans += [(m.start(), m.end()) for m in _BRACKET_MARKER.finditer(block.text)]
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _sentence_spans(parsed, masked: str) -> list[tuple[int, int]]:
    starts = []
    for sent in parsed.sents:
        first = next((tok for tok in sent if not tok.is_space), None)
        if first is not None:
            starts.append(first.idx)
    if starts:
        starts[0] = 0
    return [(start, starts[i + 1] if i + 1 < len(starts) else len(masked)) for i, start in enumerate(starts)]


def _unit(index: int, b: int, block: Block, start: int, end: int, kind: str) -> Unit:
    raw = block.text[start:end]
    lead = len(raw) - len(raw.lstrip())
    start += lead
    text = raw.strip()
    end = start + len(text)
    links = tuple(Link(lk.start - start, lk.end - start, lk.text, lk.url) for lk in block.links if start <= lk.start < end)
    markers = tuple(Marker(m.start - start, m.end - start, m.text, m.target) for m in block.markers if start <= m.start < end)
    return Unit(index, b, text, kind, links, markers)
