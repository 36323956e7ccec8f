"""The site summary of an audit: counts, findings by rule and severity, frequent flagged phrases,
the worst pages and each site, read from audit.sqlite and written as CSV (display.py shows it on a terminal).

Text cells lose control characters and escape sequences (newlines and tabs stay; see
claimcheck.terminal), and cells a spreadsheet would run as formulas (starting with = + - @, a tab
or a carriage return) are prefixed with an apostrophe in CSV output.
"""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..terminal import clean
from ..vocabulary import SEVERITY_RANK

SEVERITY_WEIGHT = f"CASE severity {' '.join(f'WHEN {s!r} THEN {r}' for s, r in SEVERITY_RANK.items())} ELSE 1 END"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SiteSummary:
    """What an audit found, over all its pages."""

    totals: dict[str, int]
    rules: tuple[tuple[str, str, int, int], ...]  # rule, severity, findings, pages
    phrases: tuple[tuple[str, int, int], ...]  # phrase, findings, pages
    worst: tuple[tuple[str, str | None, int, int, int, int], ...]  # key, title, score, high, flagged, findings
    sites: tuple[tuple[str, int, int, int, int, int], ...]  # host, pages, checked, failed, flagged pages, findings
    failures: tuple[tuple[str, str], ...]  # key, error (first ones)

    @property
    def severities(self) -> frozenset[str]:
        """The severities of all findings."""
        return frozenset(severity for _rule, severity, _n, _pages in self.rules)


def site_summary(out: str | Path, top: int = 20) -> SiteSummary:
    """Summarise the audit in ``out`` (it may still be running or have been stopped)."""
    db = sqlite3.connect(f"file:{Path(out) / 'audit.sqlite'}?mode=ro", uri=True)
    try:
        status = dict(db.execute("SELECT status, COUNT(*) FROM pages GROUP BY status").fetchall())
        sums = db.execute(
            "SELECT COALESCE(SUM(units), 0), COALESCE(SUM(claims), 0), COALESCE(SUM(flagged), 0), COALESCE(SUM(findings), 0),"
            " COALESCE(SUM(flagged > 0), 0) FROM pages WHERE status = 'done'"
        ).fetchone()
        totals = {
            "pages": sum(status.values()),
            "checked": status.get("done", 0),
            "failed": status.get("failed", 0),
            "skipped": status.get("skipped", 0),
            "pending": status.get("queued", 0),
            "flagged_pages": sums[4],
            "sentences": sums[0],
            "claims": sums[1],
            "flagged_claims": sums[2],
            "findings": sums[3],
        }
        rules = db.execute(
            "SELECT rule, severity, COUNT(*), COUNT(DISTINCT page_key) FROM findings GROUP BY rule, severity"
            f" ORDER BY {SEVERITY_WEIGHT} DESC, COUNT(*) DESC, rule"
        ).fetchall()
        counts: Counter[str] = Counter()
        pages: dict[str, set[str]] = {}
        for key, phrase in db.execute("SELECT page_key, phrase FROM findings WHERE phrase IS NOT NULL"):
            for word in phrase.split("; "):
                counts[word] += 1
                pages.setdefault(word, set()).add(key)
        phrases = tuple((p, n, len(pages[p])) for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
        worst = db.execute(
            f"SELECT f.page_key, p.title, SUM({SEVERITY_WEIGHT}) AS score, SUM(severity = 'high'), p.flagged, COUNT(*)"
            " FROM findings f JOIN pages p ON p.key = f.page_key GROUP BY f.page_key"
            " ORDER BY score DESC, p.flagged DESC, f.page_key LIMIT ?",
            (top,),
        ).fetchall()
        sites = db.execute(
            "SELECT COALESCE(host, '(files)'), COUNT(*), SUM(status = 'done'), SUM(status = 'failed'),"
            " SUM(status = 'done' AND flagged > 0), COALESCE(SUM(findings), 0)"
            " FROM pages GROUP BY COALESCE(host, '(files)') ORDER BY COUNT(*) DESC, 1"
        ).fetchall()
        failures = db.execute("SELECT key, error FROM pages WHERE status = 'failed' ORDER BY seq LIMIT ?", (top,)).fetchall()
    finally:
        db.close()
    return SiteSummary(totals, tuple(rules), phrases, tuple(worst), tuple(sites), tuple(failures))


def neutralise(value: object) -> object:
    """A CSV cell without control characters that a spreadsheet will show as text, never run as a formula."""
    if not isinstance(value, str):
        return value
    value = clean(value, newlines=True)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralise(v) for v in row])


def write_summary(out: str | Path, summary: SiteSummary | None = None) -> list[Path]:
    """Write summary.csv, pages.csv and sites.csv into ``out``; return their paths."""
    out = Path(out)
    summary = summary or site_summary(out)
    rows: list[tuple] = [("total", name, value, "", "") for name, value in summary.totals.items()]
    rows += [("rule", rule, n, pages, severity) for rule, severity, n, pages in summary.rules]
    rows += [("phrase", phrase, n, pages, "") for phrase, n, pages in summary.phrases]
    rows += [("worst_page", key, n, high, title or "") for key, title, _score, high, _flagged, n in summary.worst]
    rows += [("failed_page", key, "", "", error or "") for key, error in summary.failures]
    paths = [out / "summary.csv", out / "pages.csv", out / "sites.csv"]
    _write_csv(paths[0], ["section", "item", "count", "pages", "detail"], rows)
    db = sqlite3.connect(f"file:{out / 'audit.sqlite'}?mode=ro", uri=True)
    try:
        cursor = db.execute(
            "SELECT key, status, origin, host, final_url, title, units, claims, flagged, findings, max_severity, error, attempts"
            " FROM pages ORDER BY seq"
        )
        _write_csv(paths[1], [d[0] for d in cursor.description], cursor)
    finally:
        db.close()
    _write_csv(paths[2], ["host", "pages", "checked", "failed", "flagged_pages", "findings"], summary.sites)
    return paths
