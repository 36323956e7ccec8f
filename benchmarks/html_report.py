"""Cost of the HTML report next to the check it renders: a page of about 300 units, built from the
bundled example's content repeated, is checked and rendered several times; medians are printed.

    python benchmarks/html_report.py [--units 300] [--repeat 7]

Target: rendering a 300-unit report takes at most 50 ms beyond the check.
"""

from __future__ import annotations

import argparse
import html
import statistics
import sys
import time
from pathlib import Path

from claimcheck import Checker, Options
from claimcheck.html_report import render_html

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "clinic-blog.html"
TARGET_MS = 50.0


def build_page(units: int, checker: Checker) -> str:
    """An article of about ``units`` units: the example page's headings, paragraphs and list items
    repeated in order, followed by its reference list."""
    example = checker.check_file(EXAMPLE)
    blocks: dict[int, list] = {}
    for s in example.sentences:
        blocks.setdefault(s.block, []).append(s)
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Benchmark page</title></head><body><article>"]
    count = 0
    while count < units:
        for members in blocks.values():
            text = html.escape(" ".join(s.text for s in members))
            kind = members[0].unit
            parts.append(
                f"<h2>{text}</h2>" if kind == "heading" else f"<ul><li>{text}</li></ul>" if kind == "list_item" else f"<p>{text}</p>"
            )
            count += len(members)
            if count >= units:
                break
    parts.append("<h2>References</h2><ol>")
    parts.extend(f"<li>{html.escape(r.text)}</li>" for r in example.references)
    parts.append("</ol></article></body></html>")
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    checker = Checker(Options(max_units=max(args.units * 2, 5000))).load()
    page = build_page(args.units, checker)
    report = checker.check_html(page)  # warm: models, spaCy
    render_html(report)  # warm: the Jinja2 environment and compiled templates

    check_times, render_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        report = checker.check_html(page)
        t1 = time.perf_counter()
        out = render_html(report)
        t2 = time.perf_counter()
        check_times.append(t1 - t0)
        render_times.append(t2 - t1)
    check_ms = statistics.median(check_times) * 1000
    render_ms = statistics.median(render_times) * 1000
    print(f"page: {len(report.sentences)} units, {len(report.flagged)} flagged, {len(report.references)} references")
    print(f"HTML: {len(out.encode('utf-8')) / 1024:.0f} KiB")
    print(f"check  median {check_ms:8.1f} ms  (min {min(check_times) * 1000:.1f}, {args.repeat} runs)")
    print(f"render median {render_ms:8.1f} ms  (min {min(render_times) * 1000:.1f}, max {max(render_times) * 1000:.1f})")
    print(f"render/check  {render_ms / check_ms:8.3f}")
    verdict = "within" if render_ms <= TARGET_MS else "OVER"
    print(f"target: render <= {TARGET_MS:.0f} ms beyond the check: {verdict}")
    return 0 if render_ms <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
