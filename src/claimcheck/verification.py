"""Check that the entries of a page's reference list exist, against Crossref and NCBI (opt-in network).

Nothing here touches the network unless a :class:`ReferenceVerifier` is built with
``VerifyConfig(offline=False)``; with ``offline=True`` it answers from its cache alone.

Each entry is looked up by the first identifier that decides it, in this order:

* DOI: Crossref ``GET {crossref_url}/works/{doi}``. 200 answers
  ``{"status": "ok", "message-type": "work", "message": {"DOI": str, "title": [str],
  "container-title": [str], "short-container-title": [str], "issued": {"date-parts": [[2019, 5]]},
  "author": [{"family": str, "given": str} | {"name": str}]}}``; 404 means no such DOI. When
  ``issued`` has no year, ``published``, ``published-print`` and ``published-online`` are read.
* PMID: NCBI E-utilities ``GET {ncbi_url}/esummary.fcgi?db=pubmed&id=<pmid>&retmode=json``
  (plus ``tool=claimcheck`` and ``email=<mailto>`` when set, as NCBI asks). 200 answers
  ``{"header": {...}, "result": {"uids": ["<pmid>"], "<pmid>": {"uid": str, "title": str,
  "fulljournalname": str, "source": str, "pubdate": "2019 May 3",
  "authors": [{"name": "Smith AB", "authtype": "Author"}], "articleids": [{"idtype": "doi",
  "value": str}]}}}``. An entry ``{"uid": "<pmid>", "error": "cannot get document summary"}``, an
  empty ``uids`` list, or ``{"esummaryresult": ["Invalid uid ..."]}`` means no such record; any
  other top-level ``{"error": ...}`` is a service error.
* PMCID: the same esummary with ``db=pmc&id=<digits>`` (``PMC123`` is asked for as ``123``).
* No identifier but a title: Crossref
  ``GET {crossref_url}/works?query.bibliographic=<title first-author year journal>&rows=3``,
  answering ``{"status": "ok", "message-type": "work-list", "message": {"items": [work, ...]}}``
  (each ``work`` shaped as ``message`` above). The candidate whose title is closest wins when its
  similarity reaches ``fuzzy``; otherwise the entry is ``not_found``.

A record found is compared with what the entry says: title (similarity at least ``fuzzy``), year
(within one), journal (equal, similar, or an abbreviation of one of the record's names), first
author's surname, and the DOI when the record was reached another way. A field missing on either
side is not compared. Differences make the status ``mismatch``.

Answers (negative ones too) are cached in SQLite, keyed ``doi:10.1000/xyz`` (lower case),
``pmid:123``, ``pmcid:PMC123`` and ``q:<normalised query>``, holding a JSON summary of the records
(``{"v": 1, "records": [{"source", "doi", "title", "year", "journals", "authors"}]}``) and the time
it was fetched. Entries older than ``ttl_days`` are fetched again when online; offline they are
used whatever their age. Service errors, timeouts and malformed answers are not cached.

Requests go through :func:`claimcheck.fetching.make_client`, so non-public addresses are refused
unless ``Options(allow_private=True)``. Each service gets at most ``rate_per_second`` requests per
second in the whole process (NCBI at most 3, its limit without an API key); 429, 5xx and timeouts
are retried with exponential backoff, honouring Retry-After, but never past the deadline that all
lookups of one :meth:`ReferenceVerifier.verify` call share. Network trouble and malformed answers
make an entry ``undecided`` with a reason; nothing here raises for them. The reasons:
``offline: not in the cache``, ``deadline reached``, ``service error: HTTP 503`` (or the error an
NCBI answer names), ``network error: <why>`` (a refused private address among them),
``malformed response from Crossref: <why>``, ``response too large (...)`` and
``nothing to look up: no DOI, PMID, PMCID or title``.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import sqlite3
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import quote, unquote

import httpx

from . import network
from .errors import InputError, TooLargeError
from .fetching import TRANSIENT_STATUSES, make_client, network_error, read_body, retry_after_seconds, user_agent
from .options import Options
from .records import Reference, ReferenceCheck

BODY_CAP = 2 * 1024 * 1024  # the largest answer read from a service, decoded
BACKOFF = 0.5  # seconds before the first retry; doubled for each further one
NCBI_MAX_RATE = 3.0  # requests per second NCBI allows without an API key
CACHE_VERSION = 1
STATUSES = ("found", "not_found", "mismatch", "undecided")


Lookup = ReferenceCheck  # the verdict for one reference entry


@dataclass(frozen=True)
class VerifyConfig:
    """Where and how politely references are looked up; validated when built (InputError)."""

    mailto: str | None = None  # contact for Crossref's polite pool, sent in the User-Agent
    crossref_url: str = "https://api.crossref.org"
    ncbi_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    cache_path: Path | None = None  # None: the platform's user cache folder (see default_cache_path)
    ttl_days: float = 30.0
    offline: bool = False  # cache only; nothing leaves the machine
    rate_per_second: float = 5.0  # per service
    deadline: float = 20.0  # seconds for all lookups of one page
    retries: int = 2
    fuzzy: float = 0.85  # title similarity threshold (0..1)

    def __post_init__(self) -> None:
        if self.mailto is not None and (not isinstance(self.mailto, str) or not self.mailto.strip() or _has_control(self.mailto)):
            raise _invalid("mailto", f"expected an e-mail address on one line, got {self.mailto!r}")
        for name in ("crossref_url", "ncbi_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value) or _has_control(value):
                raise _invalid(name, f"expected an http(s) URL, got {value!r}")
        if self.cache_path is not None:
            if not isinstance(self.cache_path, str | os.PathLike) or not str(self.cache_path):
                raise _invalid("cache_path", f"expected a file path, got {self.cache_path!r}")
            object.__setattr__(self, "cache_path", Path(self.cache_path).expanduser())
        if not _real(self.ttl_days) or self.ttl_days < 0:
            raise _invalid("ttl_days", f"expected a number of days, at least 0, got {self.ttl_days!r}")
        if not isinstance(self.offline, bool):
            raise _invalid("offline", f"expected True or False, got {self.offline!r}")
        for name in ("rate_per_second", "deadline"):
            if not _real(getattr(self, name)) or getattr(self, name) <= 0:
                raise _invalid(name, f"expected a number above 0, got {getattr(self, name)!r}")
        if not isinstance(self.retries, int) or isinstance(self.retries, bool) or self.retries < 0:
            raise _invalid("retries", f"expected a whole number, at least 0, got {self.retries!r}")
        if not _real(self.fuzzy) or not 0 <= self.fuzzy <= 1:
            raise _invalid("fuzzy", f"expected a number from 0 to 1, got {self.fuzzy!r}")


def default_cache_path() -> Path:
    """The reference cache in the platform's user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "claimcheck" / "Cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "claimcheck"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "claimcheck"
    return base / "references.sqlite"


