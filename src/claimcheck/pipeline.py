"""The check itself: one function per input kind, all returning a Report.

page -> clean -> segment -> classify -> wording -> evidence -> rules -> Report
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from .classification import load_models
from .cleaning import clean
from .evidence import find_evidence
from .fetching import fetch_url, is_url, page_from_html, page_from_text, read_file, read_stdin
from .options import Options
from .records import Page, Report, SentenceResult
from .rules import page_findings, sentence_findings
from .segmentation import segment
from .wording import rate, relabel

SUPPORTED_LANGUAGES = ("en",)


class StageTimer:
    """Accumulates wall time per stage, for benchmarks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def _untimed(name: str):
    yield


def check_page(page: Page, options: Options | None = None, timer: StageTimer | None = None) -> Report:
    """Check a fetched or read page."""
    options = options or Options()
    stage: Callable = timer.stage if timer else _untimed
    with stage("clean"):
        doc = clean(page)
    with stage("segment"):
        units = segment(doc)
    classified = doc.language in SUPPORTED_LANGUAGES or doc.language is None
    notices: tuple[str, ...] = ()
    with stage("wording"):
        wordings = [rate(u) for u in units]
    with stage("classify"):
        if classified:
            models = load_models(options.model_path)
            types = models.types.predict(units, [w.kinds for w in wordings])
            labels = models.strength.predict(units, wordings)
            wordings = [relabel(w, label) for w, label in zip(wordings, labels)]
        else:
            types = [()] * len(units)
            notices = (f"the page's language is {doc.language!r}, not English: claims were not classified",)
    with stage("evidence"):
        evidences = find_evidence(doc, units)
    with stage("rules"):
        results = []
        for unit, t, w, e in zip(units, types, wordings, evidences):
            result = SentenceResult(unit.index, unit.block, unit.text, unit.unit, t, w, e, links=unit.links)
            results.append(_with_findings(result))
        results = tuple(results)
        findings = page_findings(doc, results) if classified else ()
    return Report(
        source=page.source,
        sentences=results,
        references=doc.references,
        findings=findings,
        url=page.url,
        title=doc.title,
        author=doc.author,
        date=doc.date,
        canonical=doc.canonical,
        language=doc.language,
        classified=classified,
        notices=notices,
    )


def _with_findings(result: SentenceResult) -> SentenceResult:
    findings = sentence_findings(result)
    if not findings:
        return result
    return replace(result, findings=findings)


def check_html(html: str | bytes, url: str | None = None, options: Options | None = None) -> Report:
    """Check a page held in memory as HTML; ``url`` tells which links are the site's own."""
    return check_page(page_from_html(html, url), options)


def check_text(text: str, options: Options | None = None, source: str = "<text>") -> Report:
    """Check plain text; blank lines separate paragraphs."""
    return check_page(page_from_text(text, source), options)


def check_url(url: str, options: Options | None = None) -> Report:
    """Fetch an http(s) URL and check it."""
    return check_page(fetch_url(url, options), options)


def check_file(path: str | Path, options: Options | None = None) -> Report:
    """Check a saved page: ``.txt`` as plain text, anything else sniffed."""
    return check_page(read_file(path, options), options)


def check_source(source: str, options: Options | None = None) -> Report:
    """Check a URL, a file path, or ``-`` for standard input."""
    if source == "-":
        return check_page(read_stdin(options), options)
    if is_url(source):
        return check_url(source, options)
    return check_file(source, options)
