"""Render a Report: the JSON object others build on, and the terminal view.

The JSON keys are a contract: new keys may be added, existing ones are never renamed.
"""

from __future__ import annotations

import json
from collections import Counter

from .records import Reference, Report
from .version import __version__
from .vocabulary import SEVERITY_RANK

SCHEMA_VERSION = "1.0"


def summary(report: Report) -> dict:
    """Counts over the report."""
    claims = [s for s in report.sentences if s.types]
    findings = report.all_findings()
    return {
        "units": len(report.sentences),
        "claims": len(claims),
        "flagged": len(report.flagged),
        "types": dict(Counter(t for s in claims for t in s.types)),
        "strength": dict(Counter(s.strength for s in claims)),
        "evidence": dict(Counter(s.evidence.label for s in claims)),
        "references": len(report.references),
        "references_with_identifiers": sum(1 for r in report.references if r.identifiers),
        "findings": dict(Counter(f.severity for f in findings)),
        "rules": dict(Counter(f.rule for f in findings)),
    }


def _reference_dict(ref: Reference, citing: list[int]) -> dict:
    return {
        "number": ref.number,
        "text": ref.text,
        "identifiers": [{"kind": i.kind, "value": i.value} for i in ref.identifiers],
        "authors": list(ref.authors),
        "year": ref.year,
        "title": ref.title,
        "journal": ref.journal,
        "cited_by": citing,
    }


def to_dict(report: Report) -> dict:
    """The report as the JSON-ready object described in the README."""
    citing: dict[int, list[int]] = {}
    for s in report.sentences:
        for n in s.evidence.references:
            citing.setdefault(n, []).append(s.index)
    return {
        "schema_version": SCHEMA_VERSION,
        "claimcheck_version": __version__,
        "source": report.source,
        "url": report.url,
        "title": report.title,
        "author": report.author,
        "date": report.date,
        "canonical": report.canonical,
        "language": report.language,
        "classified": report.classified,
        "notices": list(report.notices),
        "min_confidence": report.min_confidence,
        "model": report.model,
        "sentences": [s.to_dict() for s in report.sentences],
        "references": [_reference_dict(r, citing.get(r.number, [])) for r in report.references],
        "findings": [f.to_dict() for f in report.findings],
        "summary": summary(report),
    }


def to_json(report: Report, indent: int | None = 2) -> str:
    """The report as a JSON string."""
    return json.dumps(to_dict(report), ensure_ascii=False, indent=indent)


def max_severity(report: Report) -> str | None:
    """The highest severity among all findings, or None."""
    ranks = [SEVERITY_RANK[f.severity] for f in report.all_findings()]
    if not ranks:
        return None
    best = max(ranks)
    return next(k for k, v in SEVERITY_RANK.items() if v == best)


_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def render_text(report: Report, console) -> None:
    """Print the terminal view: flagged sentences first, then other findings, then a summary.

    Page text (sentences, title, source, messages quoting the page) is cleaned of control
    characters and escape sequences and printed as Text, never as rich markup.
    """
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    from .terminal import clean, clean_with_offsets
    from .terminal import text as safe

    console.print(safe(report.title or report.source, "bold"))
    console.print(safe(report.source, "dim"))
    for notice in report.notices:
        console.print(safe(f"note: {notice}", "yellow", newlines=True))
    flagged = report.flagged
    if flagged:
        at = "" if report.min_confidence is None else f" (confidence at least {report.min_confidence:.2f})"
        console.print(Text(f"\n{len(flagged)} flagged claim(s): worded more strongly than their evidence{at}", style="bold"))
    for s in flagged:
        shown, offsets = clean_with_offsets(s.text, newlines=True)
        body = Text(shown)
        for cue in s.wording.cues:
            if cue.kind != "testimonial" and cue.kind != "pseudo_hedge" and 0 <= cue.start <= cue.end <= len(s.text):
                body.stylize("bold red underline", offsets[cue.start], offsets[cue.end])
        lines = [body]
        for f in s.findings:
            lines.append(Text.assemble((f"{f.rule} {f.severity}", _STYLE[f.severity]), clean(f"  {f.name}: {f.message}", newlines=True)))
        confidence = "" if s.confidence is None else f"  confidence={s.confidence:.2f}"
        meta = f"{s.unit} #{s.index}{confidence}  types={','.join(s.types)}  strength={s.strength}  evidence={s.evidence.label}"
        console.print(Panel(Text("\n").join(lines), title=escape(clean(meta)), title_align="left", border_style="red"))
    others = [(s, f) for s in report.sentences if not s.flagged for f in s.findings]
    if others:
        console.print(Text("\nOther findings", style="bold"))
        for s, f in others:
            quoted = clean(f"  {f.message}\n    \u201c{s.text}\u201d", newlines=True)
            console.print(Text.assemble((f"{f.rule} {f.severity}", _STYLE[f.severity]), quoted))
    if report.findings:
        console.print(Text("\nPage findings", style="bold"))
        for f in report.findings:
            console.print(Text.assemble((f"{f.rule} {f.severity}", _STYLE[f.severity]), clean(f"  {f.name}: {f.message}", newlines=True)))
    counts = summary(report)
    console.print(
        Text(
            f"\n{counts['units']} units, {counts['claims']} claims, {counts['flagged']} flagged; "
            f"{counts['references']} references ({counts['references_with_identifiers']} with identifiers); "
            f"findings: {', '.join(f'{v} {k}' for k, v in sorted(counts['findings'].items(), key=lambda kv: -SEVERITY_RANK[kv[0]])) or 'none'}",
            style="bold",
        )
    )
