"""Render a Report: the JSON object others build on, and the terminal view.

The JSON keys are a contract: new keys may be added, existing ones are never renamed.
"""

from __future__ import annotations

import json
from collections import Counter

from .records import Cue, Evidence, Finding, Identifier, Link, Mismatch, Reference, ReferenceCheck, Report, SentenceResult, Sources, Wording
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
        "interventions": list(ref.interventions),
        "conditions": list(ref.conditions),
        "level": ref.level,
        "check": ref.check.to_dict() if ref.check else None,
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


def _cue(data: dict) -> Cue:
    return Cue(data["start"], data["end"], data["text"], data["kind"], data["field"])


def _finding(data: dict, sentence: int | None) -> Finding:
    spans = tuple(_cue(c) for c in data.get("spans", ()))
    return Finding(data["rule"], data["name"], data["severity"], data["message"], spans, sentence, data.get("accepted"))


def _identifier(data: dict) -> Identifier:
    return Identifier(data["kind"], data["value"])


def _sources(data: dict | None) -> Sources:
    data = data or {}
    return Sources(
        references=tuple(data.get("references", ())),
        urls=tuple(data.get("urls", ())),
        identifiers=tuple(_identifier(i) for i in data.get("identifiers", ())),
        unresolved=tuple(data.get("unresolved", ())),
        unmatched=tuple(data.get("unmatched", ())),
    )


def _sentence(data: dict) -> SentenceResult:
    cues = [_cue(c) for c in data.get("cues", ())]
    wording_cues = tuple(c for c in cues if c.field == "wording")
    wording = Wording(data["wording"], wording_cues, tuple(sorted({c.kind for c in wording_cues})))
    evidence = Evidence(data["evidence"], tuple(c for c in cues if c.field != "wording"), tuple(data.get("references", ())))
    index = data["index"]
    return SentenceResult(
        index=index,
        block=data["block"],
        text=data["text"],
        unit=data["unit"],
        types=tuple(data.get("types", ())),
        wording=wording,
        evidence=evidence,
        findings=tuple(_finding(f, index) for f in data.get("findings", ())),
        links=tuple(Link(-1, -1, lk["text"], lk["url"]) for lk in data.get("links", ())),
        confidence=data.get("confidence"),
        flagged=data.get("flagged"),
        sources=_sources(data.get("sources")),
        mismatches=tuple(Mismatch(m["kind"], m["claim"], m["source"], tuple(m.get("sources", ()))) for m in data.get("mismatches") or ()),
    )


def _reference(data: dict) -> Reference:
    return Reference(
        number=data["number"],
        label=None,
        text=data["text"],
        identifiers=tuple(_identifier(i) for i in data.get("identifiers", ())),
        authors=tuple(data.get("authors", ())),
        year=data.get("year"),
        title=data.get("title"),
        journal=data.get("journal"),
        interventions=tuple(data.get("interventions", ())),
        conditions=tuple(data.get("conditions", ())),
        level=data.get("level"),
        check=_reference_check(data["check"]) if data.get("check") else None,
    )


def _reference_check(data: dict) -> ReferenceCheck:
    return ReferenceCheck(
        data.get("number", 0),
        data["status"],
        data.get("via"),
        data.get("doi"),
        data.get("title"),
        tuple(data.get("differences", ())),
        data.get("reason"),
    )


def report_from_dict(data: dict) -> Report:
    """The Report a :func:`to_dict` object (a ``--format json`` report or a reports.jsonl line) was made from.

    The JSON does not hold every field, so these come back as follows (nothing rendered depends on them):

    - ``Wording.kinds`` holds the kinds of the deciding cues only, sorted (the JSON does not list the
      others) and ``Wording.found`` is empty;
    - ``Evidence.adjacent`` is False;
    - a sentence's ``Link`` has offsets -1, -1 (the JSON keeps its text and URL only);
    - ``Reference.label`` and ``Reference.anchor`` are None, and ``interventions``, ``conditions`` and
      ``level`` take their defaults unless the JSON holds them.

    Every other field comes back equal, so :func:`claimcheck.html_report.render_html` gives the same page.

    Extra keys (``key``, ``summary``, keys added later) are ignored.
    """
    return Report(
        source=data["source"],
        sentences=tuple(_sentence(s) for s in data.get("sentences", ())),
        references=tuple(_reference(r) for r in data.get("references", ())),
        findings=tuple(_finding(f, None) for f in data.get("findings", ())),
        url=data.get("url"),
        title=data.get("title"),
        author=data.get("author"),
        date=data.get("date"),
        canonical=data.get("canonical"),
        language=data.get("language"),
        classified=data.get("classified", True),
        notices=tuple(data.get("notices", ())),
        min_confidence=data.get("min_confidence"),
        model=data.get("model"),
    )


