"""Bad input through a real HTTP server on loopback: every case ends in one clear error, never a traceback."""

from __future__ import annotations

import gzip
import socket
import threading
import time

import pytest
from werkzeug import Response

import claimcheck
from claimcheck import ContentTypeError, FetchError, InputError, Options, TooLargeError

GOOD_PAGE = (
    "<html lang='en'><head><title>Kombucha</title></head><body><article>"
    "<h1>Kombucha and gut health</h1>"
    "<p>Our kombucha is a miracle for digestion and has no side effects. It is brewed in small batches every week.</p>"
    "</article></body></html>"
)
FAST = Options(connect_timeout=2, read_timeout=1, total_timeout=5, allow_private=True)


def serve(httpserver, path: str, body, status: int = 200, content_type: str = "text/html; charset=utf-8", headers=None):
    httpserver.expect_request(path).respond_with_response(
        Response(body, status=status, headers={"Content-Type": content_type, **(headers or {})})
    )
    return httpserver.url_for(path)


def error_of(url: str, options: Options = FAST) -> claimcheck.ClaimcheckError:
    with pytest.raises(claimcheck.ClaimcheckError) as info:
        claimcheck.check_url(url, options)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(url)
    return info.value


def test_a_good_page_is_fetched_and_checked(httpserver):
    url = serve(httpserver, "/kombucha", GOOD_PAGE)
    report = claimcheck.check_url(url, FAST)
    assert report.url == url
    assert any(s.flagged for s in report.sentences)


def test_user_agent_names_claimcheck(httpserver):
    httpserver.expect_request("/ua", headers={"User-Agent": f"claimcheck/{claimcheck.__version__}"}).respond_with_data(
        GOOD_PAGE, content_type="text/html"
    )
    assert claimcheck.check_url(httpserver.url_for("/ua"), FAST).sentences[0].text == "Kombucha and gut health"


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compressed_body_is_decoded(httpserver, encoding):
    import brotli

    compress = gzip.compress if encoding == "gzip" else brotli.compress
    url = serve(httpserver, f"/{encoding}", compress(GOOD_PAGE.encode()), headers={"Content-Encoding": encoding})
    assert claimcheck.check_url(url, FAST).sentences[0].text == "Kombucha and gut health"


def test_charset_from_meta_when_the_header_has_none(httpserver):
    page = "<html><head><meta charset='windows-1252'></head><body><article><p>Caf\xe9 owners say the tonic is completely safe for everyone.</p></article></body></html>"
    url = serve(httpserver, "/latin", page.encode("cp1252"), content_type="text/html")
    assert "Caf\u00e9" in claimcheck.check_url(url, FAST).sentences[0].text


def test_plain_text_body_is_checked_as_text(httpserver):
    url = serve(httpserver, "/t", "Saunas cure colds in days.\n\nBook now.", content_type="text/plain")
    report = claimcheck.check_url(url, FAST)
    assert [s.text for s in report.sentences] == ["Saunas cure colds in days.", "Book now."]


