"""The audit loop: enumerate the pages, fetch them concurrently, check them on an engine, store the results.

    inputs -> frontier (audit.sqlite) -> fetch threads (robots, host limits, retries, cache)
           -> engine (process pool or Dask: check_page on each page) -> reports.jsonl + tables

Fetching runs in threads of this process, checking in worker processes, so the two overlap. At
most a bounded number of pages is held in memory at any time, whatever the size of the audit.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ClaimcheckError, InputError, ModelError
from ..fetching import is_url, read_file
from ..options import Options
from ..records import Page
from . import inputs as inp
from .engines import DaskEngine, LocalEngine
from .politeness import PoliteFetcher, Politeness, RobotsDisallowed
from .store import AuditStore, Entry, PageCache
from .work import EXIT_INTERNAL, Outcome, Task

MAX_SITEMAPS = 1000


@dataclass(frozen=True)
class AuditInputs:
    """What to audit: sources (URL lists, URLs, folders, saved pages, WARC files), sitemaps, crawl start URLs."""

    sources: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    crawl: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditConfig:
    """How to run an audit.

    Attributes:
        jobs: worker processes checking pages (or Dask workers of a LocalCluster).
        engine: ``local`` or ``dask``.
        scheduler: a Dask scheduler address; ``None`` starts a LocalCluster.
        concurrency: fetches in flight in all.
        batch: pages per task sent to the engine (default 1 local, 8 Dask).
        politeness: robots.txt, per-host limits, retries.
        max_pages: the most pages an audit holds (crawls and sitemaps stop growing there).
        max_depth: links followed from a crawl's start page.
        any_path: let a crawl leave the start URL's folder (it never leaves the site).
        cache: folder of fetched pages; ``None`` means OUT/cache.
        use_cache: read and write the cache.
        options: fetch and check options, as for a single page.
    """

    jobs: int = 1
    engine: str = "local"
    scheduler: str | None = None
    concurrency: int = 8
    batch: int | None = None
    politeness: Politeness = field(default_factory=Politeness)
    max_pages: int | None = None
    max_depth: int = 5
    any_path: bool = False
    cache: Path | None = None
    use_cache: bool = True
    options: Options = field(default_factory=Options)


@dataclass(frozen=True)
class Progress:
    """Counts reported while an audit runs."""

    done: int
    failed: int
    skipped: int
    total: int
    checked_now: int
    started: float


@dataclass(frozen=True)
class AuditResult:
    """Where the results are and how the pages ended."""

    out: Path
    counts: dict[str, int]
    replayed: int = 0

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)


def audit(
    inputs: AuditInputs,
    out: str | Path,
    config: AuditConfig | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> AuditResult:
    """Audit many pages into ``out``; rerun with the same arguments to resume a stopped audit."""
    config = config or AuditConfig()
    if not (inputs.sources or inputs.sitemaps or inputs.crawl):
        raise InputError("nothing to audit: give URL lists, folders, WARC files, --sitemap or --crawl", "audit")
    kinds = [(source, inp.kind_of(source)) for source in inputs.sources]  # fails early on a missing input
    store = AuditStore(out)
    try:
        signature = _signature(inputs, config)
        previous = store.get_meta("inputs")
        if previous is not None and previous != signature:
            raise InputError("holds an audit of other inputs; rerun with the same inputs to resume, or give a new --out", str(out))
        store.set_meta("inputs", signature)
        fetcher = PoliteFetcher(config.options, config.politeness)
        try:
            if store.get_meta("seeded") != "yes":
                _seed(store, kinds, inputs, config, fetcher)
                store.set_meta("seeded", "yes")
            _Loop(store, inputs, config, fetcher, progress).run()
        finally:
            fetcher.close()
        return AuditResult(Path(out), store.counts(), store.replayed)
    finally:
        store.close()


def _signature(inputs: AuditInputs, config: AuditConfig) -> str:
    def norm(s: str) -> str:
        return s if is_url(s) or s == "-" else str(Path(s).resolve())

    return json.dumps(
        {
            "sources": [norm(s) for s in inputs.sources],
            "sitemaps": [norm(s) for s in inputs.sitemaps],
            "crawl": list(inputs.crawl),
            "max_pages": config.max_pages,
            "max_depth": config.max_depth,
            "any_path": config.any_path,
        },
        sort_keys=True,
    )


def _seed(store: AuditStore, kinds: list[tuple[str, str]], inputs: AuditInputs, config: AuditConfig, fetcher: PoliteFetcher) -> None:
    limit = config.max_pages
    for source, kind in kinds:
        if kind == "url":
            store.add([inp.url_row(source, "url")], limit)
        elif kind == "folder":
            store.add(inp.folder_rows(source), limit)
        elif kind == "file":
            store.add([inp.Row(source, source, "folder")], limit)
        elif kind == "warc":
            store.add(inp.warc_rows(source), limit)
        elif kind == "sitemap":
            _seed_sitemap(store, source, fetcher, limit)
        else:
            store.add(inp.url_list_rows(source), limit)
    for sitemap in inputs.sitemaps:
        _seed_sitemap(store, sitemap, fetcher, limit)
    for start in inputs.crawl:
        inp.crawl_scope(start, config.any_path)  # validates the URL
        store.add([inp.url_row(start, "crawl")], limit)


def _seed_sitemap(store: AuditStore, root: str, fetcher: PoliteFetcher, limit: int | None) -> None:
    todo = deque([root])
    seen: set[str] = set()
    while todo and len(seen) < MAX_SITEMAPS:
        source = todo.popleft()
        if source in seen:
            continue
        seen.add(source)
        try:
            if is_url(source):
                body = fetcher.fetch_bytes(source)
            else:
                body = Path(source).read_bytes()
        except RobotsDisallowed:
            raise InputError("robots.txt disallows fetching this sitemap", source) from None
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", source) from None
        pages, nested = inp.parse_sitemap(body, source, fetcher.options.max_bytes)
        store.add((inp.url_row(url, "sitemap") for url in pages), limit)
        todo.extend(nested)


class _Loop:
    def __init__(self, store, inputs, config, fetcher, progress) -> None:
        self.store: AuditStore = store
        self.config: AuditConfig = config
        self.fetcher: PoliteFetcher = fetcher
        self.progress = progress
        self.scopes = [inp.crawl_scope(s, config.any_path) for s in inputs.crawl]
        root = config.cache or (store.out / "cache")
        self.cache = PageCache(root) if config.use_cache else None
        self.batch = config.batch or (8 if config.engine == "dask" else 1)
        self.results: list[tuple[Outcome, str | None]] = []
        self.skipped: list[tuple[str, str]] = []
        self.links: list[inp.Row] = []
        self.checked_now = 0
        self.started = time.monotonic()

    def run(self) -> None:
        config = self.config
        engine = (
            DaskEngine(config.jobs, config.options, config.scheduler)
            if config.engine == "dask"
            else LocalEngine(config.jobs, config.options)
        )
        fetch_pool = cf.ThreadPoolExecutor(config.concurrency, thread_name_prefix="claimcheck-fetch")
        fetching: dict[cf.Future, Entry] = {}
        checking: dict[cf.Future, list[tuple[Entry, Page]]] = {}
        ready: deque[tuple[Entry, Page]] = deque()
        queue: deque[Entry] = deque()
        cursor = 0
        max_ready = config.concurrency + 2 * engine.slots * self.batch
        last_flush = time.monotonic()
        try:
            self._report()
            while True:
                while len(fetching) < config.concurrency and len(ready) < max_ready:
                    if not queue:
                        queue.extend(self.store.pending(cursor))
                        if not queue:
                            break
                    entry = queue.popleft()
                    cursor = entry.seq
                    fetching[fetch_pool.submit(self._load, entry)] = entry
                while ready and len(checking) < 2 * engine.slots:
                    part = [ready.popleft() for _ in range(min(self.batch, len(ready)))]
                    tasks = [Task(e.key, page, self._scope(e)) for e, page in part]
                    checking[engine.submit(tasks)] = part
                if not fetching and not checking and not ready:
                    self._flush()
                    if self.store.pending(cursor, 1):
                        continue  # a crawl found more pages
                    break
                done, _ = cf.wait([*fetching, *checking], timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    if future in fetching:
                        entry = fetching.pop(future)
                        self._fetched(entry, future, ready)
                    else:
                        self._checked(checking.pop(future), future, engine)
                if len(self.results) + len(self.skipped) >= 64 or time.monotonic() - last_flush > 0.5:
                    self._flush()
                    last_flush = time.monotonic()
        finally:
            for future in [*fetching, *checking]:
                future.cancel()
            self._flush()
            fetch_pool.shutdown(wait=True, cancel_futures=True)
            engine.close()

    # -- stages -----------------------------------------------------------------------------------
    def _load(self, entry: Entry) -> Page:
        options = self.config.options
        if entry.origin == "folder":
            return read_file(entry.locator, options)
        if entry.origin == "warc":
            return inp.read_warc_page(entry.locator, options)
        if self.cache is not None:
            page = self.cache.get(entry.key)
            if page is not None:
                return page
        page = self.fetcher.fetch_page(entry.locator)
        if self.cache is not None:
            self.cache.put(entry.key, page)
        return page

    def _fetched(self, entry: Entry, future: cf.Future, ready: deque) -> None:
        try:
            page = future.result()
        except RobotsDisallowed:
            self.skipped.append((entry.key, "disallowed by robots.txt"))
            return
        except ClaimcheckError as exc:
            self.results.append((Outcome(entry.key, False, error=exc.reason, exit_code=exc.exit_code), None))
            return
        except Exception as exc:  # never lose a page to an unexpected error
            self.results.append(
                (Outcome(entry.key, False, error=f"internal error: {type(exc).__name__}: {exc}", exit_code=EXIT_INTERNAL), None)
            )
            return
        ready.append((entry, page))

    def _checked(self, part: list[tuple[Entry, Page]], future: cf.Future, engine) -> None:
        try:
            outcomes = future.result()
        except Exception as exc:  # a worker died (killed, out of memory): its pages fail and are retried on resume
            reason = f"the worker process stopped ({type(exc).__name__})"
            outcomes = [Outcome(e.key, False, error=reason, exit_code=EXIT_INTERNAL) for e, _ in part]
            engine.restart()
        setup_error = None
        for (entry, page), outcome in zip(part, outcomes):
            self.results.append((outcome, page.url))
            if outcome.ok:
                self.checked_now += 1
                if outcome.links and entry.depth < self.config.max_depth:
                    self.links.extend(inp.url_row(url, "crawl", entry.depth + 1) for url in outcome.links)
            elif outcome.exit_code == 3:
                setup_error = outcome.error
        if setup_error:
            raise ModelError(setup_error)

    def _scope(self, entry: Entry) -> str | None:
        if entry.origin != "crawl" or entry.depth >= self.config.max_depth:
            return None
        for scope in self.scopes:
            if entry.key.startswith(scope):
                return scope
        return self.scopes[0] if self.scopes else None

    def _flush(self) -> None:
        if self.results or self.skipped or self.links:
            self.store.write(self.results, self.links, self.skipped, self.config.max_pages)
            self.results, self.skipped, self.links = [], [], []
            self._report()

    def _report(self) -> None:
        if self.progress is None:
            return
        counts = self.store.counts()
        self.progress(
            Progress(
                done=counts.get("done", 0),
                failed=counts.get("failed", 0),
                skipped=counts.get("skipped", 0),
                total=sum(counts.values()),
                checked_now=self.checked_now,
                started=self.started,
            )
        )
