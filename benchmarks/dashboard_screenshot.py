"""Screenshot the audit dashboard (OUT/report.html) of an audit of the generated loopback site.

    python benchmarks/dashboard_screenshot.py                      # writes docs/audit-report.png
    python benchmarks/dashboard_screenshot.py --pages 60 --out shot.png --keep audit/

Serves the clinic site of tests/site.py on loopback, audits its posts with two worker processes,
writes the CSV files and the dashboard, and loads the dashboard in headless Chromium (``chromium`` on
PATH) at 1280x1600 with every network request sent to a recording proxy, which must see none.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimcheck.audit import AuditConfig, AuditInputs, Politeness, audit, site_summary, write_summary  # noqa: E402
from claimcheck.audit.dashboard import write_dashboard  # noqa: E402
from claimcheck.options import Options  # noqa: E402
from tests.browser import RecordingProxy, run_chromium  # noqa: E402
from tests.site import Site  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=120, help="posts on the generated site")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "audit-report.png", help="the PNG to write")
    parser.add_argument("--keep", type=Path, help="keep the audit folder here instead of a temporary one")
    parser.add_argument("--size", default="1280x1600", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        sys.exit("needs headless Chromium: no `chromium` on PATH")
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "audit"
        site = Site(n=args.pages, slow_every=0)
        with site.serve() as base:
            urls = Path(tmp) / "urls.txt"
            urls.write_text("\n".join(site.sitemap_urls(base)) + "\n", encoding="utf-8")
            config = AuditConfig(options=Options(allow_private=True), jobs=2, politeness=Politeness(per_host=4, backoff=0.05))
            result = audit(AuditInputs(sources=(str(urls),)), folder, config)
        summary = site_summary(folder)
        write_summary(folder, summary)
        dashboard = write_dashboard(folder, summary)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with RecordingProxy() as proxy:
            run_chromium(dashboard, Path(tmp), proxy=proxy, screenshot=args.out.resolve(), window=(width, height))
            if proxy.requests():
                sys.exit(f"the dashboard made requests: {proxy.requests()}")
    print(f"{result.counts} -> {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