class ReferenceVerifier:
    """Looks reference entries up in Crossref and NCBI, through a shared SQLite cache.

    Safe to share between threads. Close it (or use it as a context manager) to release the HTTP
    client and the cache file.

    Raises:
        InputError: the cache cannot be created or opened for writing.
    """

    def __init__(self, options: Options, config: VerifyConfig) -> None:
        self.options = options
        self.config = config
        self._cache = _Cache(config.cache_path or default_cache_path())
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        ua = user_agent(options)
        self._headers = {"User-Agent": f"{ua} (mailto:{config.mailto.strip()})" if config.mailto else ua, "Accept": "application/json"}

    # -- the public interface -------------------------------------------------------------------

    def verify(self, references: Sequence[Reference]) -> tuple[Lookup, ...]:
        """One Lookup per reference, in the same order; all of them within ``config.deadline`` seconds."""
        end = time.monotonic() + self.config.deadline
        return tuple(self._verify_one(ref, end) for ref in references)

    def close(self) -> None:
        """Close the HTTP client and the cache."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        self._cache.close()

    def __enter__(self) -> ReferenceVerifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one entry --------------------------------------------------------------------------------

    def _verify_one(self, ref: Reference, end: float) -> Lookup:
        routes = self._routes(ref)
        if not routes:
            return Lookup(ref.number, "undecided", None, reason="nothing to look up: no DOI, PMID, PMCID or title")
        unresolved: list[Lookup] = []
        for via, key, fetch in routes:
            answer = self._answer(key, fetch, end)
            if isinstance(answer, str):
                unresolved.append(Lookup(ref.number, "undecided", via, reason=answer))
                continue
            lookup = self._judge(ref, via, answer)
            if lookup.status != "not_found":
                # an identifier that led nowhere, before the one that led to the record, is a difference too
                wrong = tuple(dict.fromkeys(u.via for u in unresolved if u.status == "not_found" and u.via))
                if wrong:
                    differences = tuple(dict.fromkeys((*lookup.differences, *wrong)))
                    return Lookup(ref.number, "mismatch", via, lookup.doi, lookup.title, differences)
                return lookup
            unresolved.append(lookup)
        undecided = [u for u in unresolved if u.status == "undecided"]
        return undecided[0] if undecided else unresolved[0]

    def _routes(self, ref: Reference) -> list[tuple[str, str, Callable[[float], list[dict] | str]]]:
        """(via, cache key, fetch) for each way to look the entry up, in order."""
        first: dict[str, str] = {}
        for ident in ref.identifiers:
            if ident.kind in ("doi", "pmid", "pmcid") and ident.kind not in first:
                value = _clean_identifier(ident.kind, ident.value)
                if value:
                    first[ident.kind] = value
        routes: list[tuple[str, str, Callable[[float], list[dict] | str]]] = []
        if "doi" in first:
            doi = first["doi"]
            routes.append(("doi", f"doi:{doi.lower()}", lambda end, d=doi: self._crossref_work(d, end)))
        if "pmid" in first:
            pmid = first["pmid"]
            routes.append(("pmid", f"pmid:{pmid}", lambda end, p=pmid: self._ncbi_summary("pubmed", p, end)))
        if "pmcid" in first:
            digits = first["pmcid"]
            routes.append(("pmcid", f"pmcid:PMC{digits}", lambda end, p=digits: self._ncbi_summary("pmc", p, end)))
        if not routes and ref.title and _normalise(ref.title):
            query = bibliographic_query(ref)
            routes.append(("bibliographic", f"q:{_normalise(query)}", lambda end, q=query: self._crossref_search(q, end)))
        return routes

    def _answer(self, key: str, fetch: Callable[[float], list[dict] | str], end: float) -> list[dict] | str:
        """The records under ``key``: from the cache when fresh (or offline), else fetched and cached; a str is a reason."""
        cached = self._cache.get(key)
        if cached is not None:
            records, fetched_at = cached
            if self.config.offline or time.time() - fetched_at <= self.config.ttl_days * 86400:
                return records
        if self.config.offline:
            return "offline: not in the cache"
        if time.monotonic() >= end:
            return "deadline reached"
        answer = fetch(end)
        if not isinstance(answer, str):
            self._cache.put(key, answer)
        return answer

    def _judge(self, ref: Reference, via: str, records: list[dict]) -> Lookup:
        if not records:
            return Lookup(ref.number, "not_found", via)
        if via == "bibliographic":
            scored = [(title_similarity(ref.title or "", r.get("title") or ""), i, r) for i, r in enumerate(records)]
            score, _, record = max(scored, key=lambda s: (s[0], -s[1]))
            if score < self.config.fuzzy:
                return Lookup(ref.number, "not_found", via)
        else:
            record = records[0]
        differences = compare(ref, record, self.config.fuzzy, compare_doi=via != "doi")
        status = "mismatch" if differences else "found"
        return Lookup(ref.number, status, via, record.get("doi"), record.get("title"), differences)

    # -- the services -------------------------------------------------------------------------------

    def _crossref_work(self, doi: str, end: float) -> list[dict] | str:
        url = f"{self.config.crossref_url.rstrip('/')}/works/{quote(doi, safe='/')}"
        got = self._get("crossref", url, None, end)
        if isinstance(got, str):
            return got
        status, body = got
        if status == 404:
            return []
        try:
            data = _json(body)
            if not isinstance(data, dict) or not isinstance(data.get("message"), dict) or data.get("status", "ok") != "ok":
                raise _Malformed("expected a Crossref work (status ok, message object)")
            return [_crossref_record(data["message"])]
        except _Malformed as exc:
            return f"malformed response from Crossref: {exc}"

    def _crossref_search(self, query: str, end: float) -> list[dict] | str:
        url = f"{self.config.crossref_url.rstrip('/')}/works"
        got = self._get("crossref", url, {"query.bibliographic": query, "rows": "3"}, end)
        if isinstance(got, str):
            return got
        status, body = got
        if status == 404:
            return f"service error: HTTP {status}"
        try:
            data = _json(body)
            message = data.get("message") if isinstance(data, dict) else None
            items = message.get("items") if isinstance(message, dict) else None
            if not isinstance(items, list) or data.get("status", "ok") != "ok":
                raise _Malformed("expected a Crossref work list (message.items)")
            return [_crossref_record(item) for item in items if isinstance(item, dict)]
        except _Malformed as exc:
            return f"malformed response from Crossref: {exc}"

    def _ncbi_summary(self, db: str, uid: str, end: float) -> list[dict] | str:
        url = f"{self.config.ncbi_url.rstrip('/')}/esummary.fcgi"
        params = {"db": db, "id": uid, "retmode": "json", "tool": "claimcheck"}
        if self.config.mailto:
            params["email"] = self.config.mailto.strip()
        got = self._get("ncbi", url, params, end)
        if isinstance(got, str):
            return got
        status, body = got
        if status == 404:
            return f"service error: HTTP {status}"
        try:
            return _ncbi_records(_json(body), uid, "pubmed" if db == "pubmed" else "pmc")
        except _Malformed as exc:
            return f"malformed response from NCBI: {exc}"
        except _ServiceSaid as exc:
            return f"service error: {exc}"

    def _get(self, service: str, url: str, params: dict[str, str] | None, end: float) -> tuple[int, bytes] | str:
        """GET with the rate limit, retries and the deadline: (status, body) for 2xx and 404, else the reason."""
        rate = min(self.config.rate_per_second, NCBI_MAX_RATE) if service == "ncbi" else self.config.rate_per_second
        limiter = _limiter(self.config.ncbi_url if service == "ncbi" else self.config.crossref_url)
        attempt = 0
        while True:
            if not limiter.wait(1.0 / rate, end):
                return "deadline reached"
            remaining = end - time.monotonic()
            if remaining <= 0:
                return "deadline reached"
            retry_after: float | None = None
            try:
                with (
                    network.deadline(min(remaining, self.options.total_timeout)),
                    self._http().stream("GET", url, params=params, headers=self._headers) as response,
                ):
                    status = response.status_code
                    if 200 <= status < 300:
                        return status, read_body(response, min(BODY_CAP, self.options.max_bytes), url)
                    if status == 404:
                        return status, b""
                    reason = f"service error: HTTP {status}"
                    transient = status in TRANSIENT_STATUSES
                    retry_after = retry_after_seconds(response.headers.get("retry-after"))
            except TooLargeError:
                return f"response too large (over {min(BODY_CAP, self.options.max_bytes)} bytes)"
            except httpx.DecodingError as exc:
                return f"malformed response: the compressed body could not be decoded ({exc})"
            except httpx.HTTPError as exc:
                if time.monotonic() >= end:
                    return "deadline reached"
                error = network_error(exc, url, self.options)
                reason, transient = f"network error: {error.reason}", error.transient
            if not transient or attempt >= self.config.retries:
                return reason
            pause = retry_after if retry_after is not None else BACKOFF * 2**attempt
            if time.monotonic() + pause >= end:
                return reason
            time.sleep(pause)
            attempt += 1

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = make_client(self.options)
            return self._client


# -- comparing an entry with a record ----------------------------------------------------------------


def compare(ref: Reference, record: dict, fuzzy: float = 0.85, compare_doi: bool = True) -> tuple[str, ...]:
    """The fields on which an entry and a record summary disagree: title, year, journal, author, doi."""
    differences: list[str] = []
    if ref.title and record.get("title") and title_similarity(ref.title, record["title"]) < fuzzy:
        differences.append("title")
    if ref.year and record.get("year") and abs(ref.year - record["year"]) > 1:
        differences.append("year")
    if ref.journal and _normalise(ref.journal) and record.get("journals") and not journal_matches(ref.journal, record["journals"]):
        differences.append("journal")
    if ref.authors and record.get("authors") and not surname_matches(surname(ref.authors[0]), record["authors"][0]):
        differences.append("author")
    if compare_doi and record.get("doi"):
        dois = {d for i in ref.identifiers if i.kind == "doi" and (d := _clean_identifier("doi", i.value))}
        if dois and record["doi"].lower() not in {d.lower() for d in dois}:
            differences.append("doi")
    return tuple(differences)


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1: character and word overlap, a main title against one with a subtitle."""
    best = _similarity(_normalise(a), _normalise(b))
    if best < 1:
        for main, other in ((_main_title(a), _normalise(b)), (_main_title(b), _normalise(a))):
            if len(main.split()) >= 3:
                best = max(best, _similarity(main, other))
    return best


