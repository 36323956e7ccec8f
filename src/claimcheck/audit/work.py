"""The page function every engine runs: check one page with the single-page checker.

A worker gets a :class:`Task` (a page already fetched or read) and returns an :class:`Outcome`
holding the report as its JSONL line, its HTML report (claimcheck.html_report) and the rows of the
query tables. Each worker process checks all its pages with one :class:`~claimcheck.checker.Checker`
per options. Nothing here touches the network or the output directory, so the same function runs in
a local process pool or on a Dask cluster.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urldefrag, urljoin

from ..checker import Checker, default_checker
from ..errors import ClaimcheckError
from ..options import Options
from ..records import Page, Report
from ..report import to_dict
from ..vocabulary import SEVERITY_RANK

SKIPPED_SUFFIXES = (
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".svg",
    ".ico",
    ".css",
    ".js",
    ".json",
    ".xml",
    ".zip",
    ".gz",
    ".mp3",
    ".mp4",
    ".mov",
    ".avi",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".woff",
    ".woff2",
    ".ttf",
)
AUDIT_PAGE_LINKS = False  # render_html(links=...): no URL from a page is a live link in an audit's page reports
EXIT_INTERNAL = 4  # the exit_code recorded for a page lost to a bug or a dead worker, not to its input


@dataclass(frozen=True)
class Task:
    """One page to check; ``scope`` (crawls only) is the URL prefix whose links are reported back."""

    key: str
    page: Page
    scope: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What checking one page produced: the JSONL line, the HTML report and table rows, or the error.

    ``checked_at`` is when the page was checked (whole seconds since the epoch); ``html`` is None when
    the HTML report could not be rendered (it is rendered again from the JSONL line at the end).
    """

    key: str
    ok: bool
    line: str | None = None
    page_row: tuple = ()
    sentence_rows: tuple[tuple, ...] = ()
    finding_rows: tuple[tuple, ...] = ()
    links: tuple[str, ...] = ()
    error: str | None = None
    exit_code: int = 0
    seconds: float = 0.0
    html: str | None = None
    checked_at: int = 0


