"""Where claimcheck may connect, and for how long: private addresses refused by default, one deadline per fetch.

Every server here runs on loopback. Where a test needs a site that counts as public, the address
127.0.0.1 is declared public for that test (the machine has no public address to serve from);
127.0.0.2 and every other address keep their real class.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import claimcheck
from claimcheck import ClaimcheckError, FetchError, InputError, Options, PrivateAddressError, network
from claimcheck.audit import AuditConfig, AuditInputs, Politeness, audit

PAGE = (
    b"<html lang='en'><head><title>Kombucha</title></head><body><article><h1>Kombucha and gut health</h1>"
    b"<p>Our kombucha is a miracle for digestion and has no side effects.</p></article></body></html>"
)
SECRET = b"<html><body><p>The instance's credentials are here and must never be fetched.</p></body></html>"


@contextmanager
def server(address: str, routes: dict[str, tuple[int, dict[str, str], bytes]]):
    """Serve ``routes`` (path -> status, headers, body) on ``address``; yield (base URL, request counter)."""
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            hits[self.path] += 1
            status, headers, body = routes.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer((address, 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def internal():
    """A service on 127.0.0.2 that no page, redirect or sitemap may reach."""
    with server("127.0.0.2", {"/secret": (200, {}, SECRET), "/robots.txt": (404, {}, b"")}) as (base, hits):
        yield base, hits


@pytest.fixture
def public_loopback(monkeypatch):
    """Count 127.0.0.1 as a public address for this test; everything else keeps its class."""
    real = network.address_kind

    def kind(address):
        return None if str(address) == "127.0.0.1" else real(address)

    monkeypatch.setattr(network, "address_kind", kind)


def pages(out) -> list[tuple[str, str, str | None]]:
    db = sqlite3.connect(out / "audit.sqlite")
    try:
        return list(db.execute("SELECT key, status, error FROM pages"))
    finally:
        db.close()


def refusal(url: str, options: Options | None = None) -> PrivateAddressError:
    with pytest.raises(PrivateAddressError) as info:
        claimcheck.check_url(url, options)
    message = str(info.value)
    assert "\n" not in message and message.startswith(url)
    assert "--allow-private" in message
    assert not info.value.transient
    return info.value


# -- the address check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("2130706433", "loopback"),  # 127.0.0.1 written as one decimal number
        ("127.1", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),
    ],
)
def test_loopback_in_any_spelling_is_refused_before_connecting(host, kind):
    with server("127.0.0.1", {"/": (200, {}, PAGE)}) as (base, hits):
        port = base.rsplit(":", 1)[1]
        err = refusal(f"http://{host}:{port}/")
        assert err.kind == kind and f"is a {kind} address" in str(err)
        assert sum(hits.values()) == 0


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1:8080/admin", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fd00::1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
    ],
)
def test_private_ranges_are_refused_without_a_connection_attempt(url, kind):
    start = time.monotonic()
    assert refusal(url).kind == kind
    assert time.monotonic() - start < 1  # no connect timeout waited out


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    looked_up: list[str] = []

    def stub(host, port, *args, **kwargs):  # the resolver at the edge of the machine
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", stub)
    err = refusal("http://metadata.internal.test/latest/")
    assert err.kind == "link-local" and "metadata.internal.test (169.254.169.254)" in str(err)
    assert looked_up == ["metadata.internal.test"]  # resolved once, then the checked address is the one connected to


def test_invalid_names_fail_without_asking_the_resolver(monkeypatch):
    def stub(*args, **kwargs):
        raise AssertionError("the system resolver was asked")

    monkeypatch.setattr(socket, "getaddrinfo", stub)
    with pytest.raises(FetchError) as info:
        claimcheck.check_url("http://no-such-host.invalid/page")
    assert "DNS lookup failed" in str(info.value)


def test_allow_private_lifts_the_check_in_the_library_and_the_cli():
    with server("127.0.0.1", {"/": (200, {}, PAGE)}) as (base, hits):
        report = claimcheck.check_url(base + "/", Options(allow_private=True))
        assert report.sentences[0].text == "Kombucha and gut health"
        refused = subprocess.run([sys.executable, "-m", "claimcheck", base + "/"], capture_output=True, text=True, timeout=120)
        allowed = subprocess.run(
            [sys.executable, "-m", "claimcheck", "--allow-private", base + "/"], capture_output=True, text=True, timeout=120
        )
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"claimcheck: {base}/: refused: 127.0.0.1 is a loopback address, not a public one (--allow-private lifts this)"
    ]
    assert allowed.returncode == 0 and "Kombucha and gut health" in allowed.stdout
    assert hits["/"] == 2


def test_every_redirect_hop_is_checked(public_loopback, internal):
    internal_base, internal_hits = internal
    port = internal_base.rsplit(":", 1)[1]
    routes = {
        "/to-internal": (302, {"Location": f"{internal_base}/secret"}, b""),
        "/to-ipv6": (301, {"Location": f"http://[::1]:{port}/secret"}, b""),
        "/hop": (302, {"Location": "/to-internal"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/fine": (200, {}, PAGE),
    }
    with server("127.0.0.1", routes) as (base, hits):
        assert claimcheck.check_url(base + "/fine").sentences[0].text == "Kombucha and gut health"
        for path in ("/to-internal", "/to-ipv6", "/hop"):
            assert refusal(base + path).kind == "loopback"
        with pytest.raises(FetchError) as info:
            claimcheck.check_url(base + "/to-file")
    assert "redirected to an unsupported scheme file:" in str(info.value)
    assert sum(internal_hits.values()) == 0
    assert hits["/hop"] == 1 and hits["/to-internal"] == 2  # refusals are not retried


def test_sitemap_entries_and_sitemap_urls_cannot_reach_private_addresses(public_loopback, internal, tmp_path):
    internal_base, internal_hits = internal
    sitemap = (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{{base}}/page</loc></url><url><loc>{internal_base}/secret</loc></url></urlset>"
    )
    routes = {"/robots.txt": (404, {}, b""), "/page": (200, {}, PAGE)}
    with server("127.0.0.1", routes) as (base, hits):
        routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, sitemap.format(base=base).encode())
        config = AuditConfig(jobs=1, politeness=Politeness(retries=0))
        audit(AuditInputs(sitemaps=(f"{base}/sitemap.xml",)), tmp_path / "out", config)
        with pytest.raises(ClaimcheckError) as info:
            audit(AuditInputs(sitemaps=(f"{internal_base}/sitemap.xml",)), tmp_path / "out2", config)
    rows = {url: (status, error) for url, status, error in pages(tmp_path / "out")}
    assert rows[f"{base}/page"][0] == "done"
    status, error = rows[f"{internal_base}/secret"]
    assert status == "failed" and "127.0.0.2 is a loopback address" in error
    assert "127.0.0.2 is a loopback address" in str(info.value)
    assert sum(internal_hits.values()) == 0


def test_unsupported_schemes_have_their_own_message(tmp_path):
    for source in ("ftp://example.org/page.html", "file:///etc/passwd", "data:text/html,<p>hi</p>", "gopher://example.org/"):
        with pytest.raises(InputError) as info:
            claimcheck.check_source(source)
        assert f"unsupported scheme {source.split(':')[0]}:" in str(info.value)
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/a\nftp://example.org/b\n")
    out = subprocess.run([sys.executable, "-m", "claimcheck", "ftp://example.org/page.html"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "claimcheck: ftp://example.org/page.html: unsupported scheme ftp: "
        "(claimcheck fetches http:// and https:// URLs, or reads files by path)"
    ]


# -- one deadline per fetch ---------------------------------------------------------------------------


@contextmanager
def trickling_server(paths_served: list[str]):
    """A server that answers every request one byte of its status line every 0.1 s, for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn:
            request = conn.recv(65536).decode("latin-1")
            paths_served.append(request.split(" ")[1] if " " in request else "?")
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"a" * 100_000:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def test_a_server_that_trickles_its_headers_cannot_outlast_the_deadline():
    served: list[str] = []
    with trickling_server(served) as base:
        start = time.monotonic()
        with pytest.raises(FetchError) as info:
            claimcheck.check_url(base + "/page", Options(total_timeout=1.5, read_timeout=1, allow_private=True))
        elapsed = time.monotonic() - start
    assert "timed out: the whole fetch took over 1.5 s" in str(info.value) and info.value.transient
    assert elapsed < 3


