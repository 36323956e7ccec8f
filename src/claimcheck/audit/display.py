"""The terminal side of an audit: a live progress bar and the summary tables (rich).

Keys (URLs and paths), phrases and errors come from pages and servers: every cell is a
cleaned Text (claimcheck.terminal), so neither escape sequences nor rich markup in them take effect.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from ..terminal import text as safe
from .runner import Progress as AuditProgress
from .summary import SiteSummary


class ProgressBar:
    """Pages done, failed and skipped, pages per second and time left, redrawn as the audit runs."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("[bold]audit[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task = self._bar.add_task("audit", total=None, detail="")

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def __call__(self, p: AuditProgress) -> None:
        finished = p.done + p.failed + p.skipped
        elapsed = max(time.monotonic() - p.started, 1e-6)
        detail = f"{p.failed} failed, {p.skipped} skipped, {p.checked_now / elapsed:.1f} pages/s"
        self._bar.update(self._task, completed=finished, total=p.total, detail=detail)


def render_summary(summary: SiteSummary, console) -> None:
    """Show the summary as rich tables."""
    from rich.table import Table

    t = summary.totals
    console.print(
        f"[bold]{t['pages']}[/] pages: {t['checked']} checked, {t['failed']} failed, {t['skipped']} skipped"
        + (f", {t['pending']} pending" if t["pending"] else "")
        + f"; [bold]{t['flagged_pages']}[/] with flagged claims ({t['flagged_claims']} of {t['claims']} claims), {t['findings']} findings"
    )
    if summary.rules:
        table = Table(title="Findings by rule", title_justify="left")
        for col in ("rule", "severity", "findings", "pages"):
            table.add_column(col, justify="right" if col in ("findings", "pages") else "left")
        for rule, severity, n, pages in summary.rules:
            table.add_row(safe(rule), safe(severity), str(n), str(pages))
        console.print(table)
    if summary.phrases:
        table = Table(title="Most frequent flagged phrases", title_justify="left")
        for col in ("phrase", "findings", "pages"):
            table.add_column(col, justify="left" if col == "phrase" else "right")
        for phrase, n, pages in summary.phrases[:10]:
            table.add_row(safe(phrase), str(n), str(pages))
        console.print(table)
    if summary.worst:
        table = Table(title="Worst pages", title_justify="left")
        for col in ("page", "high", "flagged", "findings"):
            table.add_column(col, justify="left" if col == "page" else "right", overflow="fold")
        for key, _title, _score, high, flagged, n in summary.worst[:10]:
            table.add_row(safe(key), str(high), str(flagged or 0), str(n))
        console.print(table)
    if summary.failures:
        table = Table(title="Failed pages (retried when the audit is run again)", title_justify="left")
        table.add_column("page", overflow="fold")
        table.add_column("error", overflow="fold")
        for key, error in summary.failures[:10]:
            table.add_row(safe(key), safe(error))
        console.print(table)
