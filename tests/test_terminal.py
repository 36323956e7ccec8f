"""Page text shown on a terminal: no control characters or escape sequences, no rich markup."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from claimcheck.terminal import clean, clean_with_offsets, text

OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
OSC8_LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\x9b31m"
LINK_MARKUP = "[link=http://evil.example]x[/link]"
STYLE_MARKUP = "[bold red]"
HOSTILE = f"{OSC_TITLE}{CLEAR}{OSC8_LINK} {C1_CSI} {LINK_MARKUP} {STYLE_MARKUP}"

CONTROLS = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}


@pytest.mark.parametrize(
    ("raw", "single_line", "multi_line"),
    [
        ("plain text stays", "plain text stays", "plain text stays"),
        ("", "", ""),
        (None, "", ""),
        (
            "caf\u00e9 \u2014 \u201cquoted\u201d \u4e2d\u6587 \U0001f600",
            "caf\u00e9 \u2014 \u201cquoted\u201d \u4e2d\u6587 \U0001f600",
            None,
        ),
        ("a\nb\tc", "a b c", "a\nb\tc"),
        ("a\r\nb", "a b", "a\nb"),
        ("over\rwrite", "overwrite", None),
        ("bell\x07 nul\x00 bs\x08 del\x7f", "bell nul bs del", None),
        (f"title{OSC_TITLE}!", "title!", None),
        ("title\x1b]2;pwned\x1b\\!", "title!", None),  # OSC ended by ST
        ("title\x9d0;pwned\x9c!", "title!", None),  # 8-bit OSC and ST
        (f"{CLEAR}cleared", "cleared", None),
        ("\x1b[1;31mred\x1b[0m", "red", None),
        ("\x1b[?1049h\x1b[?25lhidden", "hidden", None),
        (f"a {OSC8_LINK} b", "a click b", None),
        (f"{C1_CSI}red", "red", None),
        ("\x85next\x9fline\x80", "nextline", None),  # lone C1 controls
        ("\x1bcreset \x1b(0charset \x1b7saved", "reset charset saved", None),
        ("\x1bP1$rpayload\x1b\\dcs", "dcs", None),  # DCS string
        ("\x1b_apc payload\x1b\\ok", "ok", None),  # APC string
        ("lone escape\x1b", "lone escape", None),
        ("\x1b]0;unterminated title", "0;unterminated title", None),  # introducer goes, the rest is text
        ("\x1b]0;cut\nshort", "0;cut short", "0;cut\nshort"),  # an OSC never spans a control character
        ("\x1b[31", "31", None),  # a CSI without its final byte
        (LINK_MARKUP, LINK_MARKUP, LINK_MARKUP),  # markup is not the sanitiser's business: it is shown as Text
    ],
)
def test_clean_table(raw, single_line, multi_line):
    assert clean(raw) == single_line
    assert clean(raw, newlines=True) == (single_line if multi_line is None else multi_line)


def test_clean_leaves_no_control_character_in_any_mix():
    samples = [HOSTILE, "".join(chr(c) for c in range(0xA0)) * 3, "\x1b" * 50 + "]" * 50, "\x9d" * 1000 + "x"]
    for sample in samples:
        for newlines in (False, True):
            allowed = {"\n", "\t"} if newlines else set()
            assert not (set(clean(sample, newlines=newlines)) & (CONTROLS - allowed))


def test_offsets_map_spans_onto_the_cleaned_text():
    raw = f"{OSC_TITLE}Turmeric {CLEAR}cures{C1_CSI} pain"
    shown, offsets = clean_with_offsets(raw)
    assert shown == clean(raw) == "Turmeric cures pain"
    assert len(offsets) == len(raw) + 1
    start = raw.index("cures")
    assert shown[offsets[start] : offsets[start + len("cures")]] == "cures"
    assert offsets[0] == 0 and offsets[-1] == len(shown)
    assert offsets == sorted(offsets)
    multi, multi_offsets = clean_with_offsets("a\x1b[1mb\nc", newlines=True)
    assert multi == "ab\nc" and multi_offsets == [0, 1, 1, 1, 1, 1, 2, 3, 4]


def test_text_is_not_markup():
    shown = text(f"{LINK_MARKUP} {STYLE_MARKUP}\x1b[2J", "bold")
    assert shown.plain == f"{LINK_MARKUP} {STYLE_MARKUP}"
    assert not shown.spans and str(shown.style) == "bold"


def hostile_page() -> str:
    sentences = [
        f"Our tincture cures arthritis in every patient {HOSTILE} and has no side effects at all.",
        "Book a free consultation with our team to find out whether this approach suits you.",
        "Our clinic has served the community for more than fifteen years.",
        f"Turmeric is a safe and effective treatment for joint pain {HOSTILE}.",
        "Every treatment plan starts with a full review of your medical history.",
        f"Some say {HOSTILE} that magnesium may help a little with sleep.",
    ]
    body = "".join(f"<p>{s}</p>" for s in sentences)
    return f"<html lang='en'><head><meta charset='utf-8'><title>Cure guide {HOSTILE}</title></head><body><main>{body}</main></body></html>"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "claimcheck", *args], capture_output=True, timeout=120, env=env)


def assert_terminal_safe(output: bytes) -> str:
    assert b"\x1b" not in output and b"\x07" not in output
    shown = output.decode("utf-8")
    assert not (set(shown) & (CONTROLS - {"\n"})), [c for c in shown if c in CONTROLS and c != "\n"]
    return shown


def test_text_view_shows_hostile_page_text_inert(tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(hostile_page(), encoding="utf-8")
    out = run(str(page))
    assert out.returncode == 0, out.stderr
    shown = assert_terminal_safe(out.stdout)
    assert "flagged claim" in shown and shown.startswith("Cure guide")
    assert LINK_MARKUP in shown and STYLE_MARKUP in shown  # markup shown as text, not swallowed
    assert shown.count(LINK_MARKUP) >= 3  # title and sentences
    data = json.loads(run("--format", "json", str(page)).stdout)
    assert all(LINK_MARKUP in s["text"] for s in data["sentences"] if "arthritis" in s["text"] or "Turmeric" in s["text"])


def test_render_text_cleans_every_field_and_json_keeps_them(example_report):
    from rich.console import Console

    from claimcheck.report import render_text, to_dict

    flagged = next(s for s in example_report.sentences if s.flagged)
    shift = len(HOSTILE)
    cues = tuple(replace(c, start=c.start + shift, end=c.end + shift) for c in flagged.wording.cues)
    hostile_sentence = replace(
        flagged,
        text=HOSTILE + flagged.text,
        wording=replace(flagged.wording, cues=cues),
        findings=tuple(replace(f, message=f"{f.message} {HOSTILE}") for f in flagged.findings),
    )
    other = next(s for s in example_report.sentences if not s.flagged)
    quoting = replace(flagged.findings[0], message=f"quoting {HOSTILE}", sentence=other.index)
    hostile_other = replace(other, text=f"{other.text} {HOSTILE}", findings=(*other.findings, quoting))
    sentences = tuple(hostile_sentence if s is flagged else hostile_other if s is other else s for s in example_report.sentences)
    report = replace(
        example_report,
        title=f"Title {HOSTILE}",
        source=f"page{OSC_TITLE}.html",
        notices=(f"notice {HOSTILE}",),
        sentences=sentences,
        findings=tuple(replace(f, message=f"{f.message} {HOSTILE}") for f in example_report.findings),
    )
    buffer = io.StringIO()
    render_text(report, Console(file=buffer, width=250, highlight=False))
    shown = assert_terminal_safe(buffer.getvalue().encode("utf-8"))
    expected = f"click  {LINK_MARKUP} {STYLE_MARKUP}"  # each escape sequence gone whole, the link's text kept
    assert clean(HOSTILE) == expected
    assert shown.splitlines()[0] == f"Title {expected}"
    assert shown.splitlines()[1] == "page.html"
    assert f"note: notice {expected}" in shown
    assert shown.count(LINK_MARKUP) >= 3 + len(example_report.findings)
    assert clean(hostile_sentence.text)[:40] in shown and clean(hostile_other.text)[-40:] in shown
    data = to_dict(report)  # the JSON object keeps every field as the page gave it
    assert data["title"] == f"Title {HOSTILE}" and data["source"] == f"page{OSC_TITLE}.html"
    assert data["notices"] == [f"notice {HOSTILE}"]
    assert any(s["text"] == HOSTILE + flagged.text for s in data["sentences"])


def test_error_lines_on_stderr_are_cleaned(tmp_path):
    missing = tmp_path / f"{OSC_TITLE}{CLEAR}missing{C1_CSI}.html"
    out = run(str(missing))
    assert out.returncode == 2
    assert_terminal_safe(out.stderr)
    assert out.stderr.decode().strip() == f"claimcheck: {tmp_path / 'missing.html'}: no such file"
