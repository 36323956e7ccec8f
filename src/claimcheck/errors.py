"""The one exception hierarchy of claimcheck.

    ClaimcheckError
    ├── InputError            bad input: empty, binary, undecodable, too deep, no text, malformed URL
    │   ├── ContentTypeError  a content type that is not HTML or plain text
    │   └── TooLargeError     a body over the size cap
    ├── FetchError            the network: DNS, refused, timeouts, HTTP status, redirects
    │   └── PrivateAddressError  a destination that is not a public address (--allow-private)
    ├── DataFileError         a lexicon, rule or host file that breaks its schema
    └── ModelError            the shipped model is missing or unreadable

Every error carries the input it is about (``source``) and a one-line reason; ``str(error)`` is the
line the CLI prints. ``exit_code`` is the CLI's exit status for it.
"""

from __future__ import annotations


class ClaimcheckError(Exception):
    """Base class of every error claimcheck raises on purpose."""

    exit_code = 2

    def __init__(self, reason: str, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class InputError(ClaimcheckError):
    """The input cannot be checked: empty, binary, undecodable, malformed, or without text."""


class ContentTypeError(InputError):
    """The body is not HTML or plain text (a PDF, an image, JSON...)."""


class TooLargeError(InputError):
    """The body is larger than the configured size cap."""


class FetchError(ClaimcheckError):
    """The page could not be fetched: DNS, connection, timeout, HTTP status or redirects.

    ``status`` is the HTTP status when there was one; ``retry_after`` the seconds the server asked
    to wait (Retry-After); ``transient`` tells whether trying again later may succeed (timeouts,
    refused connections, 429 and 5xx).
    """

    def __init__(
        self,
        reason: str,
        source: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(reason, source)
        self.status = status
        self.retry_after = retry_after
        self.transient = transient


class PrivateAddressError(FetchError):
    """A URL, redirect or link leads to an address that is not public (loopback, private, link-local...).

    ``kind`` names the class of the address. Refused before connecting and never retried;
    ``Options(allow_private=True)`` (``--allow-private``) lifts the check.
    """

    def __init__(self, kind: str, reason: str, source: str | None = None) -> None:
        super().__init__(reason, source)
        self.kind = kind


class DataFileError(ClaimcheckError):
    """A packaged or user-supplied data file (lexicon, rules, hosts) breaks its schema."""

    exit_code = 3


class ModelError(ClaimcheckError):
    """The trained model is missing, unreadable or of an unexpected kind."""

    exit_code = 3
