"""The one options object shared by the library and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Options:
    """How a page is fetched and checked.

    Attributes:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for each chunk of the response.
        total_timeout: seconds for the whole fetch, body included.
        max_bytes: the largest body accepted (after decompression).
        max_redirects: redirects followed before giving up.
        user_agent: the User-Agent header; ``None`` means ``claimcheck/<version>``.
        model_path: a directory with a trained model; ``None`` means the packaged one.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    user_agent: str | None = None
    model_path: Path | None = None