def journal_matches(entry: str, names: Sequence[str]) -> bool:
    """Whether a cited journal is one of a record's journal names: equal, similar, an abbreviation or the initials."""
    e = _journal_words(entry)
    if not e:
        return True
    for name in names:
        n = _journal_words(name)
        if not n:
            continue
        if e == n or SequenceMatcher(None, " ".join(e), " ".join(n), autojunk=False).ratio() >= 0.85:
            return True
        if _abbreviates(e, n) or _abbreviates(n, e):
            return True
        for short, full in ((e, n), (n, e)):
            if len(short) == 1 and len(full) > 1 and short[0] == "".join(w[0] for w in full):
                return True
    return False


def surname(name: str) -> str:
    """The normalised surname of a cited author ("Smith MA", "Smith, M. A.", "M. A. Smith")."""
    if "," in name:
        return _normalise(name.split(",", 1)[0])
    words = [w for w in name.split() if not re.fullmatch(r"(?:[A-Z]\.?-?){1,3}\.?", w)]
    return _normalise(" ".join(words) or name)


def surname_matches(a: str, b: str) -> bool:
    """Whether two normalised surnames name the same person (equal, same last word, or close)."""
    a, b = _normalise(a), _normalise(b)
    if not a or not b:
        return True
    if a == b or a.split()[-1] == b.split()[-1]:
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.85


