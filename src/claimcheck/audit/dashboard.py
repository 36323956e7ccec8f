"""The audit dashboard, OUT/report.html: one self-contained page over the whole audit.

Totals, findings by rule and severity, every checked page ranked worst first and linked to its own
report in OUT/pages/, the most frequent flagged phrases, failed pages, each site, and two small
inline SVG charts drawn here. Rows are streamed from audit.sqlite cursors into the template and
the page is written in chunks to a temporary file renamed into place, so memory stays flat
whatever the number of pages.

Page-derived text (titles, keys, URLs, errors, phrases) is hostile: it loses control characters
(claimcheck.terminal.clean) and bidirectional overrides, and is autoescaped; no page URL becomes a
link (the only links go to OUT/pages/ and within the page), and the Content-Security-Policy forbids
loading anything.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..html_report import template_environment
from ..report import report_from_dict
from ..terminal import clean
from ..version import __version__
from ..vocabulary import SEVERITIES
from .store import PAGES_DIR, page_report_name, write_page_report
from .summary import SEVERITY_WEIGHT, SiteSummary, connect, site_summary
from .work import page_html

DASHBOARD = "report.html"
HISTOGRAM_BINS = (("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3\u20134", 3, 4), ("5\u20139", 5, 9), ("10+", 10, None))
SEVERITY_COLOURS = {"high": "#b3261e", "medium": "#b7791f", "low": "#1e3a8a"}  # the report style's colours; bars at least 3:1 on white
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")  # could reorder what a reader sees


def shown(value: object) -> str:
    """Page-derived text as the dashboard shows it: no control characters, escape sequences or bidi overrides."""
    return _BIDI.sub("", clean(value))


RANKED_SQL = f"""
SELECT p.key, p.title, p.final_url, COALESCE(p.flagged, 0) AS flagged, COALESCE(f.score, 0) AS score,
       COALESCE(f.high, 0), COALESCE(f.medium, 0), COALESCE(f.low, 0), COALESCE(f.n, 0)
FROM pages p LEFT JOIN (
    SELECT page_key, SUM({SEVERITY_WEIGHT}) AS score, SUM(severity = 'high') AS high, SUM(severity = 'medium') AS medium,
           SUM(severity = 'low') AS low, COUNT(*) AS n
    FROM findings GROUP BY page_key
) f ON f.page_key = p.key
WHERE p.status = 'done'
ORDER BY score DESC, flagged DESC, p.key
"""
"""Every checked page, worst first: the severity-weighted score of its findings (as in summary.py), then flagged claims."""


@dataclass(frozen=True)
class PageRow:
    """One checked page of the ranking, its text cleaned."""

    rank: int
    key: str
    title: str
    final_url: str  # empty when it is the key
    href: str | None  # pages/<name>.html, None when the page's report could not be written
    flagged: int
    score: int
    high: int
    medium: int
    low: int
    findings: int


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, in SVG user units."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Chart:
    """An SVG chart's geometry and its text alternative."""

    title: str
    description: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    maximum: int
    left: int = 0  # where the plot starts (x)
    base: int = 0  # the baseline of vertical bars (y)


def write_dashboard(out: str | Path, summary: SiteSummary | None = None) -> Path:
    """Write OUT/report.html for the audit in ``out`` (after rendering any missing page report); return its path.

    Run it at the end of every audit run: a resumed audit rewrites it with the new pages.
    """
    out = Path(out)
    render_missing_pages(out)
    summary = summary or site_summary(out)
    template = template_environment().get_template("audit.html.j2")
    path = out / DASHBOARD
    tmp = out / f".{DASHBOARD}.{os.getpid()}.tmp"
    db = connect(out)
    try:
        context = _context(db, out, summary)
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            for chunk in template.generate(**context):
                fh.write(chunk)
        os.replace(tmp, path)
    finally:
        db.close()
        tmp.unlink(missing_ok=True)
    return path


def render_missing_pages(out: str | Path) -> int:
    """Render the HTML report of every done page whose file is missing from OUT/pages/; return how many were written.

    They come from their reports.jsonl lines (pages recovered by the replay on resume, audits made
    before page reports existed), read one line at a time. When every done page has its file,
    reports.jsonl is not read at all.
    """
    out = Path(out)
    pages = out / PAGES_DIR
    jsonl = out / "reports.jsonl"
    if not jsonl.exists():
        return 0
    db = connect(out)
    written = 0
    try:
        done = db.execute("SELECT key FROM pages WHERE status = 'done'")
        if all((pages / page_report_name(key)).exists() for (key,) in done):
            return 0
        with jsonl.open("rb") as fh:
            for raw in fh:
                key = _line_key(raw)
                if key is None or (pages / page_report_name(key)).exists():
                    continue
                row = db.execute("SELECT status, finished_at FROM pages WHERE key = ?", (key,)).fetchone()
                if row is None or row[0] != "done":
                    continue  # not done yet: a resume replays it first
                try:
                    report = report_from_dict(json.loads(raw))
                except (ValueError, KeyError, TypeError):
                    continue
                checked_at = datetime.fromisoformat(row[1]) if row[1] else None
                html = page_html(report, checked_at)
                if html is not None:
                    write_page_report(pages, key, html)
                    written += 1
    finally:
        db.close()
    return written


_DECODER = json.JSONDecoder()
_KEY_PREFIX = '{"key":'


def _line_key(raw: bytes) -> str | None:
    """The ``key`` of a reports.jsonl line, read without parsing the whole report when it comes first (as the audit writes it)."""
    try:
        text = raw.decode("utf-8")
        if text.startswith(_KEY_PREFIX):
            key, _ = _DECODER.raw_decode(text, len(_KEY_PREFIX))
        else:
            key = json.loads(text)["key"]
    except (ValueError, KeyError, TypeError):
        return None  # a torn last line
    return key if isinstance(key, str) else None


