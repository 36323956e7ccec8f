"""Batch audits of a generated site served from loopback, through every input kind."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimcheck.audit import AuditConfig, AuditInputs, Politeness, audit, site_summary, write_summary
from claimcheck.audit.dashboard import write_dashboard
from claimcheck.audit.store import AuditStore, page_report_name
from claimcheck.errors import InputError
from claimcheck.options import Options

from .site import Site

LOCAL = Options(allow_private=True)  # the test sites are on loopback

N_PAGES = 300


def reports(out: Path) -> list[dict]:
    with (out / "reports.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def statuses(out: Path) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(out / "audit.sqlite")
    try:
        return {key: (status, error) for key, status, error in db.execute("SELECT key, status, error FROM pages")}
    finally:
        db.close()


@pytest.fixture(scope="module")
def site():
    s = Site(n=N_PAGES)
    with s.serve() as base:
        s.base = base
        yield s


@pytest.fixture(scope="module")
def listed(site, tmp_path_factory):
    """One audit of a URL list of every post plus a redirect, a robots-disallowed page and a malformed line."""
    folder = tmp_path_factory.mktemp("listed")
    urls = folder / "urls.txt"
    extra = [
        f"{site.base}/blog/old-post-20",
        f"{site.base}/blog/private/notes-3",
        f"{site.base}/blog/private/open-3",
        "clinic.example/no-scheme",
    ]
    urls.write_text("# the clinic's posts\n\n" + "\n".join(site.sitemap_urls(site.base) + extra) + "\n", encoding="utf-8")
    before = dict(site.requests)
    started = time.monotonic()
    result = audit(
        AuditInputs(sources=(str(urls),)),
        folder / "out",
        AuditConfig(options=LOCAL, jobs=2, politeness=Politeness(per_host=2, backoff=0.05)),
    )
    return {"out": folder / "out", "urls": urls, "result": result, "seconds": time.monotonic() - started, "before": before}


def test_url_list_checks_every_page_once(site, listed):
    out = listed["out"]
    state = statuses(out)
    posts = site.sitemap_urls(site.base)
    assert set(posts) <= set(state)
    assert len(state) == N_PAGES + 4
    keys = [r["key"] for r in reports(out)]
    assert len(keys) == len(set(keys)), "a page was written twice"
    done = {k for k, (status, _) in state.items() if status == "done"}
    assert set(keys) == done


def test_failing_pages_are_recorded_not_fatal(site, listed):
    state = statuses(listed["out"])
    failing = [f"{site.base}/blog/post-{i}" for i in range(1, N_PAGES + 1) if site.is_failing(i)]
    assert failing
    for url in failing:
        assert state[url] == ("failed", "HTTP 500 Internal Server Error")
    assert state["clinic.example/no-scheme"][0] == "failed"
    assert "malformed URL" in state["clinic.example/no-scheme"][1]
    assert listed["result"].failed == len(failing) + 1


def test_transient_errors_are_retried_and_retry_after_honoured(site, listed):
    state = statuses(listed["out"])
    flaky = [i for i in range(1, N_PAGES + 1) if site.is_flaky(i)]
    assert flaky
    for i in flaky:
        path = f"/blog/post-{i}"
        assert state[site.base + path][0] == "done"
        assert site.requests[path] == 2
        times = [t for t, p, _ in site.log if p == path]
        if i % 2:  # answered 429 with Retry-After: 1
            assert times[1] - times[0] >= 0.9


def test_robots_txt_is_obeyed(site, listed):
    state = statuses(listed["out"])
    assert state[f"{site.base}/blog/private/notes-3"] == ("skipped", "disallowed by robots.txt")
    assert site.requests["/blog/private/notes-3"] == 0
    assert state[f"{site.base}/blog/private/open-3"][0] == "done"  # the longer Allow rule wins


def test_redirects_and_slow_pages(site, listed):
    db = sqlite3.connect(listed["out"] / "audit.sqlite")
    final = db.execute("SELECT final_url, status FROM pages WHERE key = ?", (f"{site.base}/blog/old-post-20",)).fetchone()
    assert final == (f"{site.base}/blog/post-20", "done")
    slow = [f"{site.base}/blog/post-{i}" for i in range(1, N_PAGES + 1) if site.is_slow(i) and not site.is_failing(i)]
    assert slow and all(statuses(listed["out"])[u][0] == "done" for u in slow)


def test_per_host_limit(site, listed):
    assert 1 <= site.max_active <= 2


def test_reports_are_the_single_page_reports(site, listed):
    """Each JSONL line is the report `claimcheck --format json` gives for that page, plus its key."""
    from claimcheck import check_html
    from claimcheck.report import to_dict

    record = next(r for r in reports(listed["out"]) if r["key"] == f"{site.base}/blog/post-4")
    expected = to_dict(check_html(site.post_html(4), url=f"{site.base}/blog/post-4"))
    assert record["sentences"] == expected["sentences"]
    assert record["findings"] == expected["findings"]
    assert record["summary"]["flagged"] == expected["summary"]["flagged"] > 0


def test_tables_match_reports(listed):
    db = sqlite3.connect(listed["out"] / "audit.sqlite")
    for record in reports(listed["out"])[:20]:
        n = db.execute("SELECT COUNT(*) FROM sentences WHERE page_key = ?", (record["key"],)).fetchone()[0]
        flagged = db.execute("SELECT COUNT(*) FROM sentences WHERE page_key = ? AND flagged = 1", (record["key"],)).fetchone()[0]
        assert n == len(record["sentences"])
        assert flagged == sum(s["flagged"] for s in record["sentences"])


CSV_HEADERS = {
    "summary.csv": ["name", "value"],
    "rules.csv": ["rule", "severity", "findings", "pages"],
    "phrases.csv": ["phrase", "findings", "pages"],
    "worst_pages.csv": ["key", "title", "score", "high", "flagged", "findings"],
    "failed_pages.csv": ["key", "error"],
    "pages.csv": [
        "key",
        "status",
        "origin",
        "host",
        "final_url",
        "title",
        "units",
        "claims",
        "flagged",
        "findings",
        "max_severity",
        "error",
        "attempts",
    ],
    "sites.csv": ["host", "pages", "checked", "failed", "flagged_pages", "findings"],
    "findings.csv": ["key", "final_url", "sentence", "sentence_text", "rule", "severity", "message", "phrase"],
}


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_summary_counts_and_csv(site, listed):
    out = listed["out"]
    summary = site_summary(out)
    paths = write_summary(out, summary)
    state = statuses(out)
    assert summary.totals["checked"] == sum(1 for s, _ in state.values() if s == "done")
    assert summary.totals["failed"] == listed["result"].failed
    assert summary.totals["skipped"] == 1
    phrases = {p for p, _, _ in summary.phrases}
    assert "cures" in phrases and "no side effects" in phrases
    assert sorted(p.name for p in paths) == sorted(CSV_HEADERS)
    tables = {}
    for path in paths:
        header, rows = read_csv(path)
        assert header == CSV_HEADERS[path.name], path.name  # one table per file, each with its own header
        tables[path.name] = rows
    totals = {r["name"]: int(r["value"]) for r in tables["summary.csv"]}
    assert totals["checked"] == summary.totals["checked"] and totals["findings"] == sum(
        totals[f"findings_{s}"] for s in ("high", "medium", "low")
    )
    assert {(r["rule"], r["severity"]) for r in tables["rules.csv"]} == {(rule, severity) for rule, severity, _, _ in summary.rules}
    assert [r["phrase"] for r in tables["phrases.csv"]] == [p for p, _, _ in summary.phrases]
    assert [r["key"] for r in tables["worst_pages.csv"]] == [w[0] for w in summary.worst]
    failed = {k for k, (s, _) in state.items() if s == "failed"}
    assert {r["key"] for r in tables["failed_pages.csv"]} == failed and all(r["error"] for r in tables["failed_pages.csv"])
    assert len(tables["pages.csv"]) == len(state)
    db = sqlite3.connect(out / "audit.sqlite")
    assert len(tables["findings.csv"]) == db.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
    row = next(r for r in tables["findings.csv"] if r["rule"] == "CC101")
    text = db.execute("SELECT text FROM sentences WHERE page_key = ? AND idx = ?", (row["key"], int(row["sentence"]))).fetchone()[0]
    assert row["sentence_text"] == text and row["final_url"].startswith(site.base) and row["phrase"]


def test_rerun_fetches_nothing_already_done(site, listed):
    before = dict(site.requests)
    result = audit(
        AuditInputs(sources=(str(listed["urls"]),)), listed["out"], AuditConfig(options=LOCAL, jobs=1, politeness=Politeness(backoff=0.05))
    )
    fetched = {p: n - before.get(p, 0) for p, n in site.requests.items() if n - before.get(p, 0)}
    failing = {f"/blog/post-{i}" for i in range(1, N_PAGES + 1) if site.is_failing(i)}
    assert set(fetched) - {"/robots.txt"} == failing  # only the failed pages are tried again
    assert result.counts == listed["result"].counts


def test_cache_serves_a_new_audit(site, listed, tmp_path):
    before = dict(site.requests)
    urls = tmp_path / "few.txt"
    urls.write_text("\n".join(site.sitemap_urls(site.base)[:10]), encoding="utf-8")
    audit(AuditInputs(sources=(str(urls),)), tmp_path / "out", AuditConfig(options=LOCAL, cache=listed["out"] / "cache"))
    assert all(site.requests[p] == before.get(p, 0) for p in site.requests if p.startswith("/blog/post"))
    assert len(reports(tmp_path / "out")) == 10


def test_other_inputs_refuse_an_existing_audit(listed, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("https://clinic.example/\n", encoding="utf-8")
    with pytest.raises(InputError, match="other inputs"):
        audit(AuditInputs(sources=(str(other),)), listed["out"])


def test_sitemap_index_with_gzip(site, tmp_path):
    result = audit(
        AuditInputs(sitemaps=(f"{site.base}/sitemap.xml",)),
        tmp_path,
        AuditConfig(options=LOCAL, jobs=2, politeness=Politeness(backoff=0.05)),
    )
    state = statuses(tmp_path)
    assert set(state) == set(site.sitemap_urls(site.base))
    assert result.counts["done"] + result.counts["failed"] == N_PAGES


def test_crawl_stays_in_scope_and_limits(site, tmp_path):
    result = audit(
        AuditInputs(crawl=(f"{site.base}/blog/",)),
        tmp_path,
        AuditConfig(options=LOCAL, jobs=2, max_pages=120, politeness=Politeness(backoff=0.05)),
    )
    state = statuses(tmp_path)
    assert len(state) == 120
    assert all(k.startswith(f"{site.base}/blog/") for k in state)
    assert sum(result.counts.values()) == 120
    keys = [r["key"] for r in reports(tmp_path)]
    assert len(keys) == len(set(keys))


def test_crawl_follows_links_and_skips_disallowed(tmp_path):
    small = Site(n=30, slow_every=0, fail_every=0, flaky_every=0)
    with small.serve() as base:
        audit(AuditInputs(crawl=(f"{base}/blog/post-1",)), tmp_path, AuditConfig(options=LOCAL, jobs=1, max_depth=40))
    state = statuses(tmp_path)
    posts = {f"{base}/blog/post-{i}" for i in range(1, 31)}
    assert posts <= set(state)  # reached through the "next post" links
    assert state[f"{base}/blog/private/notes-10"] == ("skipped", "disallowed by robots.txt")
    assert small.requests["/blog/private/notes-10"] == 0
    assert state[f"{base}/blog/gone-10"] == ("failed", "HTTP 404 Not Found")
    assert not any("/shop/" in k or "elsewhere.example" in k for k in state)


def test_folder_of_saved_pages(tmp_path):
    s = Site(n=25)
    saved = s.save_folder(tmp_path / "saved", 25)
    (tmp_path / "saved" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = audit(AuditInputs(sources=(str(tmp_path / "saved"),)), tmp_path / "out")
    assert result.counts == {"done": 25}
    assert {r["source"] for r in reports(tmp_path / "out")} == {str(p) for p in saved}


def test_warc_file(site, tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    urls = site.write_warc(warc, site.base, 20)
    before = sum(site.requests.values())
    result = audit(AuditInputs(sources=(str(warc),)), tmp_path / "out")
    assert sum(site.requests.values()) == before  # read from the archive, not fetched
    assert result.counts == {"done": 20, "skipped": 1}
    state = statuses(tmp_path / "out")
    assert set(urls) <= set(state)
    assert state[f"{site.base}/logo.png"] == ("skipped", "not an HTML page: the content type is image/png")
    record = next(r for r in reports(tmp_path / "out") if r["key"] == urls[3])
    assert record["url"] == urls[3] and record["summary"]["flagged"] > 0


def test_bad_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        audit(AuditInputs(sources=(str(tmp_path / "missing.txt"),)), tmp_path / "out")
    with pytest.raises(InputError, match="nothing to audit"):
        audit(AuditInputs(), tmp_path / "out")
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(b"this is not an archive")
    with pytest.raises(InputError, match="WARC"):
        audit(AuditInputs(sources=(str(broken),)), tmp_path / "out2")


def test_csv_cells_are_never_formulas(tmp_path):
    page = tmp_path / "pages" / "evil.html"
    page.parent.mkdir()
    page.write_text(
        '<html><head><title>=HYPERLINK("http://x.example","click")\x1b[2J</title></head><body><main>'
        "<p>=SUM(A1:A9) Our tincture cures arthritis and has no side effects.</p>"
        "<p>Our tincture cures arthritis and has no side effects.</p></main></body></html>",
        encoding="utf-8",
    )
    audit(AuditInputs(sources=(str(page.parent),)), tmp_path / "out")
    write_summary(tmp_path / "out")
    _, pages = read_csv(tmp_path / "out" / "pages.csv")
    assert pages[0]["title"].startswith("'=HYPERLINK") and "\x1b" not in pages[0]["title"]
    _, findings = read_csv(tmp_path / "out" / "findings.csv")
    assert any(r["sentence_text"].startswith("'=SUM(A1:A9)") for r in findings)  # a hostile finding text, neutralised
    for name in CSV_HEADERS:
        with (tmp_path / "out" / name).open(encoding="utf-8", newline="") as fh:
            cells = [cell for row in list(csv.reader(fh))[1:] for cell in row]
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) or "\x1b" in cell for cell in cells), name


def test_store_recovers_a_torn_and_an_uncommitted_line(tmp_path):
    """What a kill between the JSONL write and the table commit leaves behind is repaired on open."""
    s = Site(n=3)
    s.save_folder(tmp_path / "saved", 3)
    audit(AuditInputs(sources=(str(tmp_path / "saved"),)), tmp_path / "out")
    out = tmp_path / "out"
    lines = (out / "reports.jsonl").read_bytes().splitlines(keepends=True)
    last = json.loads(lines[-1])
    db = sqlite3.connect(out / "audit.sqlite")
    with db:
        db.execute("UPDATE pages SET status = 'queued' WHERE key = ?", (last["key"],))
        db.execute("DELETE FROM sentences WHERE page_key = ?", (last["key"],))
    db.close()
    (out / "reports.jsonl").write_bytes(b"".join(lines) + lines[0][: len(lines[0]) // 2])  # a torn duplicate
    store = AuditStore(out)
    assert store.replayed == 1
    assert store.counts() == {"done": 3}
    store.close()
    keys = [r["key"] for r in reports(out)]
    assert len(keys) == 3 == len(set(keys))
    db = sqlite3.connect(out / "audit.sqlite")
    assert db.execute("SELECT COUNT(*) FROM sentences WHERE page_key = ?", (last["key"],)).fetchone()[0] == len(last["sentences"])


def test_killed_audit_resumes_exactly_once(tmp_path):
    s = Site(n=N_PAGES, slow_every=0, fail_every=0, flaky_every=0)
    with s.serve() as base:
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(s.sitemap_urls(base)), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "claimcheck",
            "audit",
            str(urls),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "2",
            "--no-progress",
            "--allow-private",
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        jsonl = tmp_path / "out" / "reports.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if jsonl.exists() and jsonl.read_bytes().count(b"\n") >= 40:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the audit ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = jsonl.read_bytes().count(b"\n")
        assert 40 <= partial < N_PAGES
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    keys = [r["key"] for r in reports(tmp_path / "out")]
    assert len(keys) == len(set(keys)) == N_PAGES
    assert set(keys) == set(s.sitemap_urls(base))
    db = sqlite3.connect(tmp_path / "out" / "audit.sqlite")
    assert db.execute("SELECT COUNT(*), SUM(status = 'done') FROM pages").fetchone() == (N_PAGES, N_PAGES)
    units = db.execute("SELECT SUM(units) FROM pages").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0] == units
    pages = tmp_path / "out" / "pages"
    assert {p.name for p in pages.glob("*.html")} == {page_report_name(k) for k in keys}  # every done page has its report
    assert not any((pages / ".partial").glob("*")), "a half-written report was left behind"


def test_dask_engine_equals_local(site, tmp_path):
    pytest.importorskip("distributed")
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(site.sitemap_urls(site.base)[:40]), encoding="utf-8")
    config = AuditConfig(options=LOCAL, jobs=2, cache=tmp_path / "cache")
    audit(AuditInputs(sources=(str(urls),)), tmp_path / "local", config)
    audit(AuditInputs(sources=(str(urls),)), tmp_path / "dask", AuditConfig(options=LOCAL, jobs=2, engine="dask", cache=tmp_path / "cache"))
    local = {r["key"]: r for r in reports(tmp_path / "local")}
    dask = {r["key"]: r for r in reports(tmp_path / "dask")}
    assert len(local) >= 39
    assert local == dask
    assert statuses(tmp_path / "local") == statuses(tmp_path / "dask")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "claimcheck", "audit", *args, "--allow-private"], capture_output=True, text=True, timeout=300
    )


def test_cli_audit_exit_codes_and_outputs(tmp_path):
    Site(n=6).save_folder(tmp_path / "saved", 6)
    out = tmp_path / "out"
    ok = run_cli(str(tmp_path / "saved"), "--out", str(out), "--no-progress")
    assert ok.returncode == 0, ok.stderr
    assert "6 pages: 6 checked, 0 failed" in ok.stdout
    assert {"reports.jsonl", "audit.sqlite", "summary.csv", "pages.csv", "sites.csv"} <= {p.name for p in out.iterdir()}
    strict = run_cli(str(tmp_path / "saved"), "--out", str(out), "--no-progress", "--fail-on", "high")
    assert strict.returncode == 1
    missing = run_cli(str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out2"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"claimcheck: {tmp_path / 'nope.txt'}: no such file or folder"
    nothing = run_cli("--out", str(tmp_path / "out3"))
    assert nothing.returncode == 2 and "nothing to audit" in nothing.stderr and "Traceback" not in nothing.stderr


def test_malformed_urls_in_a_list_and_in_pages_are_recorded_not_internal_errors(tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("http://[::13\nhttp://[::1#part\n", encoding="utf-8")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "links.html").write_text(
        '<html><head><link rel="canonical" href="http://[::1"></head><body><main>'
        '<p>Our tincture cures arthritis, <a href="http://[::1">a study</a> found.</p></main></body></html>',
        encoding="utf-8",
    )
    result = audit(AuditInputs(sources=(str(urls), str(pages))), tmp_path / "out")
    assert result.failed == 2
    found = statuses(tmp_path / "out")
    assert found[str(pages / "links.html")] == ("done", None)
    for line in ("http://[::13", "http://[::1#part"):
        status, error = found[line]
        assert status == "failed" and error.startswith("malformed URL"), (line, error)


def test_crawl_links_skip_malformed_addresses():
    from claimcheck.audit.work import normalize_url, page_links
    from claimcheck.records import Page

    html = '<html><body><a href="http://[::1">x</a><a href="/blog/a#top">a</a><a href="http://[::1#frag">y</a></body></html>'
    page = Page(source="https://clinic.example/blog/", text=html, kind="html", url="https://clinic.example/blog/")
    assert page_links(page, "https://clinic.example/blog/") == ("https://clinic.example/blog/a",)
    assert normalize_url("http://[::13#frag") is None


def test_cli_audit_summary_shows_page_and_server_text_inert(tmp_path):
    markup = "[link=http://evil.example]x[/link]"
    escapes = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x9b31m"
    body = (
        f"<html lang='en'><head><meta charset='utf-8'><title>{markup} [bold red]{escapes}</title></head><body><main>"
        "<p>Our tincture cures arthritis in every patient and has no side effects at all.</p>"
        "<p>Book a free consultation with our team to find out whether this approach suits you.</p>"
        "<p>Turmeric is a safe and effective treatment for joint pain.</p></main></body></html>"
    )
    hostile = Site(n=2, slow_every=0, fail_every=0, flaky_every=0, bodies=[body])
    hostile.reasons["/blog/post-9"] = f"Gone {markup} [bold red]away"
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / f"{escapes.replace('/', '_')}[bold red]page.html").write_text(body, encoding="utf-8")
    with hostile.serve() as base:
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{base}/blog/post-1?q={markup}\n{base}/blog/post-2\n{base}/blog/post-9\n", encoding="utf-8")
        env = {**os.environ, "COLUMNS": "250"}
        cmd = [
            sys.executable,
            "-m",
            "claimcheck",
            "audit",
            str(urls),
            str(saved),
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
            "--retries",
            "0",
            "--allow-private",
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=300, env=env)
    assert done.returncode == 2, done.stderr  # the failed page
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream
        assert not any(0x80 <= ord(c) <= 0x9F or (ord(c) < 0x20 and c != "\n") for c in stream.decode("utf-8"))
    shown = done.stdout.decode("utf-8")
    assert "Worst pages" in shown and "Failed pages" in shown
    assert f"post-1?q={markup}" in shown  # the URL, markup shown as text
    assert f"HTTP 404 Gone {markup} [bold red]away" in shown  # the server's reason phrase, likewise
    assert "[bold red]page.html" in shown and "pwned" not in shown  # the file name, without its escapes
    state = statuses(tmp_path / "out")
    assert state[f"{base}/blog/post-9"] == ("failed", f"HTTP 404 Gone {markup} [bold red]away")
    with (tmp_path / "out" / "pages.csv").open(encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert any(markup in cell for cell in cells) and not any("\x1b" in cell or "\x07" in cell for cell in cells)


def test_crawl_judges_links_by_where_they_point(tmp_path):
    small = Site(n=3, slow_every=0, fail_every=0, flaky_every=0)
    with small.serve() as base:
        small.bodies = [
            "<html><body><main><p>Our tincture cures arthritis.</p>"
            f'<a href="{base}/blog/../outside.html">out</a> <a href="{base}/blog/%2e%2E/shop/">shop</a>'
            f'<a href="{base}/blog/./x/../post-2">next</a></main></body></html>'
        ]
        audit(AuditInputs(crawl=(f"{base}/blog/post-1",)), tmp_path, AuditConfig(options=LOCAL, jobs=1, max_depth=3))
    assert set(statuses(tmp_path)) == {f"{base}/blog/post-1", f"{base}/blog/post-2"}
    assert not any(".." in path or "outside" in path or "shop" in path for path in small.requests)


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_host_fails_its_pages(tmp_path):
    base = f"http://127.0.0.1:{closed_port()}"
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{base}/blog/post-1\n{base}/blog/post-2\n", encoding="utf-8")
    result = audit(AuditInputs(sources=(str(urls),)), tmp_path / "out", AuditConfig(options=LOCAL, politeness=Politeness(retries=0)))
    assert result.counts == {"failed": 2}
    assert set(statuses(tmp_path / "out").values()) == {("failed", "robots.txt unreachable (connection refused)")}
    done = run_cli(str(urls), "--out", str(tmp_path / "cli"), "--no-progress", "--retries", "0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "2 pages: 0 checked, 2 failed, 0 skipped" in done.stdout


def test_robots_txt_5xx_fails_pages_until_it_answers_and_4xx_allows(tmp_path):
    small = Site(n=3, slow_every=0, fail_every=0, flaky_every=0)
    small.robots_status = 503
    config = AuditConfig(options=LOCAL, politeness=Politeness(retries=1, backoff=0.01))
    with small.serve() as base:
        inputs = AuditInputs(sources=(f"{base}/blog/post-1", f"{base}/blog/post-2"))
        result = audit(inputs, tmp_path / "out", config)
        assert result.counts == {"failed": 2}
        assert set(statuses(tmp_path / "out").values()) == {("failed", "robots.txt unreachable (HTTP 503)")}
        assert small.requests["/robots.txt"] == 2 and small.requests["/blog/post-1"] == 0
        small.robots_status = None
        assert audit(inputs, tmp_path / "out", config).counts == {"done": 2}  # tried again on resume
        small.robots_status = 404
        assert audit(inputs, tmp_path / "out404", config).counts == {"done": 2}


def write_html_warc(path: Path, base: str, count: int) -> tuple[list[str], list[int]]:
    """A gzipped WARC of ``count`` HTML responses; return their URLs and the byte offsets of the records."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    site, urls, offsets = Site(n=count), [], []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(1, count + 1):
            offsets.append(fh.tell())
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            payload = io.BytesIO(site.post_html(i).encode())
            writer.write_record(writer.create_warc_record(f"{base}/blog/post-{i}", "response", payload=payload, http_headers=headers))
            urls.append(f"{base}/blog/post-{i}")
        offsets.append(fh.tell())
    return urls, offsets


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_warc_keeps_the_records_before_the_damage(tmp_path, damage):
    warc = tmp_path / "crawl.warc.gz"
    urls, offsets = write_html_warc(warc, "http://127.0.0.1:9", 6)
    data = bytearray(warc.read_bytes())
    if damage == "truncated":
        data = data[: (offsets[3] + offsets[4]) // 2]  # ends halfway through the fourth record
        kept = 3
    else:
        middle = (offsets[2] + offsets[3]) // 2  # garbles the middle of the third record
        data[middle : middle + 32] = bytes(b ^ 0xFF for b in data[middle : middle + 32])
        kept = 2
    warc.write_bytes(bytes(data))
    result = audit(AuditInputs(sources=(str(warc),)), tmp_path / "out")
    assert result.counts == {"done": kept, "failed": 1}
    state = statuses(tmp_path / "out")
    assert {key for key, (status, _) in state.items() if status == "done"} == set(urls[:kept])
    status, reason = state[f"{warc}::damaged"]
    assert status == "failed" and reason.isascii() and reason.isprintable(), reason
    assert reason.startswith(f"damaged WARC file at byte {offsets[kept]} (") and f"the {kept} records before it were read" in reason
    again = audit(AuditInputs(sources=(str(warc),)), tmp_path / "out")  # resuming tries it again: still failed
    assert again.counts == {"done": kept, "failed": 1} and statuses(tmp_path / "out")[f"{warc}::damaged"] == (status, reason)
    done = subprocess.run(
        [sys.executable, "-m", "claimcheck", "audit", str(warc), "--out", str(tmp_path / "cli"), "--no-progress", "--allow-private"],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    for stream in (done.stdout, done.stderr):
        text = stream.decode("utf-8")
        assert all(c.isprintable() or c in "\n" for c in text), text


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid`` and by them, from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(children - found)
            found |= children
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def start_audit_with_workers(tmp_path: Path, base: str, urls: list[str]) -> tuple[subprocess.Popen, set[int]]:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls), encoding="utf-8")
    cmd = [sys.executable, "-m", "claimcheck", "audit", str(listing), "--out", str(tmp_path / "out"), "--jobs", "2"]
    proc = subprocess.Popen(
        [*cmd, "--no-progress", "--allow-private"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    jsonl = tmp_path / "out" / "reports.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if jsonl.exists() and jsonl.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the audit ended before it could be stopped"
    workers = descendants(proc.pid)
    assert len(workers) >= 2, workers  # two workers (and the resource tracker)
    return proc, workers


def wait_until_gone(pids: set[int], seconds: float = 15) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the worker processes")
def test_workers_exit_when_the_audit_is_killed(tmp_path):
    s = Site(n=N_PAGES, slow_every=0, fail_every=0, flaky_every=0)
    with s.serve() as base:
        proc, workers = start_audit_with_workers(tmp_path, base, s.sitemap_urls(base))
        try:
            os.kill(proc.pid, signal.SIGKILL)  # the audit alone, as the OOM killer would
            proc.wait(timeout=30)
            assert wait_until_gone(workers) == set()
        finally:
            for pid in alive(workers):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the worker processes")
def test_sigterm_stops_the_audit_like_ctrl_c(tmp_path):
    s = Site(n=N_PAGES, slow_every=0, fail_every=0, flaky_every=0)
    with s.serve() as base:
        proc, workers = start_audit_with_workers(tmp_path, base, s.sitemap_urls(base))
        try:
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
            assert wait_until_gone(workers) == set()
        finally:
            proc.kill()
            for pid in alive(workers):
                os.kill(pid, signal.SIGKILL)
        out = tmp_path / "out"
        assert proc.returncode == 143
        assert stderr.decode().splitlines() == [
            f"claimcheck: {out}: stopped by SIGTERM; finished pages are saved, rerun the same command to resume"
        ]
        saved = reports(out)
        assert 10 <= len(saved) < N_PAGES
        resumed = run_cli(str(tmp_path / "urls.txt"), "--out", str(out), "--no-progress", "--jobs", "2")
        assert resumed.returncode == 0, resumed.stderr
    assert sorted(r["key"] for r in reports(out)) == sorted(s.sitemap_urls(base))


# -- the HTML outputs: OUT/pages/ and OUT/report.html ------------------------------------------------------


def page_hrefs(html_text: str) -> list[str]:
    """The links of the ranked pages table, in order."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html_text)
    return [a.get("href") for a in tree.xpath('//table[@id="ranked-pages"]/tbody/tr/th/a')]


def ranked_by_sql(out: Path) -> list[str]:
    """Every checked page's key, worst first, computed here from the findings table."""
    weight = {"high": 3, "medium": 2, "low": 1}
    db = sqlite3.connect(out / "audit.sqlite")
    try:
        scores: dict[str, int] = {}
        for key, severity in db.execute("SELECT page_key, severity FROM findings"):
            scores[key] = scores.get(key, 0) + weight[severity]
        done = db.execute("SELECT key, COALESCE(flagged, 0) FROM pages WHERE status = 'done'").fetchall()
    finally:
        db.close()
    return [key for key, _ in sorted(done, key=lambda r: (-scores.get(r[0], 0), -r[1], r[0]))]


def assert_inert(html_text: str) -> None:
    """No script, no event handler, no link or load outside the audit folder."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html_text)
    assert not tree.xpath("//script | //iframe | //object | //embed | //img | //link[@rel='stylesheet']")
    assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")]
    assert not tree.xpath("//@src")
    for href in tree.xpath("//@href"):
        assert href.startswith("#") or (href.startswith("pages/") and href.endswith(".html") and "/" not in href[6:]), href
    csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp and "default-src 'none'" in csp[0]


@pytest.fixture(scope="module")
def dashboard(listed):
    out = listed["out"]
    started = time.monotonic()
    path = write_dashboard(out, site_summary(out))
    return {"out": out, "path": path, "html": path.read_text(encoding="utf-8"), "seconds": time.monotonic() - started}


def test_every_checked_page_has_its_report(site, listed):
    out = listed["out"]
    done = [k for k, (status, _) in statuses(out).items() if status == "done"]
    assert {p.name for p in (out / "pages").glob("*.html")} == {page_report_name(k) for k in done}
    shown = (out / "pages" / page_report_name(f"{site.base}/blog/post-4")).read_text(encoding="utf-8")
    assert "Content-Security-Policy" in shown and "what our patients should know" in shown


def test_dashboard_ranks_every_checked_page_worst_first(site, dashboard):
    out, text = dashboard["out"], dashboard["html"]
    expected = ranked_by_sql(out)
    hrefs = page_hrefs(text)
    assert hrefs == [f"pages/{page_report_name(k)}" for k in expected]
    assert all((out / href).is_file() for href in hrefs)
    assert f"{site.base}/blog/old-post-20" in text and f"redirected to {site.base}/blog/post-20" in text
    assert_inert(text)
    assert dashboard["seconds"] < 10


def test_dashboard_lists_failed_pages_totals_and_charts(site, listed, dashboard):
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(dashboard["html"])
    failed = {row.xpath("string(th)"): row.xpath("string(td[1])") for row in tree.xpath('//table[@id="failed-pages"]/tbody/tr')}
    for i in range(1, N_PAGES + 1):
        if site.is_failing(i):
            assert failed[f"{site.base}/blog/post-{i}"] == "HTTP 500 Internal Server Error"
    assert "malformed URL" in failed["clinic.example/no-scheme"]
    svgs = tree.xpath("//svg")
    assert len(svgs) == 2
    for svg in svgs:
        assert svg.get("role") == "img" and svg.xpath("title") and svg.xpath("desc")
        assert set(svg.get("aria-labelledby").split()) == {svg.xpath("title")[0].get("id"), svg.xpath("desc")[0].get("id")}
    summary = site_summary(listed["out"])
    desc = svgs[1].xpath("string(desc)")
    assert all(f"{rule} " in desc and f": {n}" in desc for rule, _, n, _ in summary.rules)
    bins = [int(td.text) for td in tree.xpath('//table[caption[contains(., "checked pages by flagged claims")]]/tbody/tr/td')]
    assert sum(bins) == summary.totals["checked"]
    assert tree.xpath("//table/caption") and tree.xpath("//th[@scope]")


def test_missing_page_reports_are_rendered_again_from_the_jsonl(listed, dashboard):
    """A page recovered by the replay on resume (or from an older audit) gets its report from its JSONL line."""
    out = listed["out"]
    keys = [r["key"] for r in reports(out)[:3]]
    paths = [out / "pages" / page_report_name(k) for k in keys]
    before = [p.read_bytes() for p in paths]
    for p in paths:
        p.unlink()
    write_dashboard(out)
    assert [p.read_bytes() for p in paths] == before  # the same page, to the byte


def hostile_body() -> str:
    return (
        "<html lang='en'><head><meta charset='utf-8'>"
        "<title>Joint relief &lt;script&gt;document.title='PWNED'&lt;/script&gt; \"&gt;&lt;img src=x onerror=alert(1)&gt;\x1b[2J</title>"
        '<link rel="canonical" href="javascript:alert(1)"></head><body><main>'
        "<p>Our tincture cures arthritis in every patient and has no side effects at all.</p>"
        '<p>Read <a href="javascript:alert(document.cookie)">the proof</a>: turmeric is a safe and effective treatment for joint pain.</p>'
        "</main></body></html>"
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small audit of hostile pages, run twice: robots.txt unreachable first (every page fails), then resumed."""
    folder = tmp_path_factory.mktemp("hostile")
    small = Site(n=3, slow_every=0, fail_every=0, flaky_every=0)
    small.robots_status = 503
    small.reasons["/blog/post-9"] = "Gone <b onmouseover=alert(1)>away</b>"
    config = AuditConfig(options=LOCAL, politeness=Politeness(retries=0, backoff=0.01))
    with small.serve() as base:
        small.bodies = [hostile_body()]
        urls = folder / "urls.txt"
        keys = [
            f"{base}/blog/post-1?q=<script>alert(1)</script>",
            f"{base}/blog/post-2",
            f"{base}/blog/post-9",
            "javascript:alert(document.domain)",
        ]
        urls.write_text("\n".join(keys) + "\n", encoding="utf-8")
        out = folder / "out"
        audit(AuditInputs(sources=(str(urls),)), out, config)
        first = write_dashboard(out).read_text(encoding="utf-8")
        small.robots_status = None
        audit(AuditInputs(sources=(str(urls),)), out, config)
        second = write_dashboard(out).read_text(encoding="utf-8")
    return {"out": out, "keys": keys, "first": first, "second": second}


def test_dashboard_is_rewritten_on_resume(hostile):
    first, second = hostile["first"], hostile["second"]
    assert page_hrefs(first) == [] and "robots.txt unreachable (HTTP 503)" in first
    assert page_hrefs(second) == [f"pages/{page_report_name(k)}" for k in ranked_by_sql(hostile["out"])]
    assert len(page_hrefs(second)) == 2 and "robots.txt unreachable" not in second


def test_hostile_page_text_in_the_dashboard_is_inert(hostile):
    from lxml import html as lxml_html

    text = hostile["second"]
    assert_inert(text)
    assert "<script" not in text.lower() and "\x1b" not in text
    tree = lxml_html.fromstring(text)
    shown = tree.text_content()
    assert "Joint relief <script>document.title='PWNED'</script>" in shown  # the title, as text
    assert hostile["keys"][0] in shown and "javascript:alert(document.domain)" in shown  # keys as text, not links
    assert "HTTP 404 Gone <b onmouseover=alert(1)>away</b>" in shown
    assert not tree.xpath("//b")


def test_dashboard_and_page_report_in_chromium(hostile, tmp_path):
    from lxml import html as lxml_html

    from .browser import RecordingProxy, chromium_or_skip, run_chromium

    chromium_or_skip()
    out = hostile["out"]
    expected = [f"pages/{page_report_name(k)}" for k in ranked_by_sql(out)]
    with RecordingProxy() as proxy:
        dom = run_chromium(out / "report.html", tmp_path / "a", proxy=proxy)
        page = run_chromium(out / expected[0], tmp_path / "b", proxy=proxy)
        assert proxy.requests() == []
    tree = lxml_html.fromstring(dom)
    assert tree.findtext(".//title").startswith("claimcheck audit") and not tree.xpath('//*[@id="pwned"]')
    assert [a.get("href") for a in tree.xpath('//table[@id="ranked-pages"]/tbody/tr/th/a')] == expected
    assert "Joint relief <script>" in tree.xpath('string(//table[@id="ranked-pages"]//a)')
    page_tree = lxml_html.fromstring(page)
    assert page_tree.findtext(".//title").startswith("claimcheck report: Joint relief <script>")  # shown, never run
    assert not page_tree.xpath("//script") and not page_tree.xpath('//*[@id="pwned"]')
