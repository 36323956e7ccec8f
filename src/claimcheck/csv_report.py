"""Reports as CSV: one row per unit, for spreadsheets.

Cells holding page text lose control characters, and cells a spreadsheet would run as a formula get
a leading apostrophe (:func:`claimcheck.terminal.spreadsheet_cell`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from .records import Report, SentenceResult
from .terminal import spreadsheet_cell
from .vocabulary import SEVERITY_RANK

COLUMNS = (
    "source",
    "index",
    "unit",
    "text",
    "types",
    "wording",
    "strength",
    "evidence",
    "confidence",
    "flagged",
    "rules",
    "severity",
    "triggers",
)


def unit_row(report: Report, sentence: SentenceResult) -> tuple:
    """The CSV row of one unit: its labels, flag, rule ids, worst severity and triggering words."""
    findings = [f for f in sentence.findings if not f.accepted]
    severity = max((f.severity for f in findings), key=SEVERITY_RANK.__getitem__, default="")
    triggers = dict.fromkeys(c.text for c in sentence.wording.cues if c.kind not in ("testimonial", "pseudo_hedge"))
    return (
        report.source,
        sentence.index,
        sentence.unit,
        sentence.text,
        ";".join(sentence.types),
        sentence.wording.label,
        sentence.strength or "",
        sentence.evidence.label,
        "" if sentence.confidence is None else f"{sentence.confidence:.3f}",
        "yes" if sentence.flagged else "no",
        ";".join(dict.fromkeys(f.rule for f in findings)),
        severity,
        "; ".join(triggers),
    )


class CsvWriter:
    """Writes the header once, then the rows of each report given to :meth:`write`."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(COLUMNS)

    def write(self, report: Report) -> None:
        """Write one row per unit of ``report``."""
        for sentence in report.sentences:
            self._writer.writerow([spreadsheet_cell(v) for v in unit_row(report, sentence)])


def write_csv(reports: Iterable[Report], stream: TextIO) -> None:
    """Write the units of every report, under one header."""
    writer = CsvWriter(stream)
    for report in reports:
        writer.write(report)
