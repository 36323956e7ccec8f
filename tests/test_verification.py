"""Reference verification against Crossref and NCBI, played by a local pytest-httpserver."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time

import pytest
from werkzeug import Response

from claimcheck import verification
from claimcheck.errors import InputError
from claimcheck.options import Options
from claimcheck.records import Identifier, Reference
from claimcheck.verification import (
    Lookup,
    ReferenceVerifier,
    VerifyConfig,
    default_cache_path,
    journal_matches,
    surname,
    title_similarity,
)
from claimcheck.version import __version__

TITLE = "Low-dose naltrexone for chronic pain: a randomized controlled trial"
JOURNAL = "The New England journal of medicine"


def work(doi="10.1000/ldn.1", title=TITLE, year=2019, journal=JOURNAL, short="N Engl J Med", family="Smith") -> dict:
    """A Crossref work, as in the message of /works/{doi} and the items of /works."""
    return {
        "DOI": doi,
        "type": "journal-article",
        "title": [title],
        "container-title": [journal],
        "short-container-title": [short],
        "issued": {"date-parts": [[year, 5]]},
        "author": [{"given": "Maria A.", "family": family, "sequence": "first"}, {"given": "Bo", "family": "Jones"}],
    }


def crossref_work(**kw) -> dict:
    return {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": work(**kw)}


def crossref_list(*works: dict) -> dict:
    return {
        "status": "ok",
        "message-type": "work-list",
        "message": {"total-results": len(works), "items-per-page": 3, "items": list(works)},
    }


def esummary(uid: str, title=TITLE + ".", pubdate="2019 May 3", doi="10.1000/ldn.1", pmcid=None) -> dict:
    """An NCBI esummary (retmode=json) answer for one uid."""
    ids = [{"idtype": "pubmed", "idtypen": 1, "value": uid}, {"idtype": "doi", "idtypen": 3, "value": doi}]
    if pmcid:
        ids.append({"idtype": "pmcid", "idtypen": 8, "value": pmcid})
    entry = {
        "uid": uid,
        "pubdate": pubdate,
        "source": "N Engl J Med",
        "fulljournalname": JOURNAL,
        "title": title,
        "authors": [{"name": "Smith MA", "authtype": "Author", "clusterid": ""}, {"name": "Jones B", "authtype": "Author"}],
        "articleids": ids,
    }
    return {"header": {"type": "esummary", "version": "0.3"}, "result": {"uids": [uid], uid: entry}}


def ref(number=1, doi=None, pmid=None, pmcid=None, title=TITLE, year=2019, journal="N Engl J Med", authors=("Smith MA",)) -> Reference:
    ids = tuple(Identifier(k, v) for k, v in (("doi", doi), ("pmid", pmid), ("pmcid", pmcid)) if v)
    return Reference(
        number, str(number), f"[{number}] {title}", identifiers=ids, authors=tuple(authors), year=year, title=title, journal=journal
    )


def requests_to(httpserver, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == path)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(verification, "BACKOFF", 0.05)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache" / "references.sqlite"


@pytest.fixture
def make(httpserver, cache):
    """Build verifiers against the local server; every one is closed after the test."""
    made: list[ReferenceVerifier] = []

    def build(options: Options | None = None, **kw) -> ReferenceVerifier:
        kw.setdefault("crossref_url", httpserver.url_for("/crossref"))
        kw.setdefault("ncbi_url", httpserver.url_for("/eutils"))
        kw.setdefault("cache_path", cache)
        kw.setdefault("rate_per_second", 100.0)
        kw.setdefault("deadline", 10.0)
        verifier = ReferenceVerifier(options or Options(allow_private=True), VerifyConfig(**kw))
        made.append(verifier)
        return verifier

    yield build
    for verifier in made:
        verifier.close()


# -- found --------------------------------------------------------------------------------------------


def test_found_by_doi_with_polite_user_agent(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/LDN.1").respond_with_json(crossref_work())
    (lookup,) = make(mailto="team@example.org").verify([ref(3, doi="10.1000/LDN.1")])
    assert lookup == Lookup(3, "found", "doi", doi="10.1000/ldn.1", title=TITLE)
    request = httpserver.log[0][0]
    assert request.headers["User-Agent"] == f"claimcheck/{__version__} (mailto:team@example.org)"
    assert request.headers["Accept"] == "application/json"


def test_found_by_pmid(httpserver, make):
    query = {"db": "pubmed", "id": "31000001", "retmode": "json", "tool": "claimcheck", "email": "a@b.org"}
    httpserver.expect_request("/eutils/esummary.fcgi", query_string=query).respond_with_json(esummary("31000001"))
    (lookup,) = make(mailto="a@b.org").verify([ref(pmid="31000001", journal="N Engl J Med")])
    assert (lookup.status, lookup.via, lookup.doi, lookup.title) == ("found", "pmid", "10.1000/ldn.1", TITLE + ".")
    assert "mailto:a@b.org" in httpserver.log[0][0].headers["User-Agent"]


def test_found_by_pmcid(httpserver, make):
    query = {"db": "pmc", "id": "6543210", "retmode": "json", "tool": "claimcheck"}
    httpserver.expect_request("/eutils/esummary.fcgi", query_string=query).respond_with_json(esummary("6543210", pmcid="PMC6543210"))
    (lookup,) = make().verify([ref(pmcid="PMC6543210")])
    assert (lookup.status, lookup.via) == ("found", "pmcid")
    assert httpserver.log[0][0].headers["User-Agent"] == f"claimcheck/{__version__}"


def test_found_by_bibliographic_query_picks_the_closest_title(httpserver, make):
    entry = ref(title=TITLE, authors=("Smith MA", "Jones B"), year=2019, journal="N Engl J Med")
    query = {"query.bibliographic": f"{TITLE} smith 2019 N Engl J Med", "rows": "3"}
    candidates = crossref_list(
        work(doi="10.1000/other", title="Naltrexone in alcohol dependence"),
        work(doi="10.1000/ldn.1", title="Low-dose naltrexone for chronic pain: A randomised controlled trial"),
        work(doi="10.1000/other2", title="Chronic pain in primary care"),
    )
    httpserver.expect_request("/crossref/works", query_string=query).respond_with_json(candidates)
    (lookup,) = make().verify([entry])
    assert (lookup.status, lookup.via, lookup.doi) == ("found", "bibliographic", "10.1000/ldn.1")


def test_abbreviated_journal_near_year_and_subtitle_are_no_mismatch(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(crossref_work(year=2020, short=""))
    entry = ref(
        doi="10.1000/ldn.1", title="Low-dose naltrexone for chronic pain", year=2019, journal="N Engl J Med", authors=("Smith, M. A.",)
    )
    (lookup,) = make().verify([entry])
    assert lookup.status == "found", lookup


# -- not found and mismatch ----------------------------------------------------------------------------


def test_not_found_answers_are_cached(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/missing").respond_with_data("Resource not found.", status=404)
    httpserver.expect_request("/crossref/works").respond_with_json(crossref_list())
    missing_pmid = {"result": {"uids": ["99999999"], "99999999": {"uid": "99999999", "error": "cannot get document summary"}}}
    httpserver.expect_request("/eutils/esummary.fcgi").respond_with_json(missing_pmid)
    entries = [ref(1, doi="10.1000/missing"), ref(2, title="A study nobody wrote about anything"), ref(3, pmid="99999999")]
    verifier = make()
    first = verifier.verify(entries)
    assert [(x.status, x.via) for x in first] == [("not_found", "doi"), ("not_found", "bibliographic"), ("not_found", "pmid")]
    count = len(httpserver.log)
    assert count == 3
    assert verifier.verify(entries) == first
    assert len(httpserver.log) == count


def test_bibliographic_candidates_below_the_threshold_are_not_found(httpserver, make):
    httpserver.expect_request("/crossref/works").respond_with_json(crossref_list(work(title="Something else entirely about knees")))
    (lookup,) = make().verify([ref()])
    assert (lookup.status, lookup.via) == ("not_found", "bibliographic")


def test_mismatch_of_title_and_year(httpserver, make):
    other = crossref_work(title="Acupuncture for migraine prophylaxis", year=2011)
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(other)
    (lookup,) = make().verify([ref(doi="10.1000/ldn.1", year=2019)])
    assert lookup.status == "mismatch"
    assert lookup.differences == ("title", "year")
    assert lookup.title == "Acupuncture for migraine prophylaxis"


def test_mismatch_of_journal_and_author(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(
        crossref_work(journal="Pain", short="Pain", family="Okafor")
    )
    (lookup,) = make().verify([ref(doi="10.1000/ldn.1", journal="Lancet")])
    assert (lookup.status, lookup.differences) == ("mismatch", ("journal", "author"))


def test_a_dead_doi_with_a_live_pmid_is_a_doi_mismatch(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/typo").respond_with_data("Resource not found.", status=404)
    httpserver.expect_request("/eutils/esummary.fcgi").respond_with_json(esummary("31000001"))
    (lookup,) = make().verify([ref(doi="10.1000/typo", pmid="31000001")])
    assert (lookup.status, lookup.via, lookup.differences, lookup.doi) == ("mismatch", "pmid", ("doi",), "10.1000/ldn.1")


def test_missing_fields_are_not_compared(httpserver, make):
    bare = {"status": "ok", "message": {"DOI": "10.1000/bare"}}
    httpserver.expect_request("/crossref/works/10.1000/bare").respond_with_json(bare)
    (lookup,) = make().verify([ref(doi="10.1000/bare")])
    assert (lookup.status, lookup.title) == ("found", None)


def test_nothing_to_look_up(make, httpserver):
    (lookup,) = make().verify([ref(title=None)])
    assert (lookup.status, lookup.via) == ("undecided", None)
    assert "nothing to look up" in lookup.reason
    assert not httpserver.log


# -- retries, errors and the deadline ---------------------------------------------------------------------


def test_429_retry_after_is_honoured(httpserver, make):
    path = "/crossref/works/10.1000/ldn.1"
    httpserver.expect_oneshot_request(path).respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request(path).respond_with_json(crossref_work())
    start = time.monotonic()
    (lookup,) = make().verify([ref(doi="10.1000/ldn.1")])
    elapsed = time.monotonic() - start
    assert lookup.status == "found"
    assert 1.0 <= elapsed < 2.5
    assert requests_to(httpserver, path) == 2


def test_retry_after_past_the_deadline_is_not_waited_for(httpserver, make):
    path = "/crossref/works/10.1000/ldn.1"
    httpserver.expect_request(path).respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    start = time.monotonic()
    (lookup,) = make(deadline=2.0).verify([ref(doi="10.1000/ldn.1")])
    assert time.monotonic() - start < 1.0
    assert (lookup.status, lookup.reason) == ("undecided", "service error: HTTP 429")
    assert requests_to(httpserver, path) == 1


def test_500_then_success(httpserver, make):
    path = "/crossref/works/10.1000/ldn.1"
    httpserver.expect_oneshot_request(path).respond_with_data("oops", status=500)
    httpserver.expect_request(path).respond_with_json(crossref_work())
    (lookup,) = make().verify([ref(doi="10.1000/ldn.1")])
    assert lookup.status == "found"
    assert requests_to(httpserver, path) == 2


def test_persistent_503_is_undecided_and_not_cached(httpserver, make):
    path = "/crossref/works/10.1000/ldn.1"
    httpserver.expect_request(path).respond_with_data("down", status=503)
    verifier = make(retries=2)
    (lookup,) = verifier.verify([ref(doi="10.1000/ldn.1")])
    assert (lookup.status, lookup.via, lookup.reason) == ("undecided", "doi", "service error: HTTP 503")
    assert requests_to(httpserver, path) == 3
    verifier.verify([ref(doi="10.1000/ldn.1")])
    assert requests_to(httpserver, path) == 6


def test_a_server_that_never_answers_is_bounded_by_the_deadline(httpserver, make):
    release = threading.Event()

    def hang(request):
        release.wait(10)
        return Response(json.dumps(crossref_work()), content_type="application/json")

    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_handler(hang)
    entries = [ref(1, doi="10.1000/ldn.1"), ref(2, doi="10.1000/ldn.2"), ref(3, pmid="31000001")]
    try:
        start = time.monotonic()
        lookups = make(deadline=1.0).verify(entries)
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert elapsed < 1.6
    assert [(x.status, x.reason) for x in lookups] == [("undecided", "deadline reached")] * 3
    assert [x.via for x in lookups] == ["doi", "doi", "pmid"]


@pytest.mark.parametrize(
    ("path", "body", "entry"),
    [
        ("/crossref/works/10.1000/ldn.1", b'{"status": "ok", "message": {"DOI": ', ref(doi="10.1000/ldn.1")),
        ("/crossref/works/10.1000/ldn.1", b'{"status": "ok", "message": ["not", "a", "work"]}', ref(doi="10.1000/ldn.1")),
        ("/crossref/works", b'{"status": "ok", "message": {"items": "none"}}', ref()),
        ("/eutils/esummary.fcgi", b'{"header": {}, "result": {"uids": ["31000001"]}}', ref(pmid="31000001")),
        ("/eutils/esummary.fcgi", b"<html>not json</html>", ref(pmid="31000001")),
    ],
)
def test_malformed_answers_are_undecided(httpserver, make, path, body, entry):
    httpserver.expect_request(path).respond_with_data(body, content_type="application/json")
    verifier = make()
    (lookup,) = verifier.verify([entry])
    assert lookup.status == "undecided"
    assert lookup.reason.startswith("malformed response from"), lookup.reason
    verifier.verify([entry])
    assert requests_to(httpserver, path) == 2  # not cached


def test_ncbi_service_error_is_undecided(httpserver, make):
    httpserver.expect_request("/eutils/esummary.fcgi").respond_with_json({"error": "API rate limit exceeded", "count": "11", "limit": "10"})
    (lookup,) = make().verify([ref(pmid="31000001")])
    assert (lookup.status, lookup.reason) == ("undecided", "service error: API rate limit exceeded")


def test_loopback_service_is_refused_without_allow_private(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(crossref_work())
    (lookup,) = make(options=Options()).verify([ref(doi="10.1000/ldn.1")])
    assert lookup.status == "undecided"
    assert "refused" in lookup.reason and "loopback" in lookup.reason
    assert not httpserver.log


# -- the cache -------------------------------------------------------------------------------------------


def test_cached_answers_cost_no_request_and_expire(httpserver, make, cache):
    path = "/crossref/works/10.1000/ldn.1"
    httpserver.expect_request(path).respond_with_json(crossref_work())
    verifier = make(ttl_days=30)
    first = verifier.verify([ref(doi="10.1000/ldn.1")])
    assert verifier.verify([ref(doi="10.1000/LDN.1")]) == first
    assert requests_to(httpserver, path) == 1
    with sqlite3.connect(cache) as db:
        (key, fetched_at) = db.execute("SELECT key, fetched_at FROM lookups").fetchone()
        assert key == "doi:10.1000/ldn.1"
        db.execute("UPDATE lookups SET fetched_at = ?", (fetched_at - 31 * 86400,))
    db.close()
    assert verifier.verify([ref(doi="10.1000/ldn.1")]) == first
    assert requests_to(httpserver, path) == 2


def test_cache_is_shared_between_verifiers(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(crossref_work())
    httpserver.expect_request("/eutils/esummary.fcgi").respond_with_json(esummary("31000001"))
    entries = [ref(1, doi="10.1000/ldn.1"), ref(2, pmid="31000001")]
    first = make().verify(entries)
    second = make().verify(entries)
    assert second == first
    assert len(httpserver.log) == 2
    with sqlite3.connect(make().config.cache_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_offline_uses_the_cache_and_makes_no_request(httpserver, make):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(crossref_work())
    make().verify([ref(doi="10.1000/ldn.1")])
    assert len(httpserver.log) == 1
    offline = make(options=Options(), offline=True)  # the address guard would refuse anyway; no request is tried
    cached, unknown, search = offline.verify([ref(1, doi="10.1000/ldn.1"), ref(2, doi="10.1000/unknown"), ref(3)])
    assert (cached.status, cached.via) == ("found", "doi")
    assert (unknown.status, unknown.via, unknown.reason) == ("undecided", "doi", "offline: not in the cache")
    assert (search.status, search.reason) == ("undecided", "offline: not in the cache")
    assert len(httpserver.log) == 1
    assert offline._client is None


def test_offline_uses_stale_entries(httpserver, make, cache):
    httpserver.expect_request("/crossref/works/10.1000/ldn.1").respond_with_json(crossref_work())
    make().verify([ref(doi="10.1000/ldn.1")])
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE lookups SET fetched_at = 0")
    db.close()
    (lookup,) = make(offline=True, ttl_days=1).verify([ref(doi="10.1000/ldn.1")])
    assert lookup.status == "found"
    assert len(httpserver.log) == 1


def test_an_unwritable_cache_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot use the reference cache"):
        ReferenceVerifier(Options(), VerifyConfig(cache_path=blocker / "references.sqlite", offline=True))
    not_sqlite = tmp_path / "junk.sqlite"
    not_sqlite.write_bytes(b"this is not a database, not at all" * 100)
    with pytest.raises(InputError) as error:
        ReferenceVerifier(Options(), VerifyConfig(cache_path=not_sqlite, offline=True))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_per_second": 0},
        {"deadline": -1},
        {"retries": -1},
        {"retries": 1.5},
        {"fuzzy": 1.5},
        {"ttl_days": float("nan")},
        {"mailto": "a@b.org\r\nX-Evil: 1"},
        {"crossref_url": "ftp://example.org"},
        {"offline": "yes"},
    ],
)
def test_bad_config_is_an_input_error(bad):
    with pytest.raises(InputError):
        VerifyConfig(**bad)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG applies to Linux and other Unix")
def test_default_cache_path_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "claimcheck" / "references.sqlite"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_path() == tmp_path / "home" / ".cache" / "claimcheck" / "references.sqlite"


# -- the rate limit ---------------------------------------------------------------------------------------


def test_rate_limit_spaces_requests(httpserver, make):
    n, rate = 6, 20.0
    for i in range(n):
        httpserver.expect_request(f"/crossref/works/10.1000/r{i}").respond_with_json(crossref_work(doi=f"10.1000/r{i}"))
    verifier = make(rate_per_second=rate)
    start = time.monotonic()
    lookups = verifier.verify([ref(i, doi=f"10.1000/r{i}") for i in range(n)])
    elapsed = time.monotonic() - start
    assert [x.status for x in lookups] == ["found"] * n
    assert elapsed >= (n - 1) / rate - 0.01


def test_rate_limit_is_shared_across_threads(httpserver, make):
    n, rate = 8, 20.0
    for i in range(n):
        httpserver.expect_request(f"/crossref/works/10.1000/t{i}").respond_with_json(crossref_work(doi=f"10.1000/t{i}"))
    verifier = make(rate_per_second=rate)
    results: list[Lookup] = []
    threads = [threading.Thread(target=lambda i=i: results.extend(verifier.verify([ref(i, doi=f"10.1000/t{i}")]))) for i in range(n)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start >= (n - 1) / rate - 0.01
    assert sorted(x.status for x in results) == ["found"] * n


# -- comparing ---------------------------------------------------------------------------------------------


def test_journal_abbreviations():
    assert journal_matches("N Engl J Med", ["The New England journal of medicine"])
    assert journal_matches("Proc Natl Acad Sci U S A", ["Proceedings of the National Academy of Sciences of the United States of America"])
    assert journal_matches("JAMA", ["Journal of the American Medical Association"])
    assert journal_matches("The Lancet", ["Lancet"])
    assert not journal_matches("Lancet", ["Pain", "BMJ"])
    assert not journal_matches("J Pain", ["Journal of Neurology"])


def test_titles_and_surnames():
    assert title_similarity("Vitamin D and cancer.", "VITAMIN-D and Cancer") == 1.0
    assert title_similarity("Low-dose naltrexone for chronic pain", TITLE) == 1.0
    assert title_similarity("Zinc lozenges and the common cold", "Acupuncture for migraine") < 0.5
    assert surname("Smith MA") == surname("Smith, M. A.") == surname("M. A. Smith") == "smith"
    assert surname("Müller-Lüdenscheidt HJ") == "muller ludenscheidt"