# -- what the template shows ------------------------------------------------------------------------
def _context(db: sqlite3.Connection, out: Path, summary: SiteSummary) -> dict:
    from ..rules import load_rules

    names = {rule.id: rule.name for rule in load_rules().rules}
    t = summary.totals
    severities = [(s, t.get(f"findings_{s}", 0)) for s in SEVERITIES]
    if "findings_high" not in t:
        counts = dict(db.execute("SELECT severity, COUNT(*) FROM findings GROUP BY severity").fetchall())
        severities = [(s, counts.get(s, 0)) for s in SEVERITIES]
    totals = [
        ("Pages", t["pages"]),
        ("Checked", t["checked"]),
        ("Failed", t["failed"]),
        ("Skipped", t["skipped"]),
        *((("Pending", t["pending"]),) if t.get("pending") else ()),
        ("Pages with flagged claims", t["flagged_pages"]),
        ("Units", t["sentences"]),
        ("Claims", t["claims"]),
        ("Flagged claims", t["flagged_claims"]),
        ("Findings", t["findings"]),
        *((f"{s.capitalize()} findings", n) for s, n in severities),
    ]
    rules = [
        {
            "rule": shown(rule),
            "name": shown(names.get(rule, "")),
            "severity": shown(severity),
            "severity_class": severity if severity in SEVERITIES else "other",
            "findings": n,
            "pages": pages,
        }
        for rule, severity, n, pages in summary.rules
    ]
    histogram = _histogram(db)
    return {
        "csp": CSP,
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "folder": shown(out.resolve().name),
        "totals": totals,
        "checked": t["checked"],
        "failed": t["failed"],
        "severities": severities,
        "colours": SEVERITY_COLOURS,
        "rules": rules,
        "histogram": histogram,
        "rule_chart": _rule_chart(rules),
        "pages": _ranked(db, out / PAGES_DIR),
        "phrases": [(shown(p), n, pages) for p, n, pages in summary.phrases],
        "failures": ((shown(key), shown(error), attempts) for key, error, attempts in _rows(db, _FAILED_SQL)),
        "sites": ((shown(row[0]), *row[1:]) for row in _rows(db, _SITES_SQL)),
    }


_FAILED_SQL = "SELECT key, COALESCE(error, ''), attempts FROM pages WHERE status = 'failed' ORDER BY seq"
_SITES_SQL = (
    "SELECT COALESCE(host, '(files)'), COUNT(*), SUM(status = 'done'), SUM(status = 'failed'),"
    " SUM(status = 'done' AND flagged > 0), COALESCE(SUM(findings), 0)"
    " FROM pages GROUP BY COALESCE(host, '(files)') ORDER BY COUNT(*) DESC, 1"
)


def _rows(db: sqlite3.Connection, sql: str) -> Iterator[tuple]:
    """The rows of ``sql``, queried when first asked for and streamed from the cursor."""
    yield from db.execute(sql)


def _ranked(db: sqlite3.Connection, pages: Path) -> Iterator[PageRow]:
    for rank, (key, title, final_url, flagged, score, high, medium, low, n) in enumerate(_rows(db, RANKED_SQL), 1):
        name = page_report_name(key)
        shown_url = shown(final_url) if final_url and final_url != key else ""
        href = f"{PAGES_DIR}/{name}" if (pages / name).exists() else None
        yield PageRow(rank, shown(key), shown(title), shown_url, href, flagged, score, high, medium, low, n)


def _histogram(db: sqlite3.Connection) -> Chart:
    cases = " ".join(
        f"WHEN COALESCE(flagged, 0) <= {high} THEN {i}" for i, (_label, _low, high) in enumerate(HISTOGRAM_BINS) if high is not None
    )
    counts = dict(
        db.execute(
            f"SELECT CASE {cases} ELSE {len(HISTOGRAM_BINS) - 1} END AS bin, COUNT(*) FROM pages WHERE status = 'done' GROUP BY bin"
        ).fetchall()
    )
    values = [(label, counts.get(i, 0)) for i, (label, _low, _high) in enumerate(HISTOGRAM_BINS)]
    width, height, left, top, bottom = 480, 220, 30, 24, 40
    plot = height - top - bottom
    biggest = max((v for _, v in values), default=0)
    step = (width - left - 8) / len(values)
    bars = []
    for i, (label, value) in enumerate(values):
        h = plot * value / biggest if biggest else 0
        bars.append(Bar(label, value, left + i * step + step * 0.15, top + plot - h, step * 0.7, h, "#2a5d8f"))
    description = "Checked pages by number of flagged claims: " + "; ".join(
        f"{label} flagged: {value} page{'s' if value != 1 else ''}" for label, value in values
    )
    return Chart("Flagged claims per page", description + ".", width, height, tuple(bars), biggest, left, top + plot)


def _rule_chart(rules: list[dict]) -> Chart:
    width, row, left, right = 560, 26, 250, 60
    height = max(1, len(rules)) * row + 16
    biggest = max((r["findings"] for r in rules), default=0)
    bars = []
    for i, r in enumerate(rules):
        w = (width - left - right) * r["findings"] / biggest if biggest else 0
        label = f"{r['rule']} {r['name']}".strip() + f" ({r['severity']})"
        colour = SEVERITY_COLOURS.get(r["severity"], "#444444")
        bars.append(Bar(label, r["findings"], left, 8 + i * row + 4, max(w, 1.0), row - 8, colour))
    description = (
        "Findings by rule: " + "; ".join(f"{b.label}: {b.value}" for b in bars) + "." if bars else "No rule fired on any checked page."
    )
    return Chart("Findings by rule", description, width, height, tuple(bars), biggest, left)
