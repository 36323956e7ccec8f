"""Fetch a page over HTTP, or read a file or stdin, and decode it to text.

Every input ends as a :class:`~claimcheck.records.Page`; everything after this module is the same
whatever the input was.
"""

from __future__ import annotations

import codecs
import datetime
import email.utils
import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from . import network
from .errors import ContentTypeError, FetchError, InputError, PrivateAddressError, TooLargeError
from .options import Options
from .records import Page
from .version import __version__

HTML_TYPES = {"text/html", "application/xhtml+xml", "application/xml", "text/xml"}
TEXT_TYPES = {"text/plain", "text/markdown"}
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HTML_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|div|p|article|meta|title)\b", re.I | re.S)


def user_agent(options: Options) -> str:
    """The User-Agent header claimcheck sends."""
    return options.user_agent or f"claimcheck/{__version__}"


def is_url(source: str) -> bool:
    """Whether a source names an http(s) URL rather than a file."""
    return source.lower().startswith(("http://", "https://"))


# schemes claimcheck knows and does not fetch; any other "scheme:" is a file name or a malformed URL
_OTHER_SCHEMES = frozenset(
    "file ftp ftps sftp data gopher javascript mailto tel ws wss about blob ssh telnet ldap dict jar view-source".split()
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


def unsupported_scheme(source: str) -> str | None:
    """The reason a URL with a scheme other than http(s) cannot be checked, or None for anything else."""
    match = _SCHEME.match(source.strip())
    if not match:
        return None
    scheme = match.group(1).lower()
    if scheme not in _OTHER_SCHEMES:
        return None
    return f"unsupported scheme {scheme}: (claimcheck fetches http:// and https:// URLs, or reads files by path)"


def fetch_url(url: str, options: Options | None = None, client: httpx.Client | None = None) -> Page:
    """Fetch an http(s) URL and decode its body; raise FetchError or InputError with the reason."""
    options = options or Options()
    check_url(url)
    owned = client is None
    if client is None:
        client = make_client(options)
    try:
        with network.deadline(options.total_timeout), client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise http_error(response, url)
            content_type = response.headers.get("content-type", "")
            mime = content_type.split(";")[0].strip().lower()
            kind = _kind_for(mime, url)
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > options.max_bytes:
                raise TooLargeError(too_large_reason(int(length), options.max_bytes), url)
            body = read_body(response, options.max_bytes, url)
            final_url = str(response.url)
            header_charset = response.charset_encoding
    except httpx.DecodingError as exc:
        raise InputError(f"the compressed body could not be decoded ({exc})", url) from None
    except httpx.HTTPError as exc:
        raise network_error(exc, url, options) from None
    finally:
        if owned:
            client.close()
    if kind is None:
        kind = _sniff(body, url)
    return _decode(body, source=url, kind=kind, url=final_url, content_type=mime or None, declared=header_charset)


class Fetcher:
    """Fetches pages through one HTTP client, opened on first use and kept until :meth:`close`.

    Reusing the client keeps connections alive between fetches from the same host. Cookies are not
    carried from one fetch to the next: each page is fetched as :func:`fetch_url` alone would.
    """

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, opened on first use (again after :meth:`close`)."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self.options)
            return self._client

    def fetch(self, url: str) -> Page:
        """Fetch an http(s) URL and decode its body, as :func:`fetch_url`."""
        client = self.client
        client.cookies.clear()
        return fetch_url(url, self.options, client)

    def close(self) -> None:
        """Close the HTTP client and its connections."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def http_error(response: httpx.Response, url: str) -> FetchError:
    """The FetchError for an HTTP error status, with its Retry-After and whether it is worth retrying."""
    status = response.status_code
    return FetchError(
        f"HTTP {status} {response.reason_phrase}".rstrip(),
        url,
        status=status,
        retry_after=retry_after_seconds(response.headers.get("retry-after")),
        transient=status in TRANSIENT_STATUSES,
    )


def network_error(exc: httpx.HTTPError, url: str, options: Options) -> FetchError:
    """The FetchError for a failed request: a refused address, DNS, refused connection, timeouts, redirects."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, network.AddressRefused):
        return PrivateAddressError(cause.kind, str(cause), url)
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError(f"too many redirects (more than {options.max_redirects}); a redirect loop?", url)
    if isinstance(exc, httpx.UnsupportedProtocol):
        target = exc.request.url if _has_request(exc) else None
        scheme = f" {target.scheme}:" if target is not None and target.scheme else ""
        return FetchError(f"redirected to an unsupported scheme{scheme} (claimcheck fetches http:// and https:// only)", url)
    if isinstance(exc, httpx.TimeoutException):
        if _deadline_spent(exc):
            return FetchError(f"timed out: the whole fetch took over {options.total_timeout:g} s (--timeout)", url, transient=True)
        if isinstance(exc, httpx.ConnectTimeout):
            return FetchError(f"timed out connecting (after {options.connect_timeout:g} s)", url, transient=True)
        return FetchError(f"timed out reading (no data for {options.read_timeout:g} s)", url, transient=True)
    if isinstance(exc, httpx.ConnectError):
        reason = _connect_reason(exc)
        return FetchError(reason, url, transient=reason == "connection refused")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return FetchError(f"the connection broke ({type(exc).__name__})", url, transient=True)
    return FetchError(f"{type(exc).__name__}: {exc}".rstrip(": "), url)


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - raises when the error carries no request
    except RuntimeError:
        return False
    return True


def _deadline_spent(exc: httpx.TimeoutException) -> bool:
    """Whether a timeout came from the fetch's deadline rather than from one slow connect or read."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, network.DeadlineExceeded):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def page_from_body(body: bytes, url: str, content_type: str | None = None, final_url: str | None = None) -> Page:
    """Decode a body fetched elsewhere (an archive record, a cache) as fetch_url would."""
    mime = (content_type or "").split(";")[0].strip().lower()
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'") or None
    kind = _kind_for(mime, url) or _sniff(body, url)
    return _decode(body, source=url, kind=kind, url=final_url or url, content_type=mime or None, declared=charset)


# -- bodies, decoded a bounded piece at a time ------------------------------------------------------
#
# httpx decodes each network chunk whole, so a few hundred compressed bytes can expand to gigabytes
# before any size check sees them. Bodies are therefore read raw and decoded here, at most
# DECODE_CHUNK bytes of output per step and per layer of Content-Encoding, so that a cap on the
# decoded size stops a decompression bomb after a few chunks.

DECODE_CHUNK = 64 * 1024


def _brotli_is_bounded() -> bool:
    try:
        import brotli
    except ImportError:
        return False
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:  # Brotli before 1.2 cannot limit its output
        return False
    except Exception:  # noqa: BLE001 - any other answer means the keyword is understood
        return True
    return True


BROTLI = _brotli_is_bounded()
ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI else "gzip, deflate"


class _ZlibLayer:
    """gzip or deflate (zlib-wrapped, or raw deflate as some servers send), as httpx decodes them."""

    def __init__(self, encoding: str) -> None:
        self.deflate = encoding == "deflate"
        self.first = self.deflate
        self.decompressor = zlib.decompressobj(zlib.MAX_WBITS if self.deflate else zlib.MAX_WBITS | 16)
        self.done = False

    def _step(self, data: bytes) -> bytes:
        try:
            out = self.decompressor.decompress(data, DECODE_CHUNK)
        except zlib.error as exc:
            if self.first:  # raw deflate without the zlib header
                self.first = False
                self.decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._step(data)
            raise httpx.DecodingError(str(exc)) from None
        self.first = False
        return out

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self.done:
            out = self._step(data)
            data = self.decompressor.unconsumed_tail
            if self.decompressor.eof:
                self.done = True  # what follows the end of the stream is ignored, as httpx does
            if out:
                yield out
            if not data and len(out) < DECODE_CHUNK:
                return

    def finish(self) -> Iterator[bytes]:
        try:
            out = self.decompressor.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from None
        if out:
            yield out


class _BrotliLayer:
    def __init__(self) -> None:
        import brotli

        self.brotli = brotli
        self.decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        try:
            while not self.decompressor.is_finished():
                out = self.decompressor.process(data, output_buffer_limit=DECODE_CHUNK)
                data = b""
                if not out and self.decompressor.can_accept_more_data():
                    return
                yield out
        except self.brotli.error as exc:
            raise httpx.DecodingError(str(exc)) from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _layers(encodings: list[str]) -> list:
    """The decoders for a Content-Encoding list, in the order they apply (the last coding first)."""
    layers: list = []
    for value in encodings:
        coding = value.strip().lower()
        if coding in ("gzip", "x-gzip", "deflate"):
            layers.append(_ZlibLayer("deflate" if coding == "deflate" else "gzip"))
        elif coding == "br":
            if not BROTLI:
                raise httpx.DecodingError("brotli decoding needs Brotli 1.2 or later")
            layers.append(_BrotliLayer())
        elif coding == "zstd":
            raise httpx.DecodingError("the zstd content encoding is not supported")
        # identity and unknown codings pass through, as in httpx
    return layers[::-1]


def decode_pieces(pieces: Iterator[bytes], encodings: list[str]) -> Iterator[bytes]:
    """Raw body pieces decoded from their Content-Encoding (a list of codings), in pieces of bounded size."""
    layers = _layers(encodings)

    def through(stream: Iterator[bytes], depth: int) -> Iterator[bytes]:
        if depth == len(layers):
            yield from stream
            return
        layer = layers[depth]
        for piece in stream:
            yield from through(layer.feed(piece), depth + 1)
        yield from through(layer.finish(), depth + 1)

    yield from through(pieces, 0)


def iter_decoded(response: httpx.Response) -> Iterator[bytes]:
    """A streamed response's body, decoded from its Content-Encoding in pieces of bounded size."""
    return decode_pieces(response.iter_raw(), response.headers.get_list("content-encoding", split_commas=True))


def read_body(
    response: httpx.Response,
    max_bytes: int,
    source: str,
    truncate: bool = False,
    on_chunk: Callable[[], None] | None = None,
) -> bytes:
    """Read a streamed response's decoded body; over ``max_bytes`` decoded bytes raise TooLargeError.

    With ``truncate`` the body is cut at ``max_bytes`` instead, without reading the rest.
    ``on_chunk`` is called after each decoded piece (a deadline check).
    """
    return read_decoded(iter_decoded(response), max_bytes, source, truncate, on_chunk)


def read_decoded(
    pieces: Iterator[bytes],
    max_bytes: int,
    source: str,
    truncate: bool = False,
    on_chunk: Callable[[], None] | None = None,
) -> bytes:
    """Join decoded pieces (:func:`decode_pieces`) up to ``max_bytes``, as :func:`read_body` does."""
    chunks: list[bytes] = []
    size = 0
    for chunk in pieces:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                break
            raise TooLargeError(too_large_reason(size, max_bytes, more=True), source)
        if on_chunk is not None:
            on_chunk()
        chunks.append(chunk)
    return b"".join(chunks)


def make_client(options: Options) -> httpx.Client:
    """An httpx client with claimcheck's timeouts, redirect limit, User-Agent and address check.

    Unless ``options.allow_private``, the client connects only to public unicast addresses, at
    every hop of a redirect chain (:mod:`claimcheck.network`). Behind a proxy taken from the
    environment (``HTTPS_PROXY``...) the proxy resolves the names; the client then refuses
    addresses written literally in the URL.
    """
    timeout = httpx.Timeout(
        connect=options.connect_timeout, read=options.read_timeout, write=options.read_timeout, pool=options.connect_timeout
    )
    transport = httpx.HTTPTransport()
    transport._pool._network_backend = network.GuardedBackend(options.allow_private)  # httpx has no public hook for it
    hooks = {} if options.allow_private else {"request": [_refuse_literal_address]}
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        event_hooks=hooks,
        follow_redirects=True,
        max_redirects=options.max_redirects,
        headers={
            "User-Agent": user_agent(options),
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
    )


def _refuse_literal_address(request: httpx.Request) -> None:
    """Refuse a URL that names a non-public address literally (checked again at connect time)."""
    address = network.literal_address(request.url.host)
    kind = network.address_kind(address) if address is not None else None
    if kind is not None:
        refused = network.AddressRefused(request.url.host, str(address), kind)
        raise httpx.ConnectError(str(refused), request=request) from refused


def read_file(path: str | Path, options: Options | None = None) -> Page:
    """Read a saved page from disk; ``.txt`` and ``.md`` files are plain text, the rest is sniffed."""
    options = options or Options()
    p = Path(path)
    source = str(path)
    if not p.exists() and unsupported_scheme(source):
        raise InputError(unsupported_scheme(source) or "", source)
    if not p.exists():
        looks_like_host = re.match(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/|$)", source) and not p.suffix.lower().startswith((".htm", ".txt"))
        hint = " (for a web page, give the URL with http:// or https://)" if looks_like_host else ""
        raise InputError(f"no such file{hint}", source)
    if p.is_dir():
        raise InputError("is a directory, not a page", source)
    try:
        size = p.stat().st_size
        if size > options.max_bytes:
            raise TooLargeError(too_large_reason(size, options.max_bytes), source)
        body = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source) from None
    suffix = p.suffix.lower()
    if suffix in (".txt", ".text", ".md"):
        kind = "text"
    elif suffix in (".html", ".htm", ".xhtml"):
        kind = "html"
    else:
        kind = _sniff(body, source)
    return _decode(body, source=source, kind=kind)


