"""Text from pages and servers made safe to show on a terminal.

Page text, titles, URLs, HTTP reason phrases and error messages are hostile input: an escape
sequence in them could clear the screen, set the window title or plant a hidden hyperlink, and
rich markup in them would be interpreted. Every such string goes through ``clean`` before it
reaches a console, and is printed as a ``rich.text.Text`` (``text``), never as markup.

``clean`` removes:

- escape sequences whole: CSI (``ESC [`` ... final byte), OSC (``ESC ]`` ... terminated by BEL or
  ST), DCS, SOS, PM and APC strings (terminated by ST), and the other two- or three-character
  ``ESC`` sequences; the same sequences introduced by their 8-bit C1 forms (U+009B CSI,
  U+009D OSC, U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC);
- every other C0 control (U+0000 to U+001F), DEL (U+007F) and C1 control (U+0080 to U+009F).

An escape sequence without its terminator loses only its introducer; what followed is shown as
plain text. Newline and tab are kept with ``newlines=True`` (text shown over several lines) and
otherwise become a space. JSON output keeps the original text: only what is shown is cleaned.
"""

from __future__ import annotations

import re

_PAYLOAD = r"[^\x00-\x1f\x7f-\x9f]*"  # printable: a string sequence never runs past another control
_ST = r"(?:\x1b\\|\x9c)"
_UNSAFE = re.compile(
    rf"(?:\x1b\]|\x9d){_PAYLOAD}(?:\x07|{_ST})"  # OSC, ended by BEL or ST
    rf"|(?:\x1b[P^_X]|[\x90\x98\x9e\x9f]){_PAYLOAD}{_ST}"  # DCS, PM, APC, SOS, ended by ST
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI with its parameters and final byte
    r"|\x1b[ -/]*[0-~]"  # the other escape sequences (charset, keypad, reset...)
    r"|[\x00-\x1f\x7f-\x9f]"  # any other control character, a lone ESC included
)


def _replacement(match: re.Match[str], newlines: bool) -> str:
    char = match.group()
    if char in "\n\t":
        return char if newlines else " "
    return ""


def clean(text: object, *, newlines: bool = False) -> str:
    """``text`` without control characters or escape sequences (None is the empty string)."""
    if text is None:
        return ""
    return _UNSAFE.sub(lambda m: _replacement(m, newlines), str(text))


def clean_with_offsets(text: str, *, newlines: bool = False) -> tuple[str, list[int]]:
    """``clean(text)`` and, for every offset 0..len(text) in ``text``, the offset in the cleaned text.

    Offsets inside a removed sequence map to where it was, so a span of the original text
    (a wording cue) can be styled on the cleaned one.
    """
    parts: list[str] = []
    offsets: list[int] = []
    done = 0  # characters of text consumed
    size = 0  # characters of output so far
    for match in _UNSAFE.finditer(text):
        kept = text[done : match.start()]
        parts.append(kept)
        offsets.extend(range(size, size + len(kept)))
        size += len(kept)
        new = _replacement(match, newlines)
        offsets.extend([size] * (match.end() - match.start()))
        parts.append(new)
        size += len(new)
        done = match.end()
    rest = text[done:]
    parts.append(rest)
    offsets.extend(range(size, size + len(rest) + 1))
    return "".join(parts), offsets


def text(value: object, style: str = "", *, newlines: bool = False):
    """``value`` cleaned, as a rich Text: shown literally, rich markup in it is not interpreted."""
    from rich.text import Text

    return Text(clean(value, newlines=newlines), style=style)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell without control characters that a spreadsheet shows as text and never runs as a formula.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading apostrophe.
    """
    if not isinstance(value, str):
        return value
    value = clean(value, newlines=True)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
