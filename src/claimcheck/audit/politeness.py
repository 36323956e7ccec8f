"""Fetching as a good citizen: robots.txt, per-host concurrency and delay, retries with backoff.

Every network request of an audit goes through :class:`PoliteFetcher`, which is shared by the
fetch threads:

- robots.txt is read once per origin (Protego) and obeyed for the claimcheck user agent; its
  Crawl-delay raises the per-host delay. A robots.txt answering 4xx allows everything; one that
  cannot be fetched (5xx, network error) disallows everything, as RFC 9309 asks, and the pages of
  its site fail with :class:`RobotsUnreachable` (so they are tried again on the next run) rather
  than being skipped as if the site had asked not to be audited.
- at most ``per_host`` requests run against one host at a time, starting at least ``delay`` seconds
  apart, and at most ``concurrency`` in all (the number of fetch threads);
- timeouts, refused connections, 429 and 5xx are retried up to ``retries`` times with exponential
  backoff and jitter, waiting at least what Retry-After asks (capped at ``max_wait``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from protego import Protego

from .. import network
from ..errors import FetchError
from ..fetching import check_url, fetch_url, http_error, make_client, network_error, read_body, user_agent
from ..options import Options
from ..records import Page

ROBOTS_MAX_BYTES = 512 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Politeness:
    """How an audit treats the sites it fetches from."""

    per_host: int = 2
    delay: float = 0.0
    retries: int = 2
    backoff: float = 0.5
    max_wait: float = 60.0
    obey_robots: bool = True


class RobotsDisallowed(Exception):
    """robots.txt disallows the URL for claimcheck."""


class RobotsUnreachable(FetchError):
    """robots.txt could not be fetched (5xx, network error), so nothing on its site may be fetched."""

    def __init__(self, why: str, url: str) -> None:
        super().__init__(f"robots.txt unreachable ({why})", url)


class _Host:
    def __init__(self, slots: int) -> None:
        self.slots = threading.Semaphore(slots)
        self.lock = threading.Lock()
        self.next_start = 0.0
        self.delay = 0.0


class PoliteFetcher:
    """Fetch pages and other resources with robots.txt, host limits and retries."""

    def __init__(self, options: Options, politeness: Politeness, client: httpx.Client | None = None) -> None:
        self.options = options
        self.politeness = politeness
        self.client = client or make_client(options)
        self.agent = user_agent(options)
        self._robots: dict[str, Protego | str] = {}  # str: why robots.txt could not be fetched
        self._robots_locks: dict[str, threading.Lock] = {}
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    # -- robots.txt -------------------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets claimcheck fetch ``url``; RobotsUnreachable when it cannot be fetched."""
        if not self.politeness.obey_robots:
            return True
        robots = self._robots_for(url)
        if isinstance(robots, str):
            raise RobotsUnreachable(robots, url)
        return robots.can_fetch(url, self.agent)

    def _robots_for(self, url: str) -> Protego | str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = robots = self._fetch_robots(origin)
                if isinstance(robots, Protego):
                    delay = robots.crawl_delay(self.agent)
                    if delay:
                        self._host(parts.netloc).delay = min(float(delay), self.politeness.max_wait)
            return self._robots[origin]

    def _fetch_robots(self, origin: str) -> Protego | str:
        """The parsed robots.txt of ``origin``, or why it could not be fetched."""
        url = origin + "/robots.txt"
        why = "no answer"
        for attempt in range(self.politeness.retries + 1):
            status, body = None, b""
            try:
                with (
                    self._slot(urlsplit(url).netloc),
                    network.deadline(self.options.total_timeout),
                    self.client.stream("GET", url) as response,
                ):
                    status = response.status_code
                    if status < 400:  # only the first ROBOTS_MAX_BYTES decoded bytes are read
                        body = read_body(response, ROBOTS_MAX_BYTES, url, truncate=True)
            except httpx.HTTPError as exc:
                error = network_error(exc, url, self.options)
                if not error.transient:
                    return error.reason
                status, why = None, error.reason
            if status is not None and status >= 500:
                why = f"HTTP {status}"
            if status is not None and status < 500:
                if status >= 400:
                    return Protego.parse("")  # no robots.txt: everything allowed
                return Protego.parse(body.decode("utf-8", "replace"))
            if attempt < self.politeness.retries:
                time.sleep(self._backoff(attempt, None))
        return why  # unreachable: RFC 9309 says assume everything is disallowed

    # -- host limits ------------------------------------------------------------------------------
    def _host(self, netloc: str) -> _Host:
        with self._lock:
            host = self._hosts.get(netloc)
            if host is None:
                host = self._hosts[netloc] = _Host(self.politeness.per_host)
            return host

    def _slot(self, netloc: str):
        return _Slot(self._host(netloc), self.politeness.delay)

    # -- fetching ---------------------------------------------------------------------------------
    def fetch_page(self, url: str) -> Page:
        """Fetch a page with retries; raise RobotsDisallowed or the last ClaimcheckError."""
        return self._with_retries(url, lambda: fetch_url(url, self.options, self.client))

    def fetch_bytes(self, url: str) -> bytes:
        """Fetch any resource (a sitemap) with the same robots, limits and retries; return the body."""

        def get() -> bytes:
            try:
                with network.deadline(self.options.total_timeout), self.client.stream("GET", url) as response:
                    if response.status_code >= 400:
                        raise http_error(response, url)
                    return read_body(response, self.options.max_bytes, url)  # stops at the cap, decoded
            except httpx.HTTPError as exc:
                raise network_error(exc, url, self.options) from None

        return self._with_retries(url, get)

    def _with_retries(self, url: str, attempt_fetch: Callable[[], T]) -> T:
        check_url(url)
        if not self.allowed(url):
            raise RobotsDisallowed(url)
        netloc = urlsplit(url).netloc
        attempt = 0
        while True:
            try:
                with self._slot(netloc):
                    return attempt_fetch()
            except FetchError as exc:
                if not exc.transient or attempt >= self.politeness.retries:
                    raise
                if exc.retry_after is not None and exc.retry_after > self.politeness.max_wait:
                    raise FetchError(f"{exc.reason}; the server asks to wait {exc.retry_after:.0f} s", url, exc.status) from None
                time.sleep(self._backoff(attempt, exc.retry_after))
                attempt += 1

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        wait = self.politeness.backoff * (2**attempt) * (0.5 + random.random())
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.politeness.max_wait)


class _Slot:
    """Hold one of a host's slots, starting no sooner than its delay allows."""

    def __init__(self, host: _Host, delay: float) -> None:
        self.host = host
        self.delay = delay

    def __enter__(self) -> None:
        self.host.slots.acquire()
        gap = max(self.delay, self.host.delay)
        if gap:
            with self.host.lock:
                now = time.monotonic()
                start = max(now, self.host.next_start)
                self.host.next_start = start + gap
            if start > now:
                time.sleep(start - now)

    def __exit__(self, *exc) -> None:
        self.host.slots.release()
