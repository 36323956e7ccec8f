"""Where a fetch may connect, and for how long.

Pages, robots.txt files and sitemaps come from servers claimcheck's users do not control, and the
URLs in them (redirects, sitemap entries, crawl links) can point anywhere. Unless private addresses
are allowed, :class:`GuardedBackend` resolves each host once, refuses every address that is not a
public unicast address (loopback, private ranges, link-local such as the cloud metadata service
169.254.169.254, unspecified, multicast, reserved), and connects to the address it checked, so a
second lookup cannot answer differently. It sits under httpx, so every hop of a redirect chain goes
through it.

The same backend holds each fetch to one wall-clock deadline (:func:`deadline`): every connect,
read and write waits at most what is left of it, so a server that sends a byte a second cannot
stretch a fetch past its budget.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpcore

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("claimcheck_fetch_deadline", default=None)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")


class AddressRefused(httpcore.ConnectError):
    """A destination that is not a public unicast address, refused before connecting."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        self.host = host
        self.address = address
        self.kind = kind
        where = address if host.strip("[]") == address else f"{host} ({address})"
        super().__init__(f"refused: {where} is a {kind} address, not a public one (--allow-private lifts this)")


class DeadlineExceeded(httpcore.ReadTimeout):
    """The fetch's wall-clock deadline passed."""


# -- addresses --------------------------------------------------------------------------------------


def address_kind(address: str | IPAddress) -> str | None:
    """The class of a non-public address ("loopback", "private", "link-local"...), or None for a public unicast one."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            kind = address_kind(embedded)
            if kind is not None or ip.ipv4_mapped is not None:
                return kind
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally ("127.0.0.1", "[::1]"), or None for a host name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host``, in the resolver's order; raise OSError when it has none.

    Names under ``.invalid`` never resolve and ``localhost`` names are loopback (RFC 6761), without
    asking the system's resolver.
    """
    literal = literal_address(host)
    if literal is not None:
        return [str(literal)]
    name = host.rstrip(".").lower()
    if name == "invalid" or name.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    if name == "localhost" or name.endswith(".localhost"):
        return ["127.0.0.1", "::1"]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


# -- the deadline ------------------------------------------------------------------------------------


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Hold every connect, read and write in this block (and this thread) to ``seconds`` of wall time in all."""
    end = time.monotonic() + seconds
    token = _DEADLINE.set(end)
    try:
        yield end
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of the current deadline; DeadlineExceeded once it has passed."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


def _within(wait: Callable[[float | None], T], timeout: float | None) -> T:
    """Run ``wait`` with its timeout cut to the deadline; a timeout once the deadline passed is DeadlineExceeded."""
    try:
        return wait(_bounded(timeout))
    except httpcore.TimeoutException:
        end = _DEADLINE.get()
        if end is not None and time.monotonic() >= end:
            raise DeadlineExceeded("the fetch's deadline passed") from None
        raise


class _Stream(httpcore.NetworkStream):
    """A connection whose every wait is cut to the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _within(lambda t: self._stream.read(max_bytes, t), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _within(lambda t: self._stream.write(buffer, t), timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(_within(lambda t: self._stream.start_tls(ssl_context, server_hostname, t), timeout))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, checking where it connects and holding waits to the deadline."""

    def __init__(self, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        if not self.allow_private:
            refused = [(a, kind) for a in addresses if (kind := address_kind(a)) is not None]
            addresses = [a for a in addresses if address_kind(a) is None]
            if not addresses:
                address, kind = refused[0]
                raise AddressRefused(host, address, kind)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = _within(
                    lambda t, a=address: super(GuardedBackend, self).connect_tcp(a, port, t, local_address, socket_options), timeout
                )
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _Stream(stream)
        assert last is not None
        raise last
