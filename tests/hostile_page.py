"""Hostile HTML pages for the renderers' tests: script injection, attribute breaking, unsafe link schemes,
markup smuggled in text, terminal escapes and control characters, and a page of 20,000 units.

Every payload tries to leave a mark that a test can look for in a browser's DOM:

- ``document.title = "PWNED"``;
- an element ``<div id="pwned">``;
- the attribute ``data-pwned`` on ``<body>``;
- a request to ``http://tracker.hostile.invalid/...`` (an image, a stylesheet, a font), seen by a proxy.
"""

from __future__ import annotations

SENTINEL_TITLE = "PWNED"
SENTINEL_ID = "pwned"
SENTINEL_ATTR = "data-pwned"
TRACKER_HOST = "tracker.hostile.invalid"

SET_TITLE = f'document.title = "{SENTINEL_TITLE}";'
ADD_DIV = f'var d = document.createElement("div"); d.id = "{SENTINEL_ID}"; document.body.appendChild(d);'
SET_ATTR = f"document.body.setAttribute('{SENTINEL_ATTR}','1')"
ATTRIBUTE_BREAKER = f'"><img src=x onerror="{SET_ATTR}">'
STYLE_BREAKER = f"</style><script>{SET_TITLE}</script><style>"
TERMINAL_ESCAPES = "\x1b[2J\x07\x1b]0;title\x07"

REFERENCE_DOI = "10.5555/hostile.2020.0001"
STRONG_CLAIM = "This supplement cures arthritis and is completely safe."
JAVASCRIPT_URL = "javascript:document.title='PWNED'"
DATA_URL = "data:text/html;base64,PHNjcmlwdD5kb2N1bWVudC50aXRsZT0nUFdORUQnPC9zY3JpcHQ+"
UNSAFE_URLS = (
    JAVASCRIPT_URL,
    " JaVaScRiPt:document.title='PWNED'",
    "java\tscript:document.title='PWNED'",
    DATA_URL,
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
)


def _escape(text: str) -> str:
    """Text as it must be written in HTML source to reach the page's text unchanged."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def hostile_html() -> str:
    """One article page full of payloads, with one strongly worded uncited claim that gets flagged."""
    links = "".join(f'<a href="{_escape(u)}">link number {i}</a> ' for i, u in enumerate(UNSAFE_URLS))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Joint Relief {_escape(ATTRIBUTE_BREAKER)} {_escape(STYLE_BREAKER)}{TERMINAL_ESCAPES}</title>
<link rel="stylesheet" href="http://{TRACKER_HOST}/style.css">
<style>@font-face {{ font-family: x; src: url(http://{TRACKER_HOST}/font.woff); }} body {{ font-family: x; }}</style>
<script>{SET_TITLE}</script>
</head>
<body>
<script>{ADD_DIV}</script>
<article>
<h1>Joint Relief Capsules {_escape(ATTRIBUTE_BREAKER)}</h1>
<p>By the editors, 12 March 2024.</p>
<p>{STRONG_CLAIM} It works for everyone who tries it.</p>
<p>Our formula {_escape(STYLE_BREAKER)} is a miracle cure that eliminates joint pain for good.</p>
<p>Read the guide {_escape(ATTRIBUTE_BREAKER)} before you order, because nothing else works as well.</p>
<p>Bell{TERMINAL_ESCAPES}ringing results: this capsule\x07 rebuilds cartilage in days.\x1b[31m Guaranteed.\x1b[0m</p>
<p>See these pages for more: {links}and our <a href="http://{TRACKER_HOST}/offer">offer page</a>.</p>
<p>The capsules are 100% natural and have no side effects <a href="{_escape(ATTRIBUTE_BREAKER)}">at all</a>.</p>
<p>Ingredients <img src="http://{TRACKER_HOST}/pixel.gif" alt=""> include turmeric and ginger.</p>
<script>{SET_ATTR}</script>
<p onmouseover="{_escape(SET_TITLE)}">Buy now and save 40% on your first order.</p>
<p>A small pilot trial found less stiffness after eight weeks [1].</p>
<h2>References</h2>
<ol class="references">
<li id="ref1">Quinn, A. (2020). Turmeric {_escape(ATTRIBUTE_BREAKER)} for stiff joints {_escape(STYLE_BREAKER)}.
Journal of Joint Research, 4(2), 10-19. doi:{REFERENCE_DOI} <a href="{_escape(JAVASCRIPT_URL)}">full text</a></li>
<li id="ref2">Vale, B. (2019). Ginger and pain. Bell{TERMINAL_ESCAPES} Review, 2, 1-5.</li>
</ol>
</article>
</body></html>
"""


def huge_hostile_html(units: int = 20_000) -> str:
    """A page of ``units`` short paragraphs, one sentence each, with payloads sprinkled through them."""
    templates = (
        "Step {i}: this tea cures {i} kinds of pain and is completely safe.",
        "Note {i} mentions turmeric {breaker} in passing.",
        "Item {i} is about ginger and {style} lemon.",
        "Entry {i} was written by a reader.",
    )
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Many notes</title></head><body><article>"]
    for i in range(units):
        text = templates[i % len(templates)].format(i=i, breaker=_escape(ATTRIBUTE_BREAKER), style=_escape(STYLE_BREAKER))
        parts.append(f"<p>{text}</p>")
    parts.append("</article></body></html>")
    return "\n".join(parts)
