"""The check itself, as a reusable object built once from Options.

    page -> clean -> segment -> analyse (wording -> classify -> evidence -> rules) -> Report

A :class:`Checker` loads the lexicons, the rules and the models once and keeps one HTTP client for
all its fetches. :meth:`Checker.analyse` is the part after segmentation, for callers that already
hold a cleaned :class:`~claimcheck.records.Document` and its units.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property, lru_cache
from pathlib import Path

from .acceptance import Acceptance, accept, load_acceptances
from .classification import Classifier, load_classifier
from .cleaning import clean
from .evidence import find_evidence, load_cues
from .fetching import Fetcher, is_url, page_from_html, page_from_text, read_file, read_stdin
from .matching import describe_references, load_vocabulary, match_sources
from .options import Options
from .records import MISMATCH_FLAGS, Analysis, Document, Page, Report, SentenceResult, Unit, Wording
from .rules import RuleSet, load_rules, page_findings, sentence_findings
from .segmentation import segment
from .wording import Lexicon, load_lexicon, rate, relabel

SUPPORTED_LANGUAGES = ("en",)


class StageTimer:
    """Accumulates wall time per stage, for benchmarks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def _untimed(name: str) -> Iterator[None]:
    yield


class Checker:
    """Checks pages with one set of options; every entry point returns a :class:`~claimcheck.records.Report`.

    The data files and models are loaded on first use, once; the HTTP client is opened on the first
    fetch and reused until :meth:`close` (or the end of a ``with`` block)::

        with Checker(Options(total_timeout=20)) as checker:
            reports = [checker.check_url(url) for url in urls]

    Checking pages held in memory may share a checker between threads; fetch from one thread at a
    time (or give each fetching thread its own checker), since fetches share one client and its cookies
    are cleared before each.
    """

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self._fetcher = Fetcher(self.options)
        self.accepted_lines: set[int] = set()  # the acceptance file's lines that matched a finding so far

    def __repr__(self) -> str:
        return f"Checker({self.options!r})"

    # -- lifetime ---------------------------------------------------------------------------------
    def load(self) -> Checker:
        """Load the data files and the models now rather than on the first page; return the checker.

        Raises:
            DataFileError: a lexicon or rule file breaks its schema.
            ModelError: the model is missing or unreadable.
            InputError: the acceptance file is missing or malformed.
        """
        _ = self._lexicon, self._rules, self._classifier, self._acceptances
        load_cues()  # find_evidence takes the cues from the loader's cache
        load_vocabulary()  # and match_sources the vocabulary
        return self

    def close(self) -> None:
        """Close the HTTP client and the reference verifier; a later fetch opens a new one."""
        self._fetcher.close()
        verifier = self.__dict__.pop("_verifier", None)
        if verifier is not None:
            verifier.close()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- entry points -----------------------------------------------------------------------------
    def check_page(self, page: Page, timer: StageTimer | None = None) -> Report:
        """Check a fetched or read page; ``timer`` collects the seconds spent in each stage.

        The check keeps to the page budget of the options: at most ``max_units`` units, and no new
        unit taken once ``max_seconds`` have passed since it began; a page cut short says so in
        its notices.
        """
        started = time.monotonic()
        stage: Callable = timer.stage if timer else _untimed
        with stage("clean"):
            doc = clean(page)
        with stage("references"):
            doc, checked = self._references(doc)
        with stage("segment"):
            units = segment(doc)
        analysis = self.analyse(doc, units, timer, started=started)
        report = Report(
            source=page.source,
            sentences=analysis.sentences,
            references=doc.references,
            findings=analysis.findings,
            url=page.url,
            title=doc.title,
            author=doc.author,
            date=doc.date,
            canonical=doc.canonical,
            language=doc.language,
            classified=analysis.classified,
            notices=checked + analysis.notices,
            min_confidence=analysis.min_confidence,
            model=self._classifier.model_id if analysis.classified else None,
        )
        report, matched = accept(report, self._acceptances)
        self.accepted_lines |= matched
        return report

    def check_html(self, html: str | bytes, url: str | None = None) -> Report:
        """Check a page held in memory as HTML; ``url`` tells which links are the site's own."""
        return self.check_page(page_from_html(html, url))

    def check_text(self, text: str, source: str = "<text>") -> Report:
        """Check plain text; blank lines separate paragraphs."""
        return self.check_page(page_from_text(text, source))

    def check_url(self, url: str) -> Report:
        """Fetch an http(s) URL with the checker's HTTP client and check it."""
        return self.check_page(self._fetcher.fetch(url))

    def check_file(self, path: str | Path) -> Report:
        """Check a saved page: ``.txt`` as plain text, anything else sniffed."""
        return self.check_page(read_file(path, self.options))

    def check_source(self, source: str) -> Report:
        """Check a URL, a file path, or ``-`` for standard input."""
        if source == "-":
            return self.check_page(read_stdin(self.options))
        if is_url(source):
            return self.check_url(source)
        return self.check_file(source)

    # -- the reference list ----------------------------------------------------------------------
    def _references(self, doc: Document) -> tuple[Document, tuple[str, ...]]:
        """The document with its reference entries described and, when asked, looked up; and notices."""
        references = describe_references(doc.references)
        notices: tuple[str, ...] = ()
        if references and (self.options.verify_references or self.options.offline):
            lookups = self._verifier.verify(references)
            references = tuple(replace(ref, check=lookup) for ref, lookup in zip(references, lookups))
            undecided = [lk for lk in lookups if lk.status == "undecided"]
            if undecided:
                reasons = "; ".join(dict.fromkeys(lk.reason or "unknown" for lk in undecided))
                numbers = ", ".join(str(lk.number) for lk in undecided)
                notices = (f"{len(undecided)} of {len(lookups)} references could not be checked ({numbers}): {reasons}",)
        return replace(doc, references=references), notices

    # -- after segmentation -----------------------------------------------------------------------
    def analyse(self, document: Document, units: Sequence[Unit], timer: StageTimer | None = None, started: float | None = None) -> Analysis:
        """Label the units of a cleaned document and run the rules on them.

        Args:
            document: the page cleaned to its main content (its language decides whether claims are classified).
            units: the document's units, in order, as :func:`~claimcheck.segmentation.segment` returns them.
            timer: collects the seconds spent in each stage.
            started: the :func:`time.monotonic` time the page's check began, for the time budget
                (``max_seconds``); default now.

        Returns:
            The result of each unit, in order, and the page-level findings. Only the first
            ``max_units`` units are analysed, and only those taken before the time budget ran out;
            a notice says when units were left out.
        """
        units = tuple(units)
        stage: Callable = timer.stage if timer else _untimed
        classified = document.language in SUPPORTED_LANGUAGES or document.language is None
        notices: tuple[str, ...] = ()
        limit = self.options.max_units
        if len(units) > limit:
            notices += (f"the page has {len(units):,} units; only the first {limit:,} were checked (--max-units)",)
            units = units[:limit]
        budget_end = (time.monotonic() if started is None else started) + self.options.max_seconds
        with stage("wording"):
            wordings = []
            for unit in units:
                if time.monotonic() > budget_end:
                    notices += (
                        f"checking stopped at the page's time budget of {self.options.max_seconds:g} s (--max-seconds): "
                        f"only the first {len(wordings):,} of {len(units):,} units were checked",
                    )
                    units = units[: len(wordings)]
                    break
                wordings.append(rate(unit, self._lexicon))
        with stage("classify"):
            if classified:
                types, wordings, confidences = self._classify(units, wordings)
            else:
                types, confidences = [()] * len(units), [None] * len(units)
                notices += (f"the page's language is {document.language!r}, not English: claims were not classified",)
        with stage("evidence"):
            evidences = find_evidence(document, units)
        with stage("sources"):
            strengths = [w.label if t else None for t, w in zip(types, wordings)]
            sources, mismatches, subject = match_sources(document, units, evidences, strengths, types)
            document = replace(document, subject=subject)
            # a cited sentence tying an intervention to a condition claims an effect, even untyped
            types = [t or (("efficacy",) if any(m.kind in MISMATCH_FLAGS for m in mis) else ()) for t, mis in zip(types, mismatches)]
        with stage("rules"):
            threshold = self._threshold if classified else None
            results = []
            for unit, t, w, e, c, src, mis in zip(units, types, wordings, evidences, confidences, sources, mismatches):
                result = SentenceResult(
                    unit.index, unit.block, unit.text, unit.unit, t, w, e, links=unit.links, confidence=c, sources=src, mismatches=mis
                )
                flagged = (result.flaggable and (c is None or threshold is None or c >= threshold)) or result.mismatched
                results.append(self._with_findings(replace(result, flagged=flagged)))
            sentences = tuple(results)
            findings = page_findings(document, sentences, self._rules) if classified else ()
        return Analysis(sentences, findings, classified, notices, threshold)

    def _classify(
        self, units: tuple[Unit, ...], wordings: list[Wording]
    ) -> tuple[list[tuple[str, ...]], list[Wording], list[float | None]]:
        """The claim types of each unit, its wording relabelled by the model, and the confidence of its flag."""
        result = self._classifier.classify(units, wordings, self._threshold)
        wordings = [relabel(w, label, self._lexicon) for w, label in zip(wordings, result.strengths)]
        return result.types, wordings, list(result.confidences)

    @property
    def _threshold(self) -> float:
        """The least confidence a flag needs: ``min_confidence``, else the model's operating point."""
        if self.options.min_confidence is not None:
            return self.options.min_confidence
        return self._classifier.operating_point

    def _with_findings(self, result: SentenceResult) -> SentenceResult:
        findings = sentence_findings(result, self._rules)
        return replace(result, findings=findings) if findings else result

    # -- loaded once, on first use ----------------------------------------------------------------
    @cached_property
    def _lexicon(self) -> Lexicon:
        return load_lexicon()

    @cached_property
    def _rules(self) -> RuleSet:
        return load_rules()

    @cached_property
    def _acceptances(self) -> tuple[Acceptance, ...]:
        return load_acceptances(self.options.accept_file) if self.options.accept_file else ()

    @cached_property
    def _verifier(self):
        from .verification import ReferenceVerifier, VerifyConfig

        crossref, ncbi = self.options.reference_services
        config = VerifyConfig(
            mailto=self.options.mailto,
            crossref_url=crossref,
            ncbi_url=ncbi,
            cache_path=self.options.reference_cache,
            offline=self.options.offline,
        )
        return ReferenceVerifier(self.options, config)

    @cached_property
    def _classifier(self) -> Classifier:
        return load_classifier(self.options.model_path)


def default_checker(options: Options | None = None) -> Checker:
    """The checker shared by every caller with these options; the four most recently used are kept."""
    return _default_checker(options or Options())


@lru_cache(maxsize=4)
def _default_checker(options: Options) -> Checker:
    return Checker(options)