@pytest.mark.parametrize(
    "content_type, body, reason",
    [
        ("application/pdf", b"%PDF-1.7 fake", "application/pdf"),
        ("image/png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("application/json", b'{"claim": "safe"}', "application/json"),
    ],
)
def test_non_html_content_types_are_refused(httpserver, content_type, body, reason):
    url = serve(httpserver, "/file", body, content_type=content_type)
    err = error_of(url)
    assert isinstance(err, ContentTypeError)
    assert reason in str(err)


def test_empty_body(httpserver):
    err = error_of(serve(httpserver, "/empty", b""))
    assert isinstance(err, InputError) and "empty" in str(err)


def test_binary_data_labelled_as_html(httpserver):
    err = error_of(serve(httpserver, "/bin", bytes(range(256)) * 40))
    assert isinstance(err, InputError) and "binary" in str(err)


def test_a_page_far_over_the_size_cap_is_refused_from_its_length(httpserver):
    # 70 MB announced; refused from the header, before the body is read
    big = b"<p>" + b"a" * (70 * 1024 * 1024) + b"</p>"
    err = error_of(serve(httpserver, "/huge", big))
    assert isinstance(err, TooLargeError) and "cap is 10.0 MB" in str(err)


def test_a_streamed_body_over_the_cap_is_cut_off(httpserver):
    def chunks():
        for _ in range(300):
            yield b"<p>" + b"x" * 8192 + b"</p>"

    httpserver.expect_request("/stream").respond_with_response(Response(chunks(), content_type="text/html"))
    err = error_of(httpserver.url_for("/stream"), Options(max_bytes=1_000_000, read_timeout=2, total_timeout=10, allow_private=True))
    assert isinstance(err, TooLargeError)


def test_deeply_nested_html(httpserver):
    page = "<html><body>" + "<div>" * 10_000 + "<p>Deep words about a tonic that heals.</p>" + "</div>" * 10_000 + "</body></html>"
    err = error_of(serve(httpserver, "/deep", page))
    assert isinstance(err, InputError) and "nested too deeply" in str(err)


def test_invalid_bytes_in_the_declared_charset(httpserver):
    err = error_of(serve(httpserver, "/badutf8", b"<html><body><p>caf\xe9 \xff\xfe tonic</p></body></html>"))
    assert isinstance(err, InputError) and "charset utf-8" in str(err)


def test_javascript_only_page(httpserver):
    page = "<html><head><script src='/app.js'></script></head><body><div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>"
    err = error_of(serve(httpserver, "/spa", page))
    assert "no extractable main text" in str(err) and "JavaScript" in str(err)


def test_non_english_page_is_reported_not_classified(httpserver):
    page = (
        "<html lang='de'><body><article><p>Die Therapie ist sicher und wirksam und hilft bei Schmerzen. "
        "Sie ist nicht für alle Patienten geeignet, aber die Ergebnisse sind gut und die Ärzte sind zufrieden.</p></article></body></html>"
    )
    report = claimcheck.check_url(serve(httpserver, "/de", page), FAST)
    assert report.language == "de"
    assert report.classified is False
    assert "not English" in report.notices[0]
    assert all(s.types == () and not s.flagged for s in report.sentences)


@pytest.mark.parametrize("url", ["htp://clinic.example/x", "http://", "https://exa mple.com:99999/"])
def test_malformed_urls(url):
    with pytest.raises(InputError, match="malformed URL"):
        claimcheck.check_url(url, FAST)


def test_dns_failure():
    with pytest.raises(FetchError, match="DNS"):
        claimcheck.check_url("http://no-such-host.invalid/page", FAST)


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="connection refused"):
        claimcheck.check_url(f"http://127.0.0.1:{port}/", FAST)


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors(httpserver, status):
    err = error_of(serve(httpserver, f"/s{status}", "nope", status=status))
    assert isinstance(err, FetchError) and f"HTTP {status}" in str(err)


def test_redirect_loop(httpserver):
    httpserver.expect_request("/a").respond_with_response(Response(status=302, headers={"Location": "/b"}))
    httpserver.expect_request("/b").respond_with_response(Response(status=302, headers={"Location": "/a"}))
    err = error_of(httpserver.url_for("/a"))
    assert "too many redirects" in str(err)


def test_redirects_are_followed_to_the_final_url(httpserver):
    httpserver.expect_request("/old").respond_with_response(Response(status=301, headers={"Location": "/new"}))
    serve(httpserver, "/new", GOOD_PAGE)
    report = claimcheck.check_url(httpserver.url_for("/old"), FAST)
    assert report.url.endswith("/new")


@pytest.fixture
def stalling_server():
    """A server that sends headers and half the body, then goes silent."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def run():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html><body><p>Half a page")
        stop.wait(10)
        conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
    stop.set()
    listener.close()


def test_a_server_that_stalls_mid_body(stalling_server):
    start = time.monotonic()
    err = error_of(stalling_server, Options(connect_timeout=2, read_timeout=0.5, total_timeout=5, allow_private=True))
    assert isinstance(err, FetchError) and "timed out" in str(err)
    assert time.monotonic() - start < 4


def test_charset_detected_when_nothing_declares_it(httpserver):
    text = "<html><body><article><p>Les patients disent que la cure thermale est très efficace et sans danger pour les enfants, selon la clinique qui la propose depuis vingt ans à Évian.</p></article></body></html>"
    url = serve(httpserver, "/latin1", text.encode("latin-1"), content_type="text/html")
    report = claimcheck.check_url(url, FAST)
    assert "très efficace" in report.sentences[0].text
    assert report.language == "fr" and not report.classified


def test_metadata_is_recorded(httpserver):
    page = (
        "<html lang='en'><head><title>Sauna guide</title><link rel='canonical' href='https://spa.example/sauna'>"
        "<meta name='author' content='Ines Moreau'><meta property='article:published_time' content='2024-02-11'></head>"
        "<body><article><p>Regular sauna sessions are a powerful way to flush toxins and they are completely safe.</p></article></body></html>"
    )
    report = claimcheck.check_url(serve(httpserver, "/meta", page), FAST)
    assert (report.title, report.author, report.date, report.canonical, report.language) == (
        "Sauna guide",
        "Ines Moreau",
        "2024-02-11",
        "https://spa.example/sauna",
        "en",
    )
