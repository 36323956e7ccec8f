"""Decompression bombs: a body is decoded a piece at a time and refused at the cap on its decoded size.

The bombs are built here, in memory, from zeros: a brotli body and a gzip-in-gzip body of a few
hundred to a couple of thousand bytes that expand to 1 GB, and a gzipped sitemap file that does the
same. Each check runs the CLI in a fresh process and measures its peak memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import time
import zlib

import brotli
import pytest
from werkzeug import Response

import claimcheck
from claimcheck import Options, TooLargeError
from claimcheck.audit.inputs import parse_sitemap

GIB = 1 << 30
STEP = 16 << 20
PEAK_LIMIT_MB = 300
GOOD_PAGE = (
    "<html lang='en'><head><title>Kombucha</title></head><body><article>"
    "<h1>Kombucha and gut health</h1>"
    "<p>Our kombucha is a miracle for digestion and has no side effects. It is brewed in small batches every week.</p>"
    "</article></body></html>"
)

# Runs the CLI in a child process and reports the child's exit status, output and peak RSS.
LAUNCHER = """
import json, resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "claimcheck", *sys.argv[1:], "--allow-private"], capture_output=True, text=True, timeout=120)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "peak_mb": peak_kb / 1024}))
"""


def run_measured(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *args], capture_output=True, text=True, timeout=150, check=True)
    return json.loads(done.stdout)


def zeros(total: int):
    block = bytes(STEP)
    for _ in range(total // STEP):
        yield block


def gzip_stream(chunks) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join([*(compressor.compress(c) for c in chunks), compressor.flush()])


@pytest.fixture(scope="module")
def brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=5, lgwin=24)
    body = b"".join([*(compressor.process(c) for c in zeros(GIB)), compressor.finish()])
    assert len(body) < 2048
    return body


@pytest.fixture(scope="module")
def gzip_gzip_bomb() -> bytes:
    body = gzip_stream([gzip_stream(zeros(GIB))])
    assert len(body) < 4096
    return body


def serve(httpserver, path: str, body: bytes, encoding: str, content_type: str = "text/html; charset=utf-8") -> str:
    httpserver.expect_request(path).respond_with_response(
        Response(body, headers={"Content-Type": content_type, "Content-Encoding": encoding})
    )
    return httpserver.url_for(path)


def assert_refused_at_the_cap(result: dict, source: str) -> None:
    assert result["rc"] == 2, result
    lines = result["stderr"].strip().splitlines()
    assert len(lines) == 1, result["stderr"]
    assert source in lines[0] and "too large" in lines[0] and "the cap is 10.0 MB (--max-bytes)" in lines[0]
    assert result["peak_mb"] < PEAK_LIMIT_MB, result


@pytest.mark.parametrize("bomb, encoding", [("brotli_bomb", "br"), ("gzip_gzip_bomb", "gzip, gzip")])
def test_a_compressed_page_bomb_is_refused_at_the_cap(httpserver, request, bomb, encoding):
    url = serve(httpserver, "/bomb", request.getfixturevalue(bomb), encoding)
    with pytest.raises(TooLargeError) as info:
        claimcheck.check_url(url, Options(max_bytes=1 << 20, allow_private=True))
    assert "the cap is 1.0 MB" in str(info.value) and "\n" not in str(info.value)
    assert_refused_at_the_cap(run_measured(url), url)


def test_stacked_encodings_still_decode(httpserver):
    body = gzip.compress(brotli.compress(GOOD_PAGE.encode()))  # br first, then gzip
    url = serve(httpserver, "/stacked", body, "br, gzip")
    assert claimcheck.check_url(url, Options(allow_private=True)).sentences[0].text == "Kombucha and gut health"


def test_a_gzipped_sitemap_file_bomb_is_refused_at_the_cap(tmp_path):
    sitemap = tmp_path / "sitemap.xml.gz"
    sitemap.write_bytes(gzip_stream(zeros(GIB)))
    with pytest.raises(TooLargeError):
        parse_sitemap(sitemap.read_bytes(), str(sitemap), max_bytes=1 << 20)
    assert_refused_at_the_cap(
        run_measured("audit", "--sitemap", str(sitemap), "--out", str(tmp_path / "out"), "--no-progress"), str(sitemap)
    )


def test_a_fetched_sitemap_bomb_is_refused_at_the_cap(httpserver, brotli_bomb, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    url = serve(httpserver, "/sitemap.xml", brotli_bomb, "br", content_type="application/xml")
    assert_refused_at_the_cap(run_measured("audit", "--sitemap", url, "--out", str(tmp_path / "out"), "--no-progress"), url)


def test_a_robots_txt_bomb_is_read_only_up_to_its_limit(httpserver, gzip_gzip_bomb, tmp_path):
    serve(httpserver, "/robots.txt", gzip_gzip_bomb, "gzip, gzip", content_type="text/plain")
    page = serve(httpserver, "/post", gzip.compress(GOOD_PAGE.encode()), "gzip")
    urls = tmp_path / "urls.txt"
    urls.write_text(page + "\n", encoding="utf-8")
    result = run_measured("audit", str(urls), "--out", str(tmp_path / "out"), "--no-progress")
    assert result["rc"] == 0, result
    assert "1 pages: 1 checked, 0 failed" in result["stdout"]
    assert result["peak_mb"] < PEAK_LIMIT_MB, result


def write_warc(path, records: list[tuple[str, bytes, list[tuple[str, str]]]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, payload, headers in records:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(payload), http_headers=http))


def chunked(body: bytes, size: int = 700) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def test_a_compressed_bomb_inside_a_warc_record_is_refused_at_the_cap(tmp_path, brotli_bomb, gzip_gzip_bomb):
    warc = tmp_path / "crawl.warc.gz"
    write_warc(
        warc,
        [
            ("https://clinic.example/br", brotli_bomb, [("Content-Encoding", "br")]),
            ("https://clinic.example/gz", chunked(gzip_gzip_bomb), [("Content-Encoding", "gzip, gzip"), ("Transfer-Encoding", "chunked")]),
            (
                "https://clinic.example/ok",
                chunked(gzip.compress(GOOD_PAGE.encode())),
                [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
            ),
        ],
    )
    result = run_measured("audit", str(warc), "--out", str(tmp_path / "out"), "--no-progress")
    assert result["rc"] == 2, result  # two pages failed
    assert "3 pages: 1 checked, 2 failed" in result["stdout"]
    with open(tmp_path / "out" / "pages.csv", encoding="utf-8") as fh:
        rows = {row["key"]: row for row in csv.DictReader(fh)}
    for bomb in ("https://clinic.example/br", "https://clinic.example/gz"):
        assert rows[bomb]["status"] == "failed" and "the cap is 10.0 MB (--max-bytes)" in rows[bomb]["error"]
    assert rows["https://clinic.example/ok"]["status"] == "done" and rows["https://clinic.example/ok"]["title"].startswith("Kombucha")
    assert result["peak_mb"] < PEAK_LIMIT_MB, result


def test_a_huge_page_under_the_size_cap_keeps_to_the_page_budget(tmp_path):
    """A 9 MB page of 67,000 sentences: checked up to --max-units, in seconds, within 300 MB of a small page's peak."""
    sentences = "".join(f"<p>Turmeric supports joint health in adults, study {i} reports. It may ease pain. </p>" for i in range(60_000))
    huge = tmp_path / "huge.html"
    huge.write_text(f"<html lang='en'><head><title>Huge</title></head><body><article>{sentences}</article></body></html>")
    small = tmp_path / "small.html"
    small.write_text(GOOD_PAGE)
    assert 5_000_000 < huge.stat().st_size < 10 * 1024 * 1024
    baseline = run_measured("--format", "json", str(small))
    start = time.monotonic()
    result = run_measured("--format", "json", str(huge))
    seconds = time.monotonic() - start
    assert result["rc"] == 0, result["stderr"]
    report = json.loads(result["stdout"])
    assert len(report["sentences"]) == 5000
    assert any("only the first 5,000 were checked (--max-units)" in n for n in report["notices"])
    assert result["peak_mb"] - baseline["peak_mb"] <= PEAK_LIMIT_MB, (result["peak_mb"], baseline["peak_mb"])
    assert seconds < 90
