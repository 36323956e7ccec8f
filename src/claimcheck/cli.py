"""The command line: parse arguments, call the library, render. Nothing else lives here."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import ClaimcheckError
from .options import Options
from .version import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_SETUP = 0, 1, 2, 3

EXAMPLES = """
\b
Examples:
  claimcheck https://clinic.example/blog/ldn-endometriosis
  claimcheck saved-page.html
  curl -s https://clinic.example/blog/ | claimcheck -
  claimcheck --format json page.html > report.json
  claimcheck --format jsonl a.html b.html https://clinic.example/x
  claimcheck --fail-on high page.html   # exit 1 when a high-severity finding exists
  claimcheck train                      # rebuild models/ from corpus/
  claimcheck evaluate gold/*.jsonl --pages pages/

\b
Exit codes:
  0  checked; no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  bad input or a fetch error (one line on stderr per source)
  3  a broken installation: model or data file missing or invalid
"""


class _DefaultToCheck(click.Group):
    """A group whose unknown first word is a source for the 'check' command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check", "--help"]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToCheck, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="claimcheck")
def main() -> None:
    """Audit the health claims on web pages: which sentences claim efficacy or safety, how strongly
    they are worded, what evidence backs them, and which claims outrun their evidence.

    SOURCE is a URL, a saved page (.html, .txt) or - for standard input."""


@main.command("check", epilog=EXAMPLES)
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(["high", "medium", "low", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding at or above this severity exists.",
)
@click.option("--max-bytes", type=click.IntRange(min=1), default=Options.max_bytes, show_default=True, help="Largest body accepted.")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=Options.total_timeout, show_default=True, help="Seconds for a whole fetch."
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A model directory from 'claimcheck train'.",
)
def check_command(sources, fmt, output, fail_on, max_bytes, timeout, model_path) -> None:
    """Check one or more pages."""
    from rich.console import Console

    from .pipeline import check_source
    from .report import max_severity, render_text, to_json
    from .rules import SEVERITY_RANK

    options = Options(max_bytes=max_bytes, total_timeout=timeout, read_timeout=min(Options.read_timeout, timeout), model_path=model_path)
    if fmt == "json" and len(sources) > 1:
        fmt = "jsonl"
    stream = output.open("w", encoding="utf-8") if output else sys.stdout
    console = Console(file=stream, highlight=False, soft_wrap=False) if fmt == "text" else None
    failed_input = failed_setup = False
    worst = 0
    try:
        for source in sources:
            try:
                report = check_source(source, options)
            except ClaimcheckError as exc:
                click.echo(f"claimcheck: {exc}", err=True)
                if exc.exit_code == EXIT_SETUP:
                    failed_setup = True
                    break
                failed_input = True
                continue
            severity = max_severity(report)
            worst = max(worst, SEVERITY_RANK.get(severity, 0))
            if fmt == "text":
                render_text(report, console)
                if len(sources) > 1:
                    console.print()
            else:
                stream.write(to_json(report, indent=2 if fmt == "json" else None) + "\n")
                stream.flush()
    finally:
        if output:
            stream.close()
    if failed_setup:
        sys.exit(EXIT_SETUP)
    if failed_input:
        sys.exit(EXIT_INPUT)
    if fail_on != "never" and worst >= SEVERITY_RANK[fail_on]:
        sys.exit(EXIT_FINDINGS)


@main.command("train")
@click.option("--corpus", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("corpus"), show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("models"), show_default=True)
@click.option("--compare", is_flag=True, help="Also measure the candidate models on held-out pages and record them.")
@click.option("--held-out-only", is_flag=True, help="Fit on the training pages only, to evaluate the pipeline on the held-out ones.")
def train_command(corpus: Path, out: Path, compare: bool, held_out_only: bool) -> None:
    """Rebuild the model directory from the labelled corpus."""
    from .train import main as train_main

    flags = [*(["--compare"] if compare else []), *(["--held-out-only"] if held_out_only else [])]
    sys.exit(train_main(["--corpus", str(corpus), "--out", str(out), *flags]))


@main.command("evaluate")
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--pages",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of the pages the gold files name (default: ../pages beside the gold files).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--model", "model_path", type=click.Path(file_okay=False, exists=True, path_type=Path))
def evaluate_command(gold, pages, fmt, model_path) -> None:
    """Run the pipeline on gold pages and score it against their labels."""
    from .evaluate import evaluate, render

    try:
        result = evaluate(list(gold), pages_dir=pages, options=Options(model_path=model_path))
    except ClaimcheckError as exc:
        click.echo(f"claimcheck: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(render(result, fmt))
