"""A generated clinic site served from loopback, for the audit tests and benchmarks/audit.py.

Every page is built from the sentences below (written for these tests) and is the same on every
run. The site has a blog of ``n`` posts, a sitemap index (one plain and one gzipped sitemap), a
robots.txt, slow posts, failing posts, posts that fail once and then work, redirects and pages
outside the blog.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOPICS = [
    "low-dose naltrexone",
    "curcumin",
    "acupuncture",
    "magnesium glycinate",
    "red light therapy",
    "vitamin D",
    "ozone therapy",
    "collagen peptides",
    "NAD+ infusions",
    "probiotic blend",
]
CONDITIONS = ["endometriosis", "chronic fatigue", "migraine", "fibromyalgia", "eczema", "long COVID", "joint pain", "insomnia"]
STRONG = [
    "{t} is a safe and effective treatment for {c}.",
    "{t} cures {c} in most of our patients.",
    "Our patients find that {t} is a game-changer for {c}.",
    "{t} has no side effects, even at high doses.",
    "{t} completely eliminates the symptoms of {c}.",
]
HEDGED = [
    "Early research suggests that {t} may ease some symptoms of {c}.",
    "Some small studies hint that {t} could help people with {c}, but more work is needed.",
    "It is possible that {t} reduces inflammation, although this has not been shown in people.",
]
CITED = [
    "In a randomised controlled trial of 120 adults, {t} reduced {c} scores by a third compared with placebo [{n}].",
    "A 2021 systematic review found a modest benefit of {t} for {c} (Harlow et al., 2021).",
]
MECHANISM = [
    "{t} is thought to act on the immune cells that drive {c}.",
    "By blocking opioid receptors for a short time, {t} may raise the body's own endorphins.",
]
NEUTRAL = [
    "Book a free consultation with our team to find out whether this approach suits you.",
    "Our clinic has served the community for more than fifteen years.",
    "Every treatment plan starts with a full review of your medical history.",
    "Talk to your doctor before starting any new supplement.",
]


def post_number(path: str) -> int | None:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if path.startswith("/blog/post-") and name[5:].isdigit():
        return int(name[5:])
    return None


class Site:
    """The pages of a generated site and what the server does with each path."""

    def __init__(
        self,
        n: int = 300,
        slow_every: int = 50,
        fail_every: int = 97,
        flaky_every: int = 61,
        slow_seconds: float = 0.3,
        bodies: list[str] | None = None,
    ) -> None:
        self.n = n
        self.bodies = bodies  # served in turn as the posts instead of the generated ones
        self.slow_every = slow_every
        self.fail_every = fail_every
        self.flaky_every = flaky_every
        self.slow_seconds = slow_seconds
        self.reasons: dict[str, str] = {}  # path -> the reason phrase sent instead of the standard one
        self.robots_status: int | None = None  # an HTTP status robots.txt answers with instead of its text
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[float, str, int]] = []
        self.active: Counter[str] = Counter()
        self.max_active = 0
        self.connections = 0  # TCP connections accepted, to tell a reused HTTP client from fresh ones
        self._lock = threading.Lock()
        self._failed_once: set[str] = set()

    # -- what the site holds ----------------------------------------------------------------------
    def post_paths(self) -> list[str]:
        return [f"/blog/post-{i}" for i in range(1, self.n + 1)]

    def is_failing(self, i: int) -> bool:
        return self.fail_every > 0 and i % self.fail_every == 13 % self.fail_every

    def is_flaky(self, i: int) -> bool:
        return self.flaky_every > 0 and i % self.flaky_every == 5 % self.flaky_every

    def is_slow(self, i: int) -> bool:
        return self.slow_every > 0 and i % self.slow_every == 7 % self.slow_every

    def post_html(self, i: int) -> str:
        if self.bodies:
            return self.bodies[i % len(self.bodies)]
        t = TOPICS[i % len(TOPICS)]
        c = CONDITIONS[(i // len(TOPICS)) % len(CONDITIONS)]
        sentences = [
            STRONG[i % len(STRONG)],
            NEUTRAL[i % len(NEUTRAL)],
            HEDGED[i % len(HEDGED)],
            CITED[i % len(CITED)],
            MECHANISM[i % len(MECHANISM)],
            STRONG[(i + 2) % len(STRONG)],
            NEUTRAL[(i + 1) % len(NEUTRAL)],
        ]
        paras = "\n".join(
            f"<p>{s.format(t=t, c=c, n=1).capitalize() if s.startswith('{t}') else s.format(t=t, c=c, n=1)}</p>" for s in sentences
        )
        nxt = f'<a href="/blog/post-{i % self.n + 1}">Next post</a>'
        extra = ""
        if i % 10 == 0:
            extra += f'<a href="/blog/old-post-{i}">An older link to this post</a> <a href="/blog/private/notes-{i}">Staff notes</a> '
            extra += f'<a href="/blog/private/open-{i}">Open notes</a> <a href="/blog/gone-{i}">A removed post</a>'
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t.capitalize()} and {c} | Riverside Wellness Clinic</title></head>
<body>
<nav><a href="/">Home</a> <a href="/blog/">Blog</a> <a href="/shop/">Shop</a> <a href="https://elsewhere.example/">Partners</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<main><article>
<h1>{t.capitalize()} for {c}: what our patients should know</h1>
<p class="byline">By Dr. Ellen Marsh, 12 March 2025</p>
{paras}
<h2>References</h2>
<ol><li>Harlow J, Ito K. {t.capitalize()} in {c}: a randomised trial. J Clin Med. 2021;10(4):551. doi:10.3390/jcm1004{i:04d}</li></ol>
<p>{nxt} {extra}</p>
</article></main>
<footer><p>Riverside Wellness Clinic, 4 Mill Lane. Call us on 555-0100.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""

    def index_html(self) -> str:
        links = "\n".join(f'<li><a href="{p}">Post {p.rsplit("-", 1)[1]}</a></li>' for p in self.post_paths())
        return f"""<!DOCTYPE html><html lang="en"><head><title>Blog | Riverside Wellness Clinic</title></head><body>