def check_task(task: Task, options: Options | None = None, checker: Checker | None = None) -> Outcome:
    """Check one page with ``checker`` (default: this process's checker for ``options``).

    Every error becomes a failed Outcome, never an exception.
    """
    start = time.perf_counter()
    try:
        report = (checker or default_checker(options)).check_page(task.page)
        checked_at = int(time.time())
        record = {"key": task.key, **to_dict(report)}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        page_row, sentence_rows, finding_rows = rows_from_record(record)
        links = page_links(task.page, task.scope) if task.scope else ()
        html = page_html(report, checked_at)
    except ClaimcheckError as exc:
        return Outcome(task.key, False, error=exc.reason, exit_code=exc.exit_code, seconds=time.perf_counter() - start)
    except Exception as exc:  # a bug must not lose the page or stop the run
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return Outcome(task.key, False, error=reason, exit_code=EXIT_INTERNAL, seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return Outcome(task.key, True, line, page_row, sentence_rows, finding_rows, links, seconds=seconds, html=html, checked_at=checked_at)


def page_html(report: Report, checked_at: int | float | datetime | None) -> str | None:
    """The page's HTML report as an audit writes it (OUT/pages/), or None when it cannot be rendered.

    ``checked_at`` (seconds since the epoch, or a datetime) is shown in UTC, so a report rendered
    again later from its JSONL line is the same text. A rendering error never fails the page.
    """
    if isinstance(checked_at, int | float):
        checked_at = datetime.fromtimestamp(checked_at, UTC)
    elif isinstance(checked_at, datetime):
        checked_at = checked_at.astimezone(UTC)
    try:
        from ..html_report import render_html

        return render_html(report, checked_at=checked_at, links=AUDIT_PAGE_LINKS)
    except Exception:  # noqa: BLE001 - the JSONL line and tables still record the page
        return None


def check_tasks(tasks: list[Task], options: Options | None = None) -> list[Outcome]:
    """Check a partition of pages (the unit a Dask task runs) with this process's checker for ``options``."""
    checker = default_checker(options)
    return [check_task(t, checker=checker) for t in tasks]


def rows_from_record(record: dict) -> tuple[tuple, tuple[tuple, ...], tuple[tuple, ...]]:
    """The pages, sentences and findings rows of one JSONL record.

    pages:     (title, language, units, claims, flagged, findings, max_severity)
    sentences: (page_key, idx, text, types, strength, evidence, flagged)
    findings:  (page_key, sentence_idx or None, rule, severity, message, phrase)

    Findings accepted in an acceptance file (``--accept``) stay in the JSONL line and the page's HTML
    report, marked accepted, but are left out of the tables, so the dashboard, the CSVs and
    ``--fail-on`` count open findings only.
    """
    key = record["key"]
    summary = record["summary"]
    sentences = []
    findings = []
    for f in record["findings"]:
        if not f.get("accepted"):
            findings.append((key, None, f["rule"], f["severity"], f["message"], _phrase(f)))
    for s in record["sentences"]:
        sentences.append((key, s["index"], s["text"], ",".join(s["types"]), s["strength"], s["evidence"], int(s["flagged"])))
        for f in s["findings"]:
            if not f.get("accepted"):
                findings.append((key, s["index"], f["rule"], f["severity"], f["message"], _phrase(f)))
    worst = max((f[3] for f in findings), key=lambda severity: SEVERITY_RANK.get(severity, 0), default=None)
    page_row = (record.get("title"), record.get("language"), summary["units"], summary["claims"], summary["flagged"], len(findings), worst)
    return page_row, tuple(sentences), tuple(findings)


def _phrase(finding: dict) -> str | None:
    words = [span["text"].strip().lower() for span in finding.get("spans", ()) if span.get("text", "").strip()]
    return "; ".join(dict.fromkeys(words)) or None


def page_links(page: Page, scope: str) -> tuple[str, ...]:
    """The page's links (whole page, chrome included) that fall under ``scope``, absolute and without fragments."""
    if page.kind != "html" or not page.url:
        return ()
    from lxml import html as lxml_html

    try:
        tree = lxml_html.document_fromstring(page.text)
    except (ValueError, TypeError):  # lxml's errors for unparsable documents
        return ()
    base = page.url
    for href in tree.xpath("//base/@href")[:1]:
        base = _join(base, href.strip()) or base
    seen: dict[str, None] = {}
    for anchor in tree.xpath("//a[@href]"):
        if "nofollow" in (anchor.get("rel") or "").lower():
            continue
        href = anchor.get("href", "").strip()
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        joined = _join(base, href)
        url = normalize_url(joined) if joined else None
        if url and url.startswith(scope) and not url.lower().split("?")[0].endswith(SKIPPED_SUFFIXES):
            seen.setdefault(url, None)
    return tuple(seen)


def _join(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``, or None when either is malformed ("http://[::1")."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def normalize_url(url: str) -> str | None:
    """The form a URL is keyed by: no fragment, lower-case scheme and host, no default port, a path."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        url, _ = urldefrag(url.strip())
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, remove_dot_segments(parts.path or "/"), parts.query, ""))


def remove_dot_segments(path: str) -> str:
    """``path`` with its "." and ".." segments resolved (RFC 3986, 5.2.4), so a URL is judged by where it points.

    "%2e" counts as "." (it is the same unreserved character, RFC 3986 6.2.2.2); a trailing slash is
    kept, and ".." never climbs above the root.
    """
    segments = path.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments[1:], 1):
        dots = segment.lower().replace("%2e", ".")
        if dots in (".", ".."):
            if dots == ".." and out:
                out.pop()
            if i == len(segments) - 1:
                out.append("")  # "/a/b/.." is the folder "/a/"
        else:
            out.append(segment)
    return "/" + "/".join(out)
