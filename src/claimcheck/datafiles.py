"""Load the packaged data files (lexicons, rules, link hosts) and check them against their schema."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import DataFileError


def load(name: str, path: Path | None = None) -> dict[str, Any]:
    """Read a JSON data file: a user's ``path`` or the packaged ``claimcheck/data/<name>``."""
    where = str(path) if path else f"claimcheck/data/{name}"
    try:
        raw = path.read_text(encoding="utf-8") if path else resources.files("claimcheck").joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read ({exc.strerror or exc})", where) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}", where) from None
    if not isinstance(data, dict):
        raise DataFileError("expected a JSON object at the top level", where)
    return data


def check_keys(entry: dict, where: str, required: set[str], optional: set[str] = frozenset()) -> None:
    """Reject an entry with unknown or missing keys, naming the file, the entry and the allowed keys."""
    if not isinstance(entry, dict):
        raise DataFileError(f"expected an object, got {type(entry).__name__}", where)
    unknown = set(entry) - required - set(optional)
    if unknown:
        raise DataFileError(f"unknown keys {sorted(unknown)}; expected: {sorted(required | set(optional))}", where)
    missing = required - set(entry)
    if missing:
        raise DataFileError(f"missing keys {sorted(missing)}", where)


def check_choice(value: Any, allowed: tuple[str, ...], where: str, key: str) -> None:
    """Reject a value outside its allowed set."""
    if value not in allowed:
        raise DataFileError(f"{key} must be one of {list(allowed)}, instead got {value!r}", where)


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> str:
    """The regular expression for one lexicon phrase: whole words, spaces also match hyphens."""
    if phrase.startswith("re:"):
        return phrase[3:]
    words = [re.escape(w) for w in re.split(r"[\s\-]+", phrase.strip())]
    body = r"[\s\-]+".join(words)
    start = r"\b" if re.match(r"\w", phrase) else r"(?<!\w)"
    end = r"\b" if re.search(r"\w$", phrase) else r"(?!\w)"
    return start + body + end


def compile_phrases(phrases: list[str], where: str) -> re.Pattern[str]:
    """One case-insensitive pattern for a list of phrases; the longest phrase wins at a position.

    Literal phrases are merged into a trie so that matching costs about one pass over the text
    whatever the length of the list; ``re:`` entries are tried first, as written.
    """
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise DataFileError("phrases must be a list of non-empty strings", where)
    regexes = sorted({p for p in phrases if p.startswith("re:")}, key=len, reverse=True)
    for p in regexes:
        try:
            re.compile(phrase_pattern(p))
        except re.error as exc:
            raise DataFileError(f"bad pattern {p!r}: {exc}", where) from None
    literals = [p for p in phrases if not p.startswith("re:")]
    parts = [f"(?:{phrase_pattern(p)})" for p in regexes]
    if literals:
        parts.append(r"(?<!\w)(?:" + _trie_pattern(literals) + r")(?!\w)")
    return re.compile("|".join(parts), re.I)


_GAP = object()  # a space or hyphen between words


def _trie_pattern(phrases: list[str]) -> str:
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for token in _tokens(phrase.strip().lower()):
            node = node.setdefault(token, {})
        node[""] = {}
    return _render(trie)


def _tokens(phrase: str) -> list:
    out: list = []
    for ch in phrase:
        if ch in " -":
            if out and out[-1] is not _GAP:
                out.append(_GAP)
        else:
            out.append(ch)
    return out


def _render(node: dict) -> str:
    ends = "" in node
    branches = []
    for key in sorted((k for k in node if k != ""), key=lambda k: (k is _GAP, str(k))):
        head = r"[\s\-]+" if key is _GAP else re.escape(key)
        branches.append(head + _render(node[key]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return f"(?:{body})?" if len(branches) > 1 else f"(?:{body})?"
    return body