def bibliographic_query(ref: Reference) -> str:
    """The Crossref query for an entry without identifiers: title, first author, year, journal."""
    parts = [ref.title or "", surname(ref.authors[0]) if ref.authors else "", str(ref.year) if ref.year else "", ref.journal or ""]
    return " ".join(" ".join(p.split()) for p in parts if p and p.strip())


_STOP = frozenset("the of and for in on de la le des der und fur".split())


def _journal_words(name: str) -> list[str]:
    return [w for w in _normalise(name).split() if w not in _STOP]


def _abbreviates(short: list[str], full: list[str]) -> bool:
    """Each word of ``short`` abbreviates the same word of ``full``: same first letter, its letters in order."""
    if len(short) != len(full) or short == full:
        return False
    return all(s[0] == f[0] and _subsequence(s, f) for s, f in zip(short, full))


def _subsequence(short: str, full: str) -> bool:
    letters = iter(full)
    return all(c in letters for c in short)


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    wa, wb = set(a.split()), set(b.split())
    return max(ratio, len(wa & wb) / max(len(wa), len(wb)))


def _main_title(title: str) -> str:
    """A title without its subtitle (cut at the first colon, question mark, full stop or dash)."""
    return _normalise(re.split(r"[:?!.]\s|\s[-\u2013\u2014]\s", title, maxsplit=1)[0])


