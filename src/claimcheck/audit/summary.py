"""The site summary of an audit: counts, findings by rule and severity, frequent flagged phrases,
the worst pages and each site, read from audit.sqlite and written as CSV files, one table each
(display.py shows it on a terminal, dashboard.py as OUT/report.html).

Text cells lose control characters and escape sequences (newlines and tabs stay; see
claimcheck.terminal), and cells a spreadsheet would run as formulas (starting with = + - @, a tab
or a carriage return) are prefixed with an apostrophe in CSV output.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..terminal import spreadsheet_cell
from ..vocabulary import SEVERITIES, SEVERITY_RANK

SEVERITY_WEIGHT = f"CASE severity {' '.join(f'WHEN {s!r} THEN {r}' for s, r in SEVERITY_RANK.items())} ELSE 1 END"


@dataclass(frozen=True)
class SiteSummary:
    """What an audit found, over all its pages."""

    totals: dict[str, int]
    rules: tuple[tuple[str, str, int, int], ...]  # rule, severity, findings, pages
    phrases: tuple[tuple[str, int, int], ...]  # phrase, findings, pages
    worst: tuple[tuple[str, str | None, int, int, int, int], ...]  # key, title, score, high, flagged, findings
    sites: tuple[tuple[str, int, int, int, int, int], ...]  # host, pages, checked, failed, flagged pages, findings
    failures: tuple[tuple[str, str], ...]  # key, error (first ones; failed_pages.csv has them all)

    @property
    def severities(self) -> frozenset[str]:
        """The severities of all findings."""
        return frozenset(severity for _rule, severity, _n, _pages in self.rules)


def site_summary(out: str | Path, top: int = 20) -> SiteSummary:
    """Summarise the audit in ``out`` (it may still be running or have been stopped)."""
    db = connect(out)
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
        by_severity = dict(db.execute("SELECT severity, COUNT(*) FROM findings GROUP BY severity").fetchall())
        totals.update({f"findings_{severity}": by_severity.get(severity, 0) for severity in SEVERITIES})
        rules = db.execute(
            "SELECT rule, severity, COUNT(*), COUNT(DISTINCT page_key) FROM findings GROUP BY rule, severity"
            f" ORDER BY {SEVERITY_WEIGHT} DESC, COUNT(*) DESC, rule"
        ).fetchall()
        counts: Counter[str] = Counter()
        pages: Counter[str] = Counter()
        current, seen = None, set()  # the phrases of one page at a time, so memory does not grow with the pages
        for key, phrase in db.execute("SELECT page_key, phrase FROM findings WHERE phrase IS NOT NULL ORDER BY page_key"):
            if key != current:
                current, seen = key, set()
            for word in phrase.split("; "):
                counts[word] += 1
                if word not in seen:
                    seen.add(word)
                    pages[word] += 1
        phrases = tuple((p, n, pages[p]) for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
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


def connect(out: str | Path) -> sqlite3.Connection:
    """A read-only connection to the audit database in ``out``."""
    return sqlite3.connect(f"file:{Path(out) / 'audit.sqlite'}?mode=ro", uri=True)


neutralise = spreadsheet_cell  # a CSV cell without control characters, never run as a formula


def _write_csv(path: Path, header: list[str], rows) -> Path:
    """Write one table (rows streamed from any iterable) to a temporary file, then rename it to ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([neutralise(v) for v in row])
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


FINDINGS_SQL = (
    "SELECT f.page_key, p.final_url, f.sentence_idx, s.text, f.rule, f.severity, f.message, f.phrase"
    " FROM findings f LEFT JOIN pages p ON p.key = f.page_key"
    " LEFT JOIN sentences s ON s.page_key = f.page_key AND s.idx = f.sentence_idx ORDER BY f.rowid"
)
CSV_FILES = ("summary.csv", "rules.csv", "phrases.csv", "worst_pages.csv", "failed_pages.csv", "pages.csv", "sites.csv", "findings.csv")


def write_summary(out: str | Path, summary: SiteSummary | None = None) -> list[Path]:
    """Write the CSV tables of the audit in ``out`` (one table per file, each with its own header); return their paths.

    summary.csv (name, value: the totals), rules.csv, phrases.csv, worst_pages.csv, failed_pages.csv
    (every failed page), pages.csv (every page), sites.csv (every host) and findings.csv (every
    finding with its page and sentence). The long tables are streamed from audit.sqlite.
    """
    out = Path(out)
    summary = summary or site_summary(out)
    paths = [
        _write_csv(out / "summary.csv", ["name", "value"], summary.totals.items()),
        _write_csv(out / "rules.csv", ["rule", "severity", "findings", "pages"], summary.rules),
        _write_csv(out / "phrases.csv", ["phrase", "findings", "pages"], summary.phrases),
        _write_csv(out / "worst_pages.csv", ["key", "title", "score", "high", "flagged", "findings"], summary.worst),
    ]
    db = connect(out)
    try:
        cursor = db.execute("SELECT key, error FROM pages WHERE status = 'failed' ORDER BY seq")
        paths.append(_write_csv(out / "failed_pages.csv", ["key", "error"], cursor))
        cursor = db.execute(
            "SELECT key, status, origin, host, final_url, title, units, claims, flagged, findings, max_severity, error, attempts"
            " FROM pages ORDER BY seq"
        )
        paths.append(_write_csv(out / "pages.csv", [d[0] for d in cursor.description], cursor))
        paths.append(_write_csv(out / "sites.csv", ["host", "pages", "checked", "failed", "flagged_pages", "findings"], summary.sites))
        header = ["key", "final_url", "sentence", "sentence_text", "rule", "severity", "message", "phrase"]
        paths.append(_write_csv(out / "findings.csv", header, db.execute(FINDINGS_SQL)))
    finally:
        db.close()
    return paths
