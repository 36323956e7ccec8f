"""Throughput of the single-page check: pages/s, milliseconds per stage, peak RSS, and trafilatura's
extraction alone timed in the same run as the floor.

    python benchmarks/throughput.py [PAGE_OR_DIR ...] [--repeat N]

Defaults to the corpus pages, the bundled example, and the development pages in ../shared when present.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from trafilatura import bare_extraction
from trafilatura.meta import reset_caches

from claimcheck.checker import Checker, StageTimer
from claimcheck.fetching import read_file

ROOT = Path(__file__).resolve().parents[1]


def collect(paths: list[str]) -> list[Path]:
    if not paths:
        paths = [str(ROOT / "corpus" / "pages"), str(ROOT / "examples"), str(ROOT.parent / "shared" / "data" / "dev" / "pages")]
    pages: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            pages.extend(sorted(q for q in p.iterdir() if q.suffix in (".html", ".htm")))
        elif p.exists():
            pages.append(p)
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = collect(args.pages)
    if not files:
        print("no HTML pages found", file=sys.stderr)
        return 2
    raw = [read_file(f) for f in files]
    start = time.perf_counter()
    checker = Checker().load()
    load_seconds = time.perf_counter() - start
    checker.check_page(raw[0])  # warm: spaCy

    floor_runs, check_runs = [], []
    timer = StageTimer()
    units = 0
    for _ in range(args.repeat):
        # trafilatura and htmldate memoise text; a pass over pages seen before would be unfairly fast
        reset_caches()
        t0 = time.perf_counter()
        for page in raw:
            bare_extraction(page.text, url=page.url, include_links=True, include_formatting=True, include_tables=True, with_metadata=True)
        floor_runs.append(time.perf_counter() - t0)
        reset_caches()
        t0 = time.perf_counter()
        units = 0
        for page in raw:
            units += len(checker.check_page(page, timer=timer).sentences)
        check_runs.append(time.perf_counter() - t0)
    floor, full = statistics.median(floor_runs), statistics.median(check_runs)
    n = len(raw)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pages {n} ({sum(len(p.text) for p in raw) / 1e6:.1f} MB of HTML), units {units}, repeats {args.repeat}")
    print(f"data and model load   {load_seconds * 1000:8.1f} ms (once per process)")
    print(f"trafilatura alone     {floor / n * 1000:8.1f} ms/page  {n / floor:7.1f} pages/s   (the floor)")
    print(f"claimcheck full check {full / n * 1000:8.1f} ms/page  {n / full:7.1f} pages/s")
    print(f"ratio full / floor    {full / floor:8.2f}x")
    total_stage = sum(timer.seconds.values())
    for name, seconds in timer.seconds.items():
        per_page = seconds / (n * args.repeat) * 1000
        print(f"  {name:10} {per_page:8.2f} ms/page  {seconds / total_stage:6.1%}")
    print(f"sentences/s through the whole check: {units / full:,.0f}; a typical page of 60 units: {60 * full / units * 1000:.1f} ms")
    print(f"peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