<nav><a href="/">Home</a> <a href="/shop/">Shop</a></nav><main><h1>Our blog</h1>
<p>Articles from our practitioners on the treatments we offer.</p><ul>{links}</ul></main></body></html>"""

    def sitemap_urls(self, base: str) -> list[str]:
        return [base + p for p in self.post_paths()]

    def respond(self, path: str, base: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a path."""
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt" and self.robots_status is not None:
            return self.robots_status, {"Content-Type": "text/plain"}, b"robots.txt is not available"
        if path == "/robots.txt":
            body = f"User-agent: *\nDisallow: /blog/private/\nAllow: /blog/private/open-\n\nSitemap: {base}/sitemap.xml\n"
            return 200, {"Content-Type": "text/plain"}, body.encode()
        if path == "/sitemap.xml":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/sitemap-1.xml</loc></sitemap><sitemap><loc>{base}/sitemap-2.xml.gz</loc></sitemap></sitemapindex>"
            )
            return 200, {"Content-Type": "application/xml"}, body.encode()
        if path in ("/sitemap-1.xml", "/sitemap-2.xml.gz"):
            urls = self.sitemap_urls(base)
            half = urls[: len(urls) // 2] if path == "/sitemap-1.xml" else urls[len(urls) // 2 :]
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<url><loc>{u}</loc></url>" for u in half)
                + "</urlset>"
            ).encode()
            if path.endswith(".gz"):
                return 200, {"Content-Type": "application/gzip"}, gzip.compress(body)
            return 200, {"Content-Type": "application/xml"}, body
        if path in ("/blog/", "/blog"):
            return 200, html, self.index_html().encode()
        if path.startswith("/blog/old-post-"):
            return 301, {"Location": "/blog/post-" + path.rsplit("-", 1)[1]}, b""
        if path.startswith(("/blog/private/", "/shop/", "/privacy")) or path == "/":
            return 200, html, f"<html><body><main><p>Page {path} of the clinic.</p></main></body></html>".encode()
        i = post_number(path)
        if i is None or i > self.n:
            return 404, html, b"<html><body><p>Not found</p></body></html>"
        if self.is_failing(i):
            return 500, html, b"<html><body><p>Internal error</p></body></html>"
        if self.is_flaky(i):
            with self._lock:
                first = path not in self._failed_once
                self._failed_once.add(path)
            if first:
                return (429, {"Retry-After": "1", **html}, b"slow down") if i % 2 else (503, {"Retry-After": "0", **html}, b"busy")
        if self.is_slow(i):
            time.sleep(self.slow_seconds)
        return 200, html, self.post_html(i).encode()

    # -- serving ----------------------------------------------------------------------------------
    @contextmanager
    def serve(self):
        """Serve the site on a free loopback port; yield its base URL."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with site._lock:
                    site.connections += 1

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                path = self.path.split("?", 1)[0]
                with site._lock:
                    site.requests[path] += 1
                    site.active[path] += 1
                    site.max_active = max(site.max_active, sum(site.active.values()))
                status = 500
                try:
                    status, headers, body = site.respond(path, base)
                finally:
                    # counted until the answer is ready, which is always before the client has it
                    with site._lock:
                        site.active[path] -= 1
                        site.log.append((time.monotonic(), path, status))
                self.send_response(status, site.reasons.get(path))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that hangs up (an audit killed on purpose) is not an error here

        server = Server(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base
        finally:
            server.shutdown()
            server.server_close()

    # -- offline copies ---------------------------------------------------------------------------
    def save_folder(self, folder: Path, count: int) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(1, count + 1):
            sub = folder / f"part-{i % 3}"
            sub.mkdir(exist_ok=True)
            path = sub / f"post-{i}.html"
            path.write_text(self.post_html(i), encoding="utf-8")
            paths.append(path)
        return paths

    def write_warc(self, path: Path, base: str, count: int) -> list[str]:
        """A gzipped WARC of ``count`` posts plus one image response; return the post URLs."""
        import io

        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        urls = []
        with path.open("wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            for i in range(1, count + 1):
                url = f"{base}/blog/post-{i}"
                body = self.post_html(i).encode()
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
                urls.append(url)
            png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
            headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"{base}/logo.png", "response", payload=io.BytesIO(png), http_headers=headers))
        return urls
