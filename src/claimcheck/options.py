"""The one options object shared by the library and the CLI, validated when it is built."""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

# the command-line flag of each option that has one, so an error names what the user typed
_FLAGS = {
    "total_timeout": "--timeout",
    "max_bytes": "--max-bytes",
    "model_path": "--model",
    "min_confidence": "--min-confidence",
    "max_units": "--max-units",
    "max_seconds": "--max-seconds",
    "mailto": "--mailto",
    "reference_cache": "--reference-cache",
    "accept_file": "--accept",
}


@dataclass(frozen=True)
class Options:
    """How a page is fetched and checked.

    Attributes:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for each chunk of the response; never more than ``total_timeout``.
        total_timeout: seconds for the whole fetch, body included.
        max_bytes: the largest body accepted (after decompression).
        max_redirects: redirects followed before giving up.
        user_agent: the User-Agent header; ``None`` means ``claimcheck/<version>``.
        model_path: a directory with a trained model; ``None`` means the packaged one.
        min_confidence: flag only claims whose confidence is at least this (0 to 1); ``None`` means
            the model's operating point.
        allow_private: fetch from loopback, private, link-local and other non-public addresses too.
            Off by default, so a page, redirect or link cannot make claimcheck reach a service on
            the machine or its network (the cloud metadata service at 169.254.169.254, an admin
            panel on localhost).
        max_units: the most units (sentences, list items, headings) of one page that are checked; a
            longer page is checked up to this many and says so in its notices.
        max_seconds: the time budget for checking one page once it is read (cleaning included);
            once spent, no further units are taken and the page says so in its notices.
        verify_references: look each reference entry up in Crossref and NCBI (the only requests
            claimcheck makes beyond the page itself); answers are cached on disk.
        offline: check references against the cache alone, never the network (implies checking them).
        mailto: the contact sent to Crossref and NCBI with each lookup, as they ask.
        reference_cache: the SQLite file of cached lookups; ``None`` means the user cache folder.
        reference_services: the Crossref and NCBI E-utilities base URLs (mirrors, tests).
        accept_file: an acceptance file of reviewed findings (see :mod:`claimcheck.acceptance`); the
            findings it matches stay in each report, marked accepted.

    Raises:
        InputError: an option is out of range or of the wrong kind; the message names the option.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    user_agent: str | None = None
    model_path: Path | None = None
    min_confidence: float | None = None
    allow_private: bool = False
    max_units: int = 5000
    max_seconds: float = 30.0
    verify_references: bool = False
    offline: bool = False
    mailto: str | None = None
    reference_cache: Path | None = None
    reference_services: tuple[str, str] = ("https://api.crossref.org", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils")
    accept_file: Path | None = None

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout", "max_seconds"):
            if not _real(getattr(self, name)) or getattr(self, name) <= 0:
                raise _invalid(name, f"expected a number of seconds above 0, got {getattr(self, name)!r}")
        if not _whole(self.max_bytes) or self.max_bytes < 1:
            raise _invalid("max_bytes", f"expected a whole number of bytes, at least 1, got {self.max_bytes!r}")
        if not _whole(self.max_redirects) or self.max_redirects < 0:
            raise _invalid("max_redirects", f"expected a whole number, at least 0, got {self.max_redirects!r}")
        if not _whole(self.max_units) or self.max_units < 1:
            raise _invalid("max_units", f"expected a whole number, at least 1, got {self.max_units!r}")
        for name in ("allow_private", "verify_references", "offline"):
            if not isinstance(getattr(self, name), bool):
                raise _invalid(name, f"expected True or False, got {getattr(self, name)!r}")
        if self.mailto is not None and (
            not isinstance(self.mailto, str) or "@" not in self.mailto or any(c in self.mailto for c in "\r\n ")
        ):
            raise _invalid("mailto", f"expected an e-mail address, got {self.mailto!r}")
        if self.reference_cache is not None:
            if not isinstance(self.reference_cache, str | os.PathLike) or not str(self.reference_cache):
                raise _invalid("reference_cache", f"expected a file path, got {self.reference_cache!r}")
            object.__setattr__(self, "reference_cache", Path(self.reference_cache))
        if self.accept_file is not None:
            if not isinstance(self.accept_file, str | os.PathLike) or not str(self.accept_file):
                raise _invalid("accept_file", f"expected a file path, got {self.accept_file!r}")
            object.__setattr__(self, "accept_file", Path(self.accept_file))
        services = self.reference_services
        if not (
            isinstance(services, tuple)
            and len(services) == 2
            and all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in services)
        ):
            raise _invalid("reference_services", f"expected two http(s) URLs (Crossref, NCBI), got {services!r}")
        if self.user_agent is not None and (
            not isinstance(self.user_agent, str) or not self.user_agent.strip() or any(c in self.user_agent for c in "\r\n")
        ):
            raise _invalid("user_agent", f"expected one non-empty line of text, got {self.user_agent!r}")
        if self.model_path is not None:
            if not isinstance(self.model_path, str | os.PathLike) or not str(self.model_path):
                raise _invalid("model_path", f"expected a directory path, got {self.model_path!r}")
            object.__setattr__(self, "model_path", Path(self.model_path))
        if self.min_confidence is not None and not (_real(self.min_confidence) and 0 <= self.min_confidence <= 1):
            raise _invalid("min_confidence", f"expected a number from 0 to 1, got {self.min_confidence!r}")
        # a read that may outlast the whole fetch would report the wrong timeout
        object.__setattr__(self, "read_timeout", min(self.read_timeout, self.total_timeout))


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _invalid(name: str, reason: str) -> InputError:
    flag = _FLAGS.get(name)
    return InputError(reason, f"option {name} ({flag})" if flag else f"option {name}")
