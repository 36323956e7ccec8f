"""One-call checks, one function per input kind, each returning a Report.

Each call runs on a :class:`~claimcheck.checker.Checker` shared by every call with the same
options, so the data files and models are loaded once and fetches reuse one HTTP client. Build a
``Checker`` yourself to choose when its client is closed.
"""

from __future__ import annotations

from pathlib import Path

from .checker import StageTimer, default_checker
from .options import Options
from .records import Page, Report

__all__ = ["StageTimer", "check_file", "check_html", "check_page", "check_source", "check_text", "check_url"]


def check_page(page: Page, options: Options | None = None, timer: StageTimer | None = None) -> Report:
    """Check a fetched or read page; ``timer`` collects the seconds spent in each stage."""
    return default_checker(options).check_page(page, timer)


def check_html(html: str | bytes, url: str | None = None, options: Options | None = None) -> Report:
    """Check a page held in memory as HTML; ``url`` tells which links are the site's own."""
    return default_checker(options).check_html(html, url)


def check_text(text: str, options: Options | None = None, source: str = "<text>") -> Report:
    """Check plain text; blank lines separate paragraphs."""
    return default_checker(options).check_text(text, source)


def check_url(url: str, options: Options | None = None) -> Report:
    """Fetch an http(s) URL and check it."""
    return default_checker(options).check_url(url)


def check_file(path: str | Path, options: Options | None = None) -> Report:
    """Check a saved page: ``.txt`` as plain text, anything else sniffed."""
    return default_checker(options).check_file(path)


def check_source(source: str, options: Options | None = None) -> Report:
    """Check a URL, a file path, or ``-`` for standard input."""
    return default_checker(options).check_source(source)
