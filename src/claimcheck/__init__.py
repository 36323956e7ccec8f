"""claimcheck: audit the health claims on a web page against the evidence it gives.

>>> import claimcheck
>>> report = claimcheck.check_text("LDN is a safe and effective cure for chronic pain.")
>>> [s.flagged for s in report.sentences]
[True]

Many pages with the same options: build one :class:`Checker` and reuse it.

>>> with claimcheck.Checker(claimcheck.Options(total_timeout=20)) as checker:
...     reports = [checker.check_text(t) for t in ("Zinc lozenges cure the common cold in a day.", "Zinc may shorten a cold [1].")]
>>> [len(r.flagged) for r in reports]
[1, 0]
"""

from .checker import Checker
from .errors import (
    ClaimcheckError,
    ContentTypeError,
    DataFileError,
    FetchError,
    InputError,
    ModelError,
    PrivateAddressError,
    TooLargeError,
)
from .options import Options
from .pipeline import check_file, check_html, check_page, check_source, check_text, check_url
from .records import Evidence, Finding, Page, Reference, Report, SentenceResult, Wording
from .report import to_dict, to_json
from .version import __version__

__all__ = [
    "Checker",
    "ClaimcheckError",
    "ContentTypeError",
    "DataFileError",
    "Evidence",
    "FetchError",
    "Finding",
    "InputError",
    "PrivateAddressError",
    "ModelError",
    "Options",
    "Page",
    "Reference",
    "Report",
    "SentenceResult",
    "TooLargeError",
    "Wording",
    "__version__",
    "check_file",
    "check_html",
    "check_page",
    "check_source",
    "check_text",
    "check_url",
    "to_dict",
    "to_json",
]