def _normalise(text: str) -> str:
    """Casefolded, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


# -- reading the services' answers --------------------------------------------------------------------


class _Malformed(Exception):
    """An answer that is not the JSON shape the service documents."""


class _ServiceSaid(Exception):
    """A well-formed answer in which the service reports an error of its own."""


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _Malformed("not JSON") from None


def _text(value: object) -> str | None:
    """A string field, or the first string of a list field, with markup and entities removed."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", value)).split())
    return text or None


def _year(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 2999:
        return value
    if isinstance(value, str):
        match = re.search(r"\b(1\d{3}|2\d{3})\b", value)
        return int(match.group(1)) if match else None
    return None


def _crossref_year(work: dict) -> int | None:
    for field in ("issued", "published", "published-print", "published-online"):
        parts = work.get(field)
        parts = parts.get("date-parts") if isinstance(parts, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = _year(parts[0][0])
            if year is not None:
                return year
    return None


def _crossref_record(work: dict) -> dict:
    authors = []
    for person in work.get("author") or []:
        if isinstance(person, dict):
            name = _text(person.get("family")) or _text(person.get("name"))
            if name:
                authors.append(_normalise(name))
    journals = []
    for field in ("container-title", "short-container-title"):
        values = work.get(field)
        for value in values if isinstance(values, list) else [values]:
            text = _text(value)
            if text and text not in journals:
                journals.append(text)
    return {
        "source": "crossref",
        "doi": _text(work.get("DOI")),
        "title": _text(work.get("title")),
        "year": _crossref_year(work),
        "journals": journals,
        "authors": [a for a in authors if a],
    }


def _ncbi_records(data: object, uid: str, source: str) -> list[dict]:
    if not isinstance(data, dict):
        raise _Malformed("expected a JSON object")
    messages = data.get("esummaryresult")
    if isinstance(messages, list) and any(isinstance(m, str) and re.search(r"invalid uid|empty id list", m, re.I) for m in messages):
        return []
    if "error" in data and "result" not in data:
        raise _ServiceSaid(str(data["error"])[:200])
    result = data.get("result")
    if not isinstance(result, dict):
        raise _Malformed("expected a result object")
    entry = result.get(uid)
    if entry is None:
        uids = result.get("uids")
        if isinstance(uids, list) and uid not in [str(u) for u in uids]:
            return []
        raise _Malformed(f"no entry for {uid} in the result")
    if not isinstance(entry, dict):
        raise _Malformed(f"the entry for {uid} is not an object")
    if "error" in entry:
        return []
    doi = None
    for article_id in entry.get("articleids") or []:
        if isinstance(article_id, dict) and article_id.get("idtype") == "doi" and _text(article_id.get("value")):
            doi = _text(article_id.get("value"))
            break
    authors = []
    for person in entry.get("authors") or []:
        name = _text(person.get("name")) if isinstance(person, dict) else None
        if name and (not isinstance(person, dict) or person.get("authtype", "Author") in ("Author", "CollectiveName")):
            authors.append(surname(name))
    journals = [j for j in (_text(entry.get("fulljournalname")), _text(entry.get("source"))) if j]
    return [
        {
            "source": source,
            "doi": doi,
            "title": _text(entry.get("title")),
            "year": _year(entry.get("pubdate")) or _year(entry.get("epubdate")) or _year(entry.get("sortpubdate")),
            "journals": list(dict.fromkeys(journals)),
            "authors": [a for a in authors if a],
        }
    ]


def _clean_identifier(kind: str, value: str) -> str | None:
    """A DOI without its resolver prefix, a PMID's digits, a PMCID's digits; None when unusable."""
    value = value.strip()
    if kind == "doi":
        value = unquote(re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I))
        return value if re.match(r"^10\.\d{4,9}/\S+$", value) else None
    if kind == "pmid":
        return str(int(value)) if value.isdigit() and int(value) > 0 else None
    if kind == "pmcid":
        digits = value.upper().removeprefix("PMC")
        return str(int(digits)) if digits.isdigit() and int(digits) > 0 else None
    return None


# -- the rate limit -------------------------------------------------------------------------------------


class _Limiter:
    """Spaces requests to one service at least ``interval`` apart, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = -math.inf

    def wait(self, interval: float, end: float) -> bool:
        """Wait for the next free slot; False (without waiting) when it would come after ``end``."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._last + interval)
            if slot >= end:
                return False
            self._last = slot
        if slot > now:
            time.sleep(slot - now)
        return True


_LIMITERS: dict[str, _Limiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _limiter(service_url: str) -> _Limiter:
    """The process-wide limiter of one service, so several verifiers share its budget."""
    key = service_url.rstrip("/").lower()
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(key, _Limiter())


# -- the cache ---------------------------------------------------------------------------------------------


class _Cache:
    """The SQLite cache of answers, shared by verifiers and processes (WAL, 30 s busy timeout)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and not os.access(path, os.W_OK):
                raise PermissionError(f"{path} is read-only")
            self._db: sqlite3.Connection | None = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS lookups (key TEXT PRIMARY KEY, record TEXT NOT NULL, fetched_at REAL NOT NULL)"
                )
            except sqlite3.Error:
                self._db.close()
                raise
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise InputError(f"cannot use the reference cache {path}: {reason}", "option cache_path") from None

    def get(self, key: str) -> tuple[list[dict], float] | None:
        """The records cached under ``key`` and when they were fetched, or None (also for an unreadable row)."""
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute("SELECT record, fetched_at FROM lookups WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        try:
            data = json.loads(row[0])
            records = data["records"]
            if data.get("v") != CACHE_VERSION or not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                return None
            return records, float(row[1])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    def put(self, key: str, records: list[dict]) -> None:
        """Store the records under ``key`` as fetched now; a cache that cannot be written is skipped."""
        text = json.dumps({"v": CACHE_VERSION, "records": records}, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._db is None:
                return
            try:
                self._db.execute("INSERT OR REPLACE INTO lookups (key, record, fetched_at) VALUES (?, ?, ?)", (key, text, time.time()))
            except sqlite3.Error:
                pass

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()


# -- validation -------------------------------------------------------------------------------------------


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _invalid(name: str, reason: str) -> InputError:
    return InputError(reason, f"option {name}")
