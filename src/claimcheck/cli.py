"""The command line: parse arguments, call the library, render. Nothing else lives here."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import click

from .errors import ClaimcheckError
from .options import Options
from .terminal import clean
from .version import __version__
from .vocabulary import SEVERITIES, SEVERITY_RANK

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_SETUP, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 3, 130, 143
FAIL_ON = (*SEVERITIES, "never")

EXAMPLES = """
\b
Examples:
  claimcheck https://clinic.example/blog/ldn-endometriosis
  claimcheck saved-page.html
  curl -s https://clinic.example/blog/ | claimcheck -
  claimcheck --format json page.html > report.json
  claimcheck --format jsonl a.html b.html https://clinic.example/x
  claimcheck --fail-on high page.html   # exit 1 when a high-severity finding exists
  claimcheck audit urls.txt --out audit/  # many pages: see claimcheck audit --help
  claimcheck train                      # rebuild models/ from corpus/ and real pages
  claimcheck evaluate gold/*.jsonl --pages pages/

\b
Exit codes:
  0  checked; no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  bad input or a fetch error (one line on stderr per source)
  3  a broken installation: model or data file missing or invalid
  130 interrupted (Ctrl-C); 143 stopped by SIGTERM
"""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: finished work is kept and the command ends with one line."""


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated`, so a stopped command cleans up as it does on Ctrl-C."""

    def handler(signum, frame) -> None:
        raise Terminated()

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (the CLI called from a thread): leave SIGTERM as it is
        pass


def _interrupted(exc: KeyboardInterrupt, source: str = "", hint: str = "") -> None:
    """One line for Ctrl-C or SIGTERM, then exit 130 or 143."""
    terminated = isinstance(exc, Terminated)
    line = "stopped by SIGTERM" if terminated else "interrupted"
    click.echo(f"claimcheck: {source + ': ' if source else ''}{line}{'; ' + hint if hint else ''}", err=True)
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


class _DefaultToCheck(click.Group):
    """A group whose unknown first word is a source for the 'check' command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check", "--help"]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The group's options and commands, then the options of ``claimcheck SOURCE...`` (the check command)."""
        super().format_options(ctx, formatter)
        check = self.commands.get("check")
        if check is None:
            return
        with click.Context(check, info_name="check", parent=ctx) as sub:
            options = [p for p in check.get_params(sub) if isinstance(p, click.Option) and "--help" not in p.opts]
            rows = [r for p in options if (r := p.get_help_record(sub)) is not None]
        with formatter.section("Options of claimcheck SOURCE... (the check command)"):
            formatter.write_dl(rows)


@click.group(cls=_DefaultToCheck, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="claimcheck")
def main() -> None:
    """Audit the health claims on web pages: which sentences claim efficacy or safety, how strongly
    they are worded, what evidence backs them, and which claims outrun their evidence.

    SOURCE is a URL, a saved page (.html, .txt) or - for standard input."""


def _check_options(command):
    """Add the flags every checking command takes; :func:`_build_options` turns them into Options."""
    flags = [
        click.option("--max-bytes", type=int, default=Options.max_bytes, show_default=True, help="Largest body accepted."),
        click.option("--timeout", type=float, default=Options.total_timeout, show_default=True, help="Seconds for a whole fetch."),
        click.option(
            "--model",
            "model_path",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            help="A model directory from 'claimcheck train'.",
        ),
        click.option(
            "--min-confidence",
            type=float,
            help="Flag only claims whose confidence is at least this (0 to 1); default: the model's operating point.",
        ),
        click.option(
            "--max-units",
            type=int,
            default=Options.max_units,
            show_default=True,
            help="Most units of one page checked; a longer page is checked up to this and says so.",
        ),
        click.option(
            "--max-seconds",
            type=float,
            default=Options.max_seconds,
            show_default=True,
            help="Time budget for checking one page once read; then no further units are taken.",
        ),
        click.option(
            "--allow-private",
            is_flag=True,
            help="Also fetch loopback, private and link-local addresses (refused by default: see README).",
        ),
        click.option(
            "--accept",
            "accept_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="An acceptance file of findings already reviewed (lines of PAGE RULE [reason]); they stay in the "
            "report marked accepted and do not count for --fail-on.",
        ),
        click.option(
            "--verify-references",
            is_flag=True,
            help="Look each reference entry up in Crossref and PubMed (network; answers cached on disk).",
        ),
        click.option("--offline", is_flag=True, help="Check references against the cache only; nothing leaves the machine."),
        click.option("--mailto", metavar="EMAIL", help="Contact address sent with reference lookups, as Crossref and NCBI ask."),
        click.option(
            "--reference-cache",
            type=click.Path(dir_okay=False, path_type=Path),
            help="The SQLite file of cached reference lookups (default: the user cache folder).",
        ),
    ]
    for flag in reversed(flags):
        command = flag(command)
    return command


def _build_options(
    max_bytes: int,
    timeout: float,
    model_path: Path | None,
    min_confidence: float | None,
    max_units: int,
    max_seconds: float,
    allow_private: bool,
    verify_references: bool = False,
    offline: bool = False,
    mailto: str | None = None,
    reference_cache: Path | None = None,
    accept_file: Path | None = None,
) -> Options:
    """The Options of the checking flags; an invalid value is one line on stderr and exit 2."""
    try:
        return Options(
            max_bytes=max_bytes,
            total_timeout=timeout,
            model_path=model_path,
            min_confidence=min_confidence,
            max_units=max_units,
            max_seconds=max_seconds,
            allow_private=allow_private,
            verify_references=verify_references,
            offline=offline,
            mailto=mailto,
            reference_cache=reference_cache,
            accept_file=accept_file,
        )
    except ClaimcheckError as exc:
        click.echo(f"claimcheck: {clean(str(exc))}", err=True)
        sys.exit(exc.exit_code)


def _acceptances(options: Options) -> tuple:
    """The entries of the acceptance file, read before any page is checked; one line and exit 2 when it is bad."""
    from .acceptance import load_acceptances

    if options.accept_file is None:
        return ()
    try:
        return load_acceptances(options.accept_file)
    except ClaimcheckError as exc:
        click.echo(f"claimcheck: {clean(str(exc))}", err=True)
        sys.exit(exc.exit_code)


def _unmatched_acceptances(options: Options, acceptances: tuple, used: set[int]) -> None:
    """Name on stderr each acceptance entry that matched no finding (a stale or mistyped line)."""
    for entry in acceptances:
        if entry.line not in used:
            click.echo(f"claimcheck: {options.accept_file}:{entry.line}: matched no finding ({clean(entry.page)} {entry.rule})", err=True)


def _is_same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (a link or another spelling of the same path counts)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist (yet)
        pass
    return a.resolve() == b.resolve()


class _AtomicOutput:
    """A report file written beside its target and renamed over it only by :meth:`commit`.

    Until then an existing file of that name is left as it was; :meth:`discard` removes the partial one.
    """

    def __init__(self, path: Path) -> None:
        self.target = Path(os.path.realpath(path))  # a link keeps pointing where it did
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".part", dir=self.target.parent)
        self.temp = Path(name)
        self.stream: TextIO = os.fdopen(fd, "w", encoding="utf-8")

    def commit(self) -> None:
        """Close the file and put it in place, with the mode the target had (or a new file gets)."""
        self.stream.close()
        try:
            mode = self.target.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(self.temp, mode)
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        """Close and delete the partial file; the target is untouched."""
        self.stream.close()
        self.temp.unlink(missing_ok=True)


def _open_output(output: Path, sources: Iterable[str]) -> _AtomicOutput:
    """The output file of ``check``; one line on stderr and exit 2 when it is an input or cannot be written."""
    from .fetching import is_url

    for source in sources:
        if source != "-" and not is_url(source) and _is_same_file(output, Path(source)):
            click.echo(f"claimcheck: {output}: the output file is also an input; choose another --output", err=True)
            sys.exit(EXIT_INPUT)
    if not Path(os.path.realpath(output)).parent.is_dir():
        click.echo(f"claimcheck: {output}: no such folder: {output.parent}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        return _AtomicOutput(output)
    except OSError as exc:
        click.echo(f"claimcheck: {output}: cannot write ({exc.strerror or exc})", err=True)
        sys.exit(EXIT_INPUT)


def _fails(severities: Iterable[str | None], fail_on: str) -> bool:
    """Whether any of ``severities`` is at or above ``fail_on`` ("never" never fails)."""
    worst = max((SEVERITY_RANK.get(s, 0) for s in severities if s), default=0)
    return fail_on != "never" and worst >= SEVERITY_RANK[fail_on]


@main.command("check", epilog=EXAMPLES)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl", "csv", "html"]),
    default="text",
    show_default=True,
    help="json: one object (an array for several sources); jsonl: one line per source; csv: one row per unit; "
    "html: a self-contained report to share (one source).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="never",
    show_default=True,
    help="Exit 1 when an open (not accepted) finding at or above this severity exists.",
)
@click.option("--all", "all_claims", is_flag=True, help="List every claim in the text view, not only the flagged ones.")
@_check_options
def check_command(sources, fmt, output, fail_on, all_claims, **checking) -> None:
    """Check one or more pages."""
    _stop_on_sigterm()
    from .checker import Checker
    from .report import max_severity

    options = _build_options(**checking)
    if fmt == "html" and len(sources) > 1:
        click.echo(
            "claimcheck: --format html: one report per page, so give one source (claimcheck audit writes a report for each page)",
            err=True,
        )
        sys.exit(EXIT_INPUT)
    acceptances = _acceptances(options)
    target = _open_output(output, sources) if output else None
    stream = target.stream if target else sys.stdout
    render = _renderer(fmt, stream, several=len(sources) > 1, all_claims=all_claims)
    next(render)
    failed_input = failed_setup = False
    severities = []
    written = False
    try:
        with Checker(options) as checker:
            for source in sources:
                try:
                    report = checker.check_source(source)
                except ClaimcheckError as exc:
                    click.echo(f"claimcheck: {clean(str(exc))}", err=True)
                    if exc.exit_code == EXIT_SETUP:
                        failed_setup = True
                        break
                    failed_input = True
                    continue
                severities.append(max_severity(report))
                render.send(report)
        render.close()
        if target and not (failed_input or failed_setup):
            target.commit()
            written = True
        elif target:
            click.echo(f"claimcheck: {output}: not written, as a source could not be checked", err=True)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except OSError as exc:  # writing the report file: a full disk, a folder removed meanwhile
        if target is None:
            raise
        click.echo(f"claimcheck: {output}: cannot write ({exc.strerror or exc})", err=True)
        sys.exit(EXIT_INPUT)
    finally:
        if target and not written:
            target.discard()
    if not (failed_input or failed_setup):
        _unmatched_acceptances(options, acceptances, checker.accepted_lines)
    if failed_setup:
        sys.exit(EXIT_SETUP)
    if failed_input:
        sys.exit(EXIT_INPUT)
    if _fails(severities, fail_on):
        sys.exit(EXIT_FINDINGS)


def _renderer(fmt: str, stream: TextIO, several: bool, all_claims: bool):
    """A coroutine that renders each report sent to it in ``fmt`` onto ``stream``; close it to finish the output."""
    if fmt == "text":
        from rich.console import Console

        from .report import render_text

        console = Console(file=stream, highlight=False)
        console.soft_wrap = not console.is_terminal  # piped or written to a file: lines are never wrapped
        first = True
        while True:
            try:
                report = yield
            except GeneratorExit:
                return
            if not first:
                console.print()
            render_text(report, console, all_claims=all_claims)
            first = False
    elif fmt == "csv":
        from .csv_report import CsvWriter

        writer = CsvWriter(stream)
        while True:
            try:
                report = yield
            except GeneratorExit:
                stream.flush()
                return
            writer.write(report)
    elif fmt == "html":
        from .html_report import render_html

        while True:
            try:
                report = yield
            except GeneratorExit:
                return
            stream.write(render_html(report))
    else:
        from .report import to_json

        array = fmt == "json" and several
        count = 0
        while True:
            try:
                report = yield
            except GeneratorExit:
                if array:
                    stream.write("[]\n" if count == 0 else "\n]\n")
                stream.flush()
                return
            if array:
                stream.write(("[\n" if count == 0 else ",\n") + to_json(report, indent=2))
            else:
                stream.write(to_json(report, indent=2 if fmt == "json" else None) + "\n")
            stream.flush()
            count += 1


@main.command("train")
@click.option("--corpus", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("corpus"), show_default=True)
@click.option(
    "--real",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data/train"),
    show_default=True,
    help="Labelled real pages (gold/*.jsonl), used when present.",
)
@click.option("--no-real", is_flag=True, help="Train on the corpus alone.")
@click.option("--real-weight", type=float, default=1.0, show_default=True, help="Weight of a real unit against a corpus unit.")
@click.option(
    "--confidence-on",
    type=click.Choice(["all", "tuning"]),
    default="all",
    show_default=True,
    help="Pages that teach the confidence layer: all, or the real (tuning) pages alone.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("models"), show_default=True)
def train_command(corpus: Path, real: Path, no_real: bool, real_weight: float, confidence_on: str, out: Path) -> None:
    """Rebuild the model directory from the corpus and the labelled real pages (needs the 'train' extra)."""
    from .train import main as train_main

    args = [
        "--corpus",
        str(corpus),
        "--real",
        str(real),
        "--real-weight",
        str(real_weight),
        "--confidence-on",
        confidence_on,
        "--out",
        str(out),
    ]
    sys.exit(train_main([*args, *(["--no-real"] if no_real else [])]))


@main.command("evaluate")
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--pages",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of the pages the gold files name (default: ../pages beside the gold files).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--model",
    "model_paths",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A model directory; repeat to compare candidates on the same pages (the first is the baseline).",
)
@click.option(
    "--min-confidence",
    type=float,
    help="Flag only claims whose confidence is at least this (0 to 1); default: the model's operating point.",
)
def evaluate_command(gold, pages, fmt, model_paths, min_confidence) -> None:
    """Run the pipeline on gold pages and score it against their labels, with page-bootstrap intervals."""
    from .evaluate import compare, evaluate, render

    try:
        candidates = [Options(model_path=m, min_confidence=min_confidence) for m in model_paths or [None]]
        if len(candidates) == 1:
            result = evaluate(list(gold), pages_dir=pages, options=candidates[0])
        else:
            result = compare(list(gold), candidates, pages_dir=pages)
    except ClaimcheckError as exc:
        click.echo(f"claimcheck: {clean(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    click.echo(render(result, fmt))


AUDIT_EXAMPLES = """
\b
Examples:
  claimcheck audit urls.txt --out audit/
  claimcheck audit --sitemap https://clinic.example/sitemap.xml --out audit/
  claimcheck audit --crawl https://clinic.example/blog/ --max-pages 500 --out audit/
  claimcheck audit ./saved-pages/ --out audit/
  claimcheck audit crawl.warc.gz --out audit/ --jobs 2
  claimcheck audit urls.txt --out audit/ --engine dask --scheduler tcp://host:8786

\b
Rerun the same command to resume a stopped audit: finished pages are kept, failed ones retried.
OUT holds report.html (the dashboard; pages/ holds each page's HTML report), reports.jsonl (one
report per page), audit.sqlite (pages, sentences, findings), CSV tables (summary, rules, phrases,
worst_pages, failed_pages, pages, sites, findings) and cache/ (the fetched pages).

\b
Exit codes:
  0  every page checked (or skipped by robots.txt); no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  bad input, or some pages failed (listed in pages.csv; rerun to retry them)
  3  a broken installation: model or data file missing or invalid
  130 interrupted (Ctrl-C); 143 stopped by SIGTERM (rerun to resume)
"""


@main.command("audit", epilog=AUDIT_EXAMPLES)
@click.argument("sources", nargs=-1)
@click.option(
    "--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("audit"), show_default=True, help="Output folder."
)
@click.option("--sitemap", "sitemaps", multiple=True, metavar="URL|FILE", help="A sitemap or sitemap index (gzipped or not).")
@click.option("--crawl", "crawls", multiple=True, metavar="URL", help="Crawl the site from this URL, staying under its folder.")
@click.option("--max-pages", type=click.IntRange(min=1), help="The most pages the audit holds.")
@click.option("--max-depth", type=click.IntRange(min=0), default=5, show_default=True, help="Links followed from a crawl's start.")
@click.option("--any-path", is_flag=True, help="Let a crawl leave the start URL's folder (never the site).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes checking pages.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786); default: a LocalCluster of --jobs workers.")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True, help="Fetches in flight in all.")
@click.option("--per-host", type=click.IntRange(min=1), default=2, show_default=True, help="Fetches in flight per host.")
@click.option("--delay", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Seconds between requests to one host.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True, help="Retries for timeouts, 429 and 5xx.")
@click.option("--ignore-robots", is_flag=True, help="Do not read robots.txt (only for sites you may audit regardless).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Folder of fetched pages (default OUT/cache).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write fetched pages.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True)
@_check_options
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: when stderr is a terminal).")
def audit_command(
    sources,
    out,
    sitemaps,
    crawls,
    max_pages,
    max_depth,
    any_path,
    jobs,
    engine,
    scheduler,
    concurrency,
    per_host,
    delay,
    retries,
    ignore_robots,
    cache,
    no_cache,
    fail_on,
    progress,
    **checking,
) -> None:
    """Audit many pages: URL lists, sitemaps, a crawl, folders of saved pages, WARC files."""
    from rich.console import Console

    _stop_on_sigterm()

    from .audit import AuditConfig, AuditInputs, Politeness, audit, site_summary, write_dashboard, write_summary
    from .audit.display import ProgressBar, render_summary

    options = _build_options(**checking)
    _acceptances(options)  # a bad acceptance file is one line before any page is fetched
    config = AuditConfig(
        jobs=jobs,
        engine=engine,
        scheduler=scheduler,
        concurrency=concurrency,
        max_pages=max_pages,
        max_depth=max_depth,
        any_path=any_path,
        cache=cache,
        use_cache=not no_cache,
        options=options,
        politeness=Politeness(per_host=per_host, delay=delay, retries=retries, obey_robots=not ignore_robots),
    )
    inputs = AuditInputs(tuple(sources), tuple(sitemaps), tuple(crawls))
    err = Console(stderr=True)
    show = err.is_terminal if progress is None else progress
    try:
        if show:
            with ProgressBar(err) as bar:
                result = audit(inputs, out, config, progress=bar)
        else:
            result = audit(inputs, out, config)
        summary = site_summary(out)
        write_summary(out, summary)
        write_dashboard(out, summary)
    except ClaimcheckError as exc:
        click.echo(f"claimcheck: {clean(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        _interrupted(exc, str(out), "finished pages are saved, rerun the same command to resume")
    console = Console(highlight=False)
    console.soft_wrap = not console.is_terminal  # piped or redirected: lines are never wrapped
    render_summary(summary, console)
    click.echo(f"results in {out}/: report.html (pages/ holds each page's report), reports.jsonl, audit.sqlite, and CSV tables")
    if result.replayed:
        click.echo(f"recovered {result.replayed} pages written just before the last run stopped", err=True)
    if result.failed:
        sys.exit(EXIT_INPUT)
    if _fails(summary.severities, fail_on):
        sys.exit(EXIT_FINDINGS)
