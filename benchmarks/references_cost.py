"""What source matching and cached reference checks add to a page's check.

    python benchmarks/references_cost.py [--rounds 30]

A page with a reference list (the bundled example page with seven entries added to its list, written
for this benchmark) is checked ``--rounds`` times three ways, interleaved: plain; with ``--offline`` reference
checks answered from a warm cache (filled first from a loopback stand-in for Crossref); and the
``sources`` stage alone is read from the stage timer. Reported: median ms per page for each, and the
extra cost of the cached checks as a difference of medians and a ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import claimcheck
from claimcheck.checker import StageTimer
from claimcheck.fetching import page_from_html

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = [
    "Ortega L, Baines P. Photobiomodulation for knee osteoarthritis: a randomised sham-controlled trial. Lasers Med Sci. 2019;34:1-9.",
    "Hale R. Low-level laser therapy in rheumatoid arthritis: a systematic review. Rheumatol Int. 2016;36:11-20.",
    "Sato K. Red light reduces cartilage loss in a rat model of osteoarthritis. J Photochem Photobiol B. 2020;12:40-48.",
    "Moreau A, Lind J. Knee pain after a single session of red light therapy: a case report. Case Rep Orthop. 2021;3:2-4.",
    "Quinn D. Light therapy for seasonal affective disorder. Am J Psychiatry. 2005;162:656-62.",
    "Ibarra F. Cold laser and tendinopathy: a cohort study. Sports Med. 2018;4:90-97.",
    "Young P. Infrared saunas and blood pressure. J Hypertens. 2014;7:7-10.",
]


class Crossref(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        body = json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": []}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    html = (ROOT / "examples" / "clinic-blog.html").read_text(encoding="utf-8")
    refs = "".join(f"<li>{e}</li>" for e in ENTRIES)
    html = html.replace("</ol>", f"{refs}</ol>", 1) if '<ol class="references">' in html else html
    page = page_from_html(html, "https://clinic.example/blog/red-light")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crossref)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "refs.sqlite"
        services = (base, base)
        warm = claimcheck.Options(verify_references=True, allow_private=True, reference_cache=cache, reference_services=services)
        with claimcheck.Checker(warm) as checker:
            report = checker.check_page(page)
        print(f"{len(report.references)} references; first lookups: {[r.check.status for r in report.references]}")
        server.shutdown()
        plain = claimcheck.Checker().load()
        cached = claimcheck.Checker(claimcheck.Options(offline=True, reference_cache=cache, reference_services=services)).load()
        times: dict[str, list[float]] = {"plain": [], "cached": []}
        sources: list[float] = []
        for _ in range(args.rounds):
            for name, checker in (("plain", plain), ("cached", cached)):
                timer = StageTimer()
                start = time.perf_counter()
                checker.check_page(page, timer)
                times[name].append((time.perf_counter() - start) * 1000)
                if name == "plain":
                    sources.append(timer.seconds.get("sources", 0.0) * 1000)
        cached.close()
    plain_ms, cached_ms = statistics.median(times["plain"]), statistics.median(times["cached"])
    print(f"plain check      {plain_ms:7.1f} ms per page (median of {args.rounds})")
    print(f"  of which sources stage {statistics.median(sources):5.2f} ms")
    print(f"cached checks    {cached_ms:7.1f} ms per page")
    print(f"extra            {cached_ms - plain_ms:7.1f} ms  (ratio {cached_ms / plain_ms:.3f})")


if __name__ == "__main__":
    main()