def test_the_cli_timeout_holds_against_a_trickling_server():
    with trickling_server([]) as base:
        start = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "claimcheck", "--timeout", "2", "--allow-private", base + "/page"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - start
    assert out.returncode == 2
    assert out.stderr.splitlines() == [f"claimcheck: {base}/page: timed out: the whole fetch took over 2 s (--timeout)"]
    assert elapsed < 15  # start-up included


def test_robots_txt_and_sitemaps_keep_to_the_deadline(tmp_path):
    served: list[str] = []
    options = Options(total_timeout=1.5, allow_private=True)
    config = AuditConfig(jobs=1, options=options, politeness=Politeness(retries=0))
    with trickling_server(served) as base:
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{base}/a\n{base}/b\n")
        start = time.monotonic()
        result = audit(AuditInputs(sources=(str(urls),)), tmp_path / "out", config)
        robots_seconds = time.monotonic() - start
        robots_fetches = served.count("/robots.txt")
        start = time.monotonic()
        with pytest.raises(ClaimcheckError) as info:
            audit(AuditInputs(sitemaps=(f"{base}/sitemap.xml",)), tmp_path / "out2", config)
        sitemap_seconds = time.monotonic() - start
    assert result.counts == {"failed": 2}
    errors = {error for _, _, error in pages(tmp_path / "out")}
    assert errors == {"robots.txt unreachable (timed out: the whole fetch took over 1.5 s (--timeout))"}
    assert "timed out" in str(info.value)
    assert robots_fetches == 1 and "/a" not in served
    assert robots_seconds < 15 and sitemap_seconds < 15
