"""Shared fixtures: paths to the bundled example and to the project's shared data (when present)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "clinic-blog.html"
SHARED = Path(os.environ.get("CLAIMCHECK_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seed" / "ldn-endometriosis-blog.txt"


def wrap_text_as_html(text: str, title: str) -> str:
    """A plain HTML page around scraped text: short unpunctuated lines become headings."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body><article>"]
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        tag = "h2" if len(line) < 80 and not line.endswith((".", ":", "?", "!")) and not line[0].isdigit() else "p"
        parts.append(f"<{tag}>{html.escape(line)}</{tag}>")
    parts.append("</article></body></html>")
    return "\n".join(parts)


@pytest.fixture(scope="session")
def seed_html() -> str:
    if not SEED.exists():
        pytest.skip(f"the seed page is not available at {SEED}")
    return wrap_text_as_html(SEED.read_text(encoding="utf-8"), "Low-dose naltrexone for endometriosis")


@pytest.fixture(scope="session")
def example_report():
    import claimcheck

    return claimcheck.check_file(EXAMPLE)
