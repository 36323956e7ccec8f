"""What an audit reads its pages from: URL lists, sitemaps, folders of saved pages, WARC files.

Each input is turned into frontier rows (key, locator, origin, host, depth). URLs are keyed by
their normalised form, files by their path, WARC records by their target URI.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from lxml import etree

from ..errors import InputError, TooLargeError
from ..fetching import (
    DECODE_CHUNK,
    HTML_TYPES,
    TEXT_TYPES,
    decode_pieces,
    is_url,
    page_from_body,
    read_decoded,
    too_large_reason,
    unsupported_scheme,
)
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
    """url | folder | warc | sitemap | file | list, or InputError for a path that does not exist.

    Files are recognised by their content first (a WARC or ARC archive, gzipped or not; a sitemap
    or sitemap index, gzipped or not), then by their name.
    """
    if is_url(source):
        return "url"
    path = Path(source)
    if not path.exists():
        raise InputError(unsupported_scheme(source) or "no such file or folder", source)
    if path.is_dir():
        return "folder"
    sniffed = _sniff_file(path)
    if sniffed:
        return sniffed
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        return "warc"
    if name.endswith((".txt", ".md")):
        return "list" if _looks_like_url_list(path) else "file"
    if name.endswith(PAGE_SUFFIXES):
        return "file"
    return "list"


_SITEMAP_ROOT = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:\w+:)?(?:urlset|sitemapindex)[\s>]", re.S)


def _sniff_file(path: Path) -> str | None:
    """ "warc" or "sitemap" when the file's first bytes (decompressed when gzipped) say so, else None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as unzipped:
                head = unzipped.read(4096)
    except (OSError, EOFError, zlib.error):
        return None
    if head.startswith((b"WARC/", b"filedesc://")):
        return "warc"
    if _SITEMAP_ROOT.match(head):
        return "sitemap"
    return None


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
        reason = unsupported_scheme(text) or "malformed URL (expected http:// or https:// and a host name)"
        return Row(text, text, origin, error=reason, status="failed")
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
    """The HTML responses of a WARC file, keyed by target URI; other content types are kept as skipped.

    A damaged archive (truncated, or corrupt partway through) keeps every record read before the
    damage and ends with one failed row for the file, whose reason names the damage and its offset.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    source = str(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source) from None
    with fh:
        try:
            head = fh.read(16)
            if head[:2] == b"\x1f\x8b":
                with gzip.open(path, "rb") as unzipped:
                    head = unzipped.read(16)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"not a readable WARC file ({_damage_kind(exc)})", source) from None
        if not head.startswith((b"WARC/", b"filedesc://")):
            raise InputError("not a WARC file (it does not start with a WARC or ARC record)", source)
        size = os.fstat(fh.fileno()).st_size
        fh.seek(0)
        records = ArchiveIterator(fh, arc2warc=True)
        stream = iter(records)
        previous: tuple[Row | None, object, int] | None = None  # yielded once the record behind it is read whole
        read = 0
        damage: tuple[int, str] | None = None
        while damage is None:
            try:
                record = next(stream)
            except StopIteration:
                record = None
            except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as exc:
                record, damage = None, (records.offset, _damage_kind(exc))
            if previous is not None:
                row, prev_record, prev_offset = previous
                previous = None
                if getattr(prev_record.raw_stream, "limit", 0) > 0:  # the file ended inside this record
                    damage = (prev_offset, "the file ends partway through a record")
                    break
                read += 1
                if row is not None:
                    yield row
            if record is None:
                if damage is None and records.offset < size:
                    damage = (records.offset, "the file ends partway through a compressed record")
                break
            offset = records.get_record_offset()
            previous = (_warc_row(record, path, offset), record, offset)
    if damage is not None:
        at, what = damage
        reason = f"damaged WARC file at byte {at} ({what}); the {read} records before it were read"
        yield Row(f"{source}::damaged", f"{Path(path).resolve()}::damaged", "warc", error=reason, status="failed")


def _warc_row(record, path: str | Path, offset: int) -> Row | None:
    if record.rec_type not in ("response", "resource"):
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    url = normalize_url(uri) or uri
    locator = f"{Path(path).resolve()}::{offset}"
    status, mime = _record_status(record)
    if status is not None and not 200 <= status < 300:
        return Row(url, locator, "warc", host_of(url), error=f"the archived response is HTTP {status}")
    if mime and mime != "application/octet-stream" and mime not in HTML_TYPES | TEXT_TYPES:
        return Row(url, locator, "warc", host_of(url), error=f"not an HTML page: the content type is {mime}")
    return Row(url, locator, "warc", host_of(url))


def _damage_kind(exc: BaseException) -> str:
    """A one-line, printable description of why an archive could not be read (never its bytes)."""
    from warcio.exceptions import ArchiveLoadFailed

    if isinstance(exc, ArchiveLoadFailed):
        return "ArchiveLoadFailed: no WARC or ARC record where one should start"
    if isinstance(exc, zlib.error):
        return "zlib.error: corrupt compressed data"
    if isinstance(exc, EOFError):
        return "EOFError: the compressed data ends too soon"
    if isinstance(exc, gzip.BadGzipFile):
        return "BadGzipFile: not gzip data"
    return type(exc).__name__


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
    if offset == "damaged":  # the failed row of a damaged archive, tried again on resume: still failed
        for row in warc_rows(path):
            if row.status == "failed" and row.error:
                raise InputError(row.error, path)
        raise InputError("the archive was damaged when this audit started; audit it again into a new --out folder", path)
    try:
        with open(path, "rb") as fh:
            fh.seek(int(offset))
            record = next(iter(ArchiveIterator(fh, arc2warc=True)))
            uri = record.rec_headers.get_header("WARC-Target-URI") or locator
            headers = record.http_headers if record.rec_type == "response" else record.rec_headers
            content_type = headers.get_header("Content-Type") if headers is not None else None
            body = _record_body(record, options.max_bytes, uri)
    except (OSError, ValueError, StopIteration, httpx.DecodingError) as exc:
        raise InputError(f"cannot read the archived record ({exc or type(exc).__name__})", locator) from None
    return page_from_body(body, uri, content_type)


def _record_body(record, max_bytes: int, uri: str) -> bytes:
    """A record's payload, de-chunked and decoded from its Content-Encoding a bounded piece at a time.

    Decoding stops at ``max_bytes`` of decoded body (TooLargeError), so a compressed bomb in an
    archive is refused after a few pieces, as it is from a server.
    """
    from warcio.bufferedreaders import ChunkedDataReader

    stream = record.raw_stream
    encodings: list[str] = []
    if record.rec_type == "response" and record.http_headers is not None:
        headers = record.http_headers
        if (headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
            stream = ChunkedDataReader(stream, decomp_type=None)
        encodings = [c for value in headers.headers if value[0].lower() == "content-encoding" for c in value[1].split(",")]
    pieces = iter(lambda: stream.read(DECODE_CHUNK), b"")
    return read_decoded(decode_pieces(pieces, encodings), max_bytes, uri)


def parse_sitemap(body: bytes, source: str, max_bytes: int | None = None) -> tuple[list[str], list[str]]:
    """The page URLs and the nested sitemap URLs of a sitemap or sitemap index (gzipped or not).

    A gzipped sitemap is decompressed a piece at a time and refused (TooLargeError) once it passes
    ``max_bytes`` (by default the default --max-bytes).
    """
    if body[:2] == b"\x1f\x8b":
        cap = Options().max_bytes if max_bytes is None else max_bytes
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(cap + 1)  # GzipFile decompresses only as much as it returns
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"a broken gzipped sitemap ({exc})", source) from None
        if len(body) > cap:
            raise TooLargeError(too_large_reason(len(body), cap, more=True), source)
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
