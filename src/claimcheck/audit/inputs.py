"""What an audit reads its pages from: URL lists, sitemaps, folders of saved pages, WARC files.

Each input is turned into frontier rows (key, locator, origin, host, depth). URLs are keyed by
their normalised form, files by their path, WARC records by their target URI.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from ..errors import InputError, TooLargeError
from ..fetching import HTML_TYPES, TEXT_TYPES, is_url, page_from_body, too_large_reason
from ..options import Options
from ..records import Page
from .work import normalize_url

PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt", ".md")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass(frozen=True)
class Row:
    """One page of the frontier; ``error`` marks an entry that cannot be checked (kept, with the reason)."""

    key: str
    locator: str
    origin: str
    host: str | None = None
    depth: int = 0
    error: str | None = None
    status: str = "skipped"  # the status of a row with an error: skipped (not a page) or failed (bad input)


def kind_of(source: str) -> str:
    """url | folder | warc | file | list, or InputError for a path that does not exist."""
    if is_url(source):
        return "url"
    path = Path(source)
    if not path.exists():
        raise InputError("no such file or folder", source)
    if path.is_dir():
        return "folder"
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        return "warc"
    if name.endswith((".txt", ".md")):
        return "list" if _looks_like_url_list(path) else "file"
    if name.endswith(PAGE_SUFFIXES):
        return "file"
    return "list"


def _looks_like_url_list(path: Path) -> bool:
    """A text file is a URL list when its first non-comment line is a URL."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                text = line.strip()
                if text and not text.startswith("#"):
                    return is_url(text)
    except OSError:
        return False
    return False


def host_of(url: str) -> str | None:
    """The host (netloc) of ``url``; None when it has none or is malformed (a WARC target URI is kept as written)."""
    try:
        return urlsplit(url).netloc or None
    except ValueError:
        return None


def url_row(text: str, origin: str, depth: int = 0) -> Row:
    url = normalize_url(text)
    if url is None:
        return Row(text, text, origin, error="malformed URL (expected http:// or https:// and a host name)", status="failed")
    return Row(url, url, origin, host_of(url), depth)


def url_list_rows(path: str | Path) -> Iterator[Row]:
    """One URL per line; blank lines and lines starting with # are skipped, as is text after ' #'."""
    try:
        fh = open(path, encoding="utf-8-sig", errors="replace")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", str(path)) from None
    with fh:
        for line in fh:
            text = line.split(" #", 1)[0].strip()
            if text and not text.startswith("#"):
                yield url_row(text, "list")


def folder_rows(folder: str | Path) -> Iterator[Row]:
    """Every saved page under a folder (.html, .htm, .xhtml, .txt, .md), in path order."""
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(PAGE_SUFFIXES)):
        yield Row(str(path), str(path), "folder")


def warc_rows(path: str | Path) -> Iterator[Row]:
    """The HTML responses of a WARC file, keyed by target URI; other content types are kept as skipped."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            if head[:2] == b"\x1f\x8b":
                with gzip.open(path, "rb") as unzipped:
                    head = unzipped.read(16)
            if not head.startswith((b"WARC/", b"filedesc://")):
                raise InputError("not a WARC file (it does not start with a WARC or ARC record)", str(path))
            fh.seek(0)
            records = ArchiveIterator(fh, arc2warc=True)
            for record in records:
                if record.rec_type not in ("response", "resource"):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                offset = records.get_record_offset()
                url = normalize_url(uri) or uri
                locator = f"{Path(path).resolve()}::{offset}"
                status, mime = _record_status(record)
                if status is not None and not 200 <= status < 300:
                    yield Row(url, locator, "warc", host_of(url), error=f"the archived response is HTTP {status}")
                elif mime and mime != "application/octet-stream" and mime not in HTML_TYPES | TEXT_TYPES:
                    yield Row(url, locator, "warc", host_of(url), error=f"not an HTML page: the content type is {mime}")
                else:
                    yield Row(url, locator, "warc", host_of(url))
    except ArchiveLoadFailed as exc:
        raise InputError(f"not a readable WARC file ({exc.msg})", str(path)) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"not a readable WARC file ({exc})", str(path)) from None


def _record_status(record) -> tuple[int | None, str | None]:
    if record.rec_type == "response" and record.http_headers is not None:
        code = record.http_headers.get_statuscode()
        mime = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
        return (int(code) if code and code.isdigit() else None), mime or None
    mime = (record.rec_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return None, mime or None


def read_warc_page(locator: str, options: Options) -> Page:
    """Read the record a WARC locator (``path::offset``) points at, as a Page."""
    from warcio.archiveiterator import ArchiveIterator

    path, _, offset = locator.rpartition("::")
    try:
        with open(path, "rb") as fh:
            fh.seek(int(offset))
            record = next(iter(ArchiveIterator(fh, arc2warc=True)))
            uri = record.rec_headers.get_header("WARC-Target-URI") or locator
            headers = record.http_headers if record.rec_type == "response" else record.rec_headers
            content_type = headers.get_header("Content-Type") if headers is not None else None
            body = record.content_stream().read(options.max_bytes + 1)
    except (OSError, ValueError, StopIteration) as exc:
        raise InputError(f"cannot read the archived record ({exc or type(exc).__name__})", locator) from None
    if len(body) > options.max_bytes:
        raise TooLargeError(too_large_reason(len(body), options.max_bytes, more=True), uri)
    return page_from_body(body, uri, content_type)


def parse_sitemap(body: bytes, source: str) -> tuple[list[str], list[str]]:
    """The page URLs and the nested sitemap URLs of a sitemap or sitemap index (gzipped or not)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(64 * 1024 * 1024)
        except (OSError, EOFError) as exc:
            raise InputError(f"a broken gzipped sitemap ({exc})", source) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        text = body.decode("utf-8", "replace").strip()
        if text and all(is_url(line.strip()) for line in text.splitlines() if line.strip()):
            return [line.strip() for line in text.splitlines() if line.strip()], []  # a plain-text sitemap
        raise InputError(f"not a sitemap: {exc.msg}", source) from None
    tag = etree.QName(root).localname
    locs = [el.text.strip() for el in root.iter(f"{SITEMAP_NS}loc", "loc") if el.text and el.text.strip()]
    if tag == "sitemapindex":
        return [], locs
    if tag == "urlset":
        return locs, []
    raise InputError(f"not a sitemap: the root element is <{tag}>", source)


def crawl_scope(start: str, any_path: bool) -> str:
    """The URL prefix a crawl stays under: the start URL's folder, or its whole site."""
    url = normalize_url(start)
    if url is None:
        raise InputError("malformed URL (expected http:// or https:// and a host name)", start)
    parts = urlsplit(url)
    if any_path:
        return f"{parts.scheme}://{parts.netloc}/"
    folder = parts.path[: parts.path.rfind("/") + 1] or "/"
    return f"{parts.scheme}://{parts.netloc}{folder}"