def to_json(report: Report, indent: int | None = 2) -> str:
    """The report as a JSON string."""
    return json.dumps(to_dict(report), ensure_ascii=False, indent=indent)


def max_severity(report: Report) -> str | None:
    """The highest severity among the findings nobody accepted, or None."""
    ranks = [SEVERITY_RANK[f.severity] for f in report.open_findings()]
    if not ranks:
        return None
    best = max(ranks)
    return next(k for k, v in SEVERITY_RANK.items() if v == best)


_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def render_text(report: Report, console, all_claims: bool = False) -> None:
    """Print the terminal view: flagged sentences first, then other findings, then a summary.

    With ``all_claims`` every claim is listed after the flagged ones. On a terminal each flagged
    sentence sits in a panel; elsewhere (a pipe, a file) the view is plain lines, never wrapped.
    Page text (sentences, title, source, messages quoting the page) is cleaned of control
    characters and escape sequences and printed as Text, never as rich markup.
    """
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    from .terminal import clean, clean_with_offsets
    from .terminal import text as safe

    def finding_line(f: Finding, indent: str = "") -> Text:
        note = f"  (accepted: {f.accepted})" if f.accepted is not None else ""
        return Text.assemble((f"{indent}{f.rule} {f.severity}", _STYLE[f.severity]), clean(f"  {f.name}: {f.message}{note}", newlines=True))

    def marked(s: SentenceResult, style: str) -> Text:
        shown, offsets = clean_with_offsets(s.text, newlines=True)
        body = Text(shown)
        for cue in s.wording.cues:
            if cue.kind != "testimonial" and cue.kind != "pseudo_hedge" and 0 <= cue.start <= cue.end <= len(s.text):
                body.stylize(style, offsets[cue.start], offsets[cue.end])
        return body

    def meta(s: SentenceResult) -> str:
        confidence = "" if s.confidence is None else f"  confidence={s.confidence:.2f}"
        return clean(f"{s.unit} #{s.index}{confidence}  types={','.join(s.types)}  strength={s.strength}  evidence={s.evidence.label}")

    console.print(safe(report.title or report.source, "bold"))
    if report.title:
        console.print(safe(report.source, "dim"))
    for notice in report.notices:
        console.print(safe(f"note: {notice}", "yellow", newlines=True))
    flagged = [s for s in report.flagged if any(f.accepted is None for f in s.findings) or not s.findings]
    accepted = [s for s in report.flagged if s.findings and all(f.accepted is not None for f in s.findings)]
    at = "" if report.min_confidence is None else f" (confidence at least {report.min_confidence:.2f})"
    if flagged:
        console.print(Text(f"\n{len(flagged)} flagged claim(s): worded more strongly than their evidence{at}", style="bold"))
    elif report.classified:
        console.print(Text(f"\nNo flagged claims: no claim is worded more strongly than its evidence{at}.", style="bold green"))
    for s in flagged:
        lines = [marked(s, "bold red underline"), *(finding_line(f) for f in s.findings)]
        if console.is_terminal:
            console.print(Panel(Text("\n").join(lines), title=escape(meta(s)), title_align="left", border_style="red"))
        else:
            console.print(Text("\n").join([Text(f"- {meta(s)}", style="bold"), *(Text("  ") + line for line in lines)]))
    if accepted:
        console.print(Text(f"\nAccepted flags ({len(accepted)}): flagged, and accepted in the acceptance file", style="bold"))
        for s in accepted:
            console.print(
                Text("\n").join([Text(f"- {meta(s)}"), Text("  ") + marked(s, "underline"), *(finding_line(f, "  ") for f in s.findings)])
            )
    if all_claims:
        claims = [s for s in report.sentences if s.types and not s.flagged]
        console.print(Text(f"\nOther claims ({len(claims)})", style="bold"))
        for s in claims:
            console.print(Text("\n").join([Text(f"- {meta(s)}", style="dim"), Text("  ") + marked(s, "bold")]))
    others = [(s, f) for s in report.sentences if not s.flagged for f in s.findings]
    if others:
        console.print(Text("\nOther findings", style="bold"))
        for s, f in others:
            quoted = clean(f"\n    \u201c{s.text}\u201d", newlines=True)
            console.print(finding_line(f) + Text(quoted))
    if report.findings:
        console.print(Text("\nPage findings", style="bold"))
        for f in report.findings:
            console.print(finding_line(f))
    counts = summary(report)
    console.print(
        Text(
            f"\n{counts['units']} units, {counts['claims']} claims, {counts['flagged']} flagged; "
            f"{counts['references']} references ({counts['references_with_identifiers']} with identifiers); "
            f"findings: {', '.join(f'{v} {k}' for k, v in sorted(counts['findings'].items(), key=lambda kv: -SEVERITY_RANK[kv[0]])) or 'none'}",
            style="bold",
        )
    )