def read_stdin(options: Options | None = None, stream=None) -> Page:
    """Read a page from standard input (HTML or plain text, sniffed)."""
    options = options or Options()
    stream = stream if stream is not None else sys.stdin.buffer
    body = stream.read(options.max_bytes + 1)
    if len(body) > options.max_bytes:
        raise TooLargeError(too_large_reason(len(body), options.max_bytes, more=True), "-")
    return _decode(body, source="-", kind=_sniff(body, "-"))


def page_from_html(html: str | bytes, url: str | None = None) -> Page:
    """Wrap HTML held in memory as a Page."""
    source = url or "<html>"
    if isinstance(html, bytes):
        return _decode(html, source=source, kind="html", url=url)
    _check_text(html, source)
    return Page(source=source, text=html, kind="html", url=url)


def page_from_text(text: str, source: str = "<text>") -> Page:
    """Wrap plain text held in memory as a Page."""
    _check_text(text, source)
    return Page(source=source, text=text, kind="text")


def check_url(url: str) -> None:
    """Raise InputError unless ``url`` is an http(s) URL with a host name and a valid port."""
    other = unsupported_scheme(url)
    if other:
        raise InputError(other, url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed "[" of an IPv6 host, for one
        raise InputError(f"malformed URL ({exc})", url) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError("malformed URL (expected http:// or https:// and a host name)", url)
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise InputError("malformed URL (invalid port)", url) from None
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:  # what urlsplit lets through: control characters, bad IDNA host names
        raise InputError(f"malformed URL ({exc})", url) from None


def _connect_reason(exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "getaddrinfo" in lowered
        or "name resolution" in lowered
    ):
        return "DNS lookup failed: the host name does not resolve"
    if "refused" in lowered:
        return "connection refused"
    return f"could not connect ({text or type(exc).__name__})"


def too_large_reason(size: int, cap: int, more: bool = False) -> str:
    """The reason TooLargeError gives for a body of ``size`` bytes over ``cap``."""
    over = "over " if more else ""
    return f"too large: {over}{size / 1_048_576:.1f} MB, the cap is {cap / 1_048_576:.1f} MB (--max-bytes)"


def _kind_for(mime: str, source: str) -> str | None:
    if not mime or mime == "application/octet-stream":
        return None
    if mime in HTML_TYPES:
        return "html"
    if mime in TEXT_TYPES:
        return "text"
    raise ContentTypeError(f"not an HTML page: the content type is {mime}", source)


def _sniff(body: bytes, source: str) -> str:
    head = body[:2048]
    if head.startswith(b"%PDF"):
        raise ContentTypeError("not an HTML page: the content is a PDF document", source)
    if head[:8] in (b"\x89PNG\r\n\x1a\n",) or head[:3] == b"\xff\xd8\xff" or head[:4] in (b"GIF8", b"PK\x03\x04"):
        raise ContentTypeError("not an HTML page: the content is binary (an image or archive)", source)
    if _HTML_SNIFF.match(head.lstrip(codecs.BOM_UTF8)) or re.search(rb"<(html|body|p|div)[\s>]", head, re.I):
        return "html"
    return "text"


def _decode(
    body: bytes,
    source: str,
    kind: str,
    url: str | None = None,
    content_type: str | None = None,
    declared: str | None = None,
) -> Page:
    if not body.strip():
        raise InputError("empty input: nothing to check", source)
    if _looks_binary(body):
        raise InputError("binary data, not a text page", source)
    encoding, text = _to_text(body, source, kind, declared)
    _check_text(text, source)
    return Page(source=source, text=text, kind=kind, url=url, content_type=content_type, encoding=encoding)


def _looks_binary(body: bytes) -> bool:
    sample = body[:8192]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05


def _to_text(body: bytes, source: str, kind: str, declared: str | None) -> tuple[str, str]:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return name, body.decode(name, errors="replace")
    if not declared and kind == "html":
        match = _META_CHARSET.search(body[:4096])
        if match:
            declared = match.group(1).decode("ascii", "replace")
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            codec = None
        if codec:
            try:
                return codec, body.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"invalid bytes for the declared charset {declared} at byte {exc.start}", source) from None
    try:
        return "utf-8", body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is None:
        raise InputError("cannot tell the text encoding (no charset declared and detection failed)", source)
    return best.encoding, str(best)


def _check_text(text: str, source: str) -> None:
    if not text.strip():
        raise InputError("empty input: nothing to check", source)
