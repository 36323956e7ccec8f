"""Audit throughput and memory: pages/s with 1 and 2 worker processes and on a Dask LocalCluster,
and peak memory at 1,000 and 5,000 pages.

    python benchmarks/audit.py                 # 1,000-page runs and a 5,000-page run
    python benchmarks/audit.py --pages 300 --big 0

Each run is `claimcheck audit URLS --out DIR` in a subprocess, against a site served from loopback
by this process (tests/site.py) whose posts are the HTML pages of corpus/ in turn (full pages with
site chrome, as clinics publish them; `--small` serves the short generated posts of the tests). Rates are measured between the first and the last report
written, so worker start-up is left out; the wall time of the whole command is shown beside them.
Memory is the peak resident set of the audit process and of its whole process tree (workers
included), sampled every 0.1 s. All runs of one invocation share the machine's conditions: compare
the ratios, not the absolute figures, across machines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.site import Site  # noqa: E402


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    try:
        main = proc.memory_info().rss
        total = main + sum(c.memory_info().rss for c in proc.children(recursive=True))
    except psutil.Error:
        return 0, 0
    return main, total


def run(urls: Path, out: Path, n: int, extra: list[str]) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "claimcheck",
        "audit",
        str(urls),
        "--out",
        str(out),
        "--no-progress",
        "--per-host",
        "8",
        "--allow-private",
        *extra,
    ]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    handle = psutil.Process(proc.pid)
    jsonl = out / "reports.jsonl"
    first = last = None
    peak_main = peak_total = 0
    seen = 0
    while proc.poll() is None:
        main, total = tree_rss(handle)
        peak_main, peak_total = max(peak_main, main), max(peak_total, total)
        if jsonl.exists():
            lines = jsonl.read_bytes().count(b"\n")
            if lines and first is None:
                first, seen = time.monotonic(), lines
            if lines > seen:
                last, seen = time.monotonic(), lines
        time.sleep(0.1)
    wall = time.monotonic() - start
    stderr = proc.stderr.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"audit failed ({proc.returncode}): {stderr.strip()}")
    lines = jsonl.read_bytes().count(b"\n")
    if lines != n:
        raise SystemExit(f"expected {n} reports, got {lines}")
    rate = (lines - 1) / (last - first) if first and last and last > first else float("nan")
    return {"pages": n, "wall_s": wall, "pages_per_s": rate, "peak_main_mb": peak_main / 2**20, "peak_tree_mb": peak_total / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--big", type=int, default=5000, help="pages of the memory run (0 to skip)")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--small", action="store_true", help="serve the tests' short generated posts instead of corpus pages")
    args = parser.parse_args()
    runs = [("1 job", args.pages, ["--jobs", "1"]), ("2 jobs", args.pages, ["--jobs", "2"])]
    if not args.no_dask:
        try:
            import distributed  # noqa: F401

            runs.append(("dask, LocalCluster of 2", args.pages, ["--jobs", "2", "--engine", "dask"]))
        except ImportError:
            print("dask is not installed (pip install 'claimcheck[dask]'); skipping the Dask run")
    if args.big:
        runs.append(("2 jobs", args.big, ["--jobs", "2"]))
    bodies = None if args.small else [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "pages").glob("*.html"))]
    site = Site(n=max(args.pages, args.big), slow_every=0, fail_every=0, flaky_every=0, bodies=bodies)
    results = []
    with site.serve() as base, tempfile.TemporaryDirectory() as tmp:
        for i, (name, n, extra) in enumerate(runs):
            urls = Path(tmp) / f"urls-{n}.txt"
            urls.write_text("\n".join(site.sitemap_urls(base)[:n]) + "\n", encoding="utf-8")
            result = run(urls, Path(tmp) / f"out-{i}", n, extra)
            results.append((name, result))
            print(
                f"{name:<24} {n:>5} pages  {result['pages_per_s']:6.1f} pages/s  wall {result['wall_s']:6.1f} s"
                f"  peak RSS main {result['peak_main_mb']:6.0f} MB, all processes {result['peak_tree_mb']:6.0f} MB",
                flush=True,
            )
    one, two = results[0][1], results[1][1]
    print(f"\n2 jobs / 1 job: {two['pages_per_s'] / one['pages_per_s']:.2f}x pages/s")
    if len(results) > 2 and results[2][0].startswith("dask"):
        print(f"dask / 1 job:   {results[2][1]['pages_per_s'] / one['pages_per_s']:.2f}x pages/s")
    if args.big:
        big = results[-1][1]
        print(
            f"peak RSS at {args.big} vs {args.pages} pages (2 jobs): main {big['peak_main_mb'] / two['peak_main_mb']:.2f}x,"
            f" all processes {big['peak_tree_mb'] / two['peak_tree_mb']:.2f}x"
        )


if __name__ == "__main__":
    main()
