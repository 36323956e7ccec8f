"""Accepted findings: what a reviewer has looked at and accepted, kept in the report and marked so.

An acceptance file has one entry per line, ``PAGE RULE [reason]``: PAGE is a page as it was given
(its URL or file path, or the URL it ended at) or ``*`` for every page, RULE a rule id such as
``CC101`` or ``*`` for every rule, and the rest of the line the reason. Blank lines and lines
starting with ``#`` are skipped::

    # reviewed with the clinic's counsel, 2026-12-01
    https://clinic.example/blog/ldn  CC104  the trial is cited in the sidebar
    *                                CC202  reference lists are checked by hand

A matching finding is never dropped: it stays in the report with ``accepted`` set to the reason,
is shown apart from the open findings, and does not count for ``--fail-on``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InputError
from .records import Finding, Report
from .rules import load_rules


@dataclass(frozen=True)
class Acceptance:
    """One line of an acceptance file."""

    page: str
    rule: str
    reason: str
    line: int

    def matches(self, report: Report, finding: Finding) -> bool:
        """Whether this entry accepts ``finding`` of ``report``."""
        pages = {_norm(report.source), _norm(report.url)}
        return (self.page == "*" or _norm(self.page) in pages) and self.rule in ("*", finding.rule)


def _norm(page: str | None) -> str | None:
    return page.rstrip("/") if page else page


def load_acceptances(path: str | Path) -> tuple[Acceptance, ...]:
    """Read and validate an acceptance file; InputError names the file, the line and the reason."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such acceptance file", source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the acceptance file ({getattr(exc, 'strerror', None) or exc})", source) from None
    known = {rule.id for rule in load_rules().rules}
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise InputError(f"line {number}: expected PAGE RULE [reason], got {line[:60]!r}", source)
        page, rule = parts[0], parts[1]
        if rule != "*" and rule not in known:
            raise InputError(f"line {number}: unknown rule {rule[:20]!r} (rules: {', '.join(sorted(known))})", source)
        reason = parts[2].strip() if len(parts) > 2 else f"accepted ({Path(path).name} line {number})"
        entries.append(Acceptance(page, rule, reason, number))
    return tuple(entries)


def accept(report: Report, acceptances: tuple[Acceptance, ...]) -> tuple[Report, set[int]]:
    """The report with every finding an entry matches marked accepted; and the lines of the entries that matched."""
    used: set[int] = set()

    def mark(finding: Finding) -> Finding:
        for entry in acceptances:
            if entry.matches(report, finding):
                used.add(entry.line)
                return replace(finding, accepted=entry.reason)
        return finding

    if not acceptances:
        return report, used
    sentences = tuple(replace(s, findings=tuple(mark(f) for f in s.findings)) if s.findings else s for s in report.sentences)
    return replace(report, sentences=sentences, findings=tuple(mark(f) for f in report.findings)), used
