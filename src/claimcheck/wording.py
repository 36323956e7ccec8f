"""Rate how strongly each unit is worded (strong, moderate, hedged) and keep the words that decided it.

The lexicon is ``data/wording.json``. A hedge lowers the strength only when it governs the claim:
a hedge inside a relative clause, a parenthesis or a subordinate clause ("X, which may calm
inflammation, is safe") leaves the main clause's strong words in force. A strong word after a
negator in its own clause ("not a cure") is a denial, which hedges. A distancing cue ("touted as",
"Myth:") governs the rest of the sentence up to a contrast, and a hedge after a framing cue ("research
shows X may help") governs the claim that the frame introduces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .datafiles import check_choice, check_keys, compile_phrases, load, phrase_pattern
from .errors import DataFileError
from .records import Cue, Unit, Wording
from .vocabulary import TYPES

EFFECTS = ("strong", "hedged", "none")
_CLAUSE_BREAK = re.compile(r";|\s[\u2013\u2014-]\s|\u2014|\bbut\b|\bhowever\b|\byet\b|:\s", re.I)
_QUOTE = re.compile(r"[\"\u201c\u201d\u2018\u2019']")
_WORD = re.compile(r"[A-Za-z\u2019']+")
_GAP = re.compile(r"[\s\-]+")
_CONTRAST = re.compile(r";|\bbut\b|\bhowever\b|\byet\b|\binstead\b", re.I)
_NOT_ONLY = re.compile(r"\bnot (?:only|just|merely|simply)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_ANSWER_WORDS = frozenset({"yes", "yeah", "yep", "oh", "and", "so", "well", "indeed", "of", "course", "sure"})


@dataclass(frozen=True)
class Lexicon:
    """The compiled wording lexicon."""

    categories: tuple[tuple[str, str, bool, re.Pattern[str]], ...]
    effects: dict[str, str]  # cue kind -> strong | hedged | none
    literals: re.Pattern[str]  # every literal phrase of every category, in one pattern
    literal_kinds: dict[str, tuple[str, bool]]  # normalised phrase -> (category, negatable)
    regexes: tuple[tuple[str, bool, tuple[str, ...], re.Pattern[str]], ...]  # category, negatable, gate, pattern
    widening: frozenset[str]  # hedged categories that govern the rest of the sentence
    frames: frozenset[str]  # strong categories that introduce a claim ("research shows ...")
    negator: re.Pattern[str]
    opener: re.Pattern[str]
    first_person: frozenset[str]
    benefit_words: frozenset[str]
    boosters: frozenset[str]  # strong categories of bare certainty words ("absolutely"), which make no claim on their own
    implies: dict[str, str] = field(default_factory=dict)  # cue kind -> the claim type a claim worded with it makes


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read and validate the wording lexicon (the packaged one unless ``path`` is given)."""
    name = "wording.json"
    data = load(name, path)
    where = str(path or f"claimcheck/data/{name}")
    check_keys(data, where, {"version", "categories", "negators", "clause_openers", "testimonial"}, {"description"})
    categories = []
    literal_kinds: dict[str, tuple[str, bool]] = {}
    regexes = []
    for cat, entry in data["categories"].items():
        here = f"{where}: categories.{cat}"
        check_keys(entry, here, {"effect", "phrases"}, {"negatable", "description", "scope", "frame", "booster", "implies"})
        check_choice(entry["effect"], EFFECTS, here, "effect")
        if "implies" in entry:
            check_choice(entry["implies"], TYPES, here, "implies")
        check_choice(entry.get("scope", "clause"), ("clause", "sentence"), here, "scope")
        negatable = bool(entry.get("negatable", False))
        categories.append((cat, entry["effect"], negatable, compile_phrases(entry["phrases"], here)))
        for phrase in entry["phrases"]:
            if phrase.startswith("re:"):
                pattern = re.compile(phrase_pattern(phrase), re.I)
                regexes.append((cat, negatable, _gate(pattern.pattern), pattern))
            else:
                key = _normal(phrase)
                if key in literal_kinds:
                    raise DataFileError(
                        f"categories.{cat}: phrase {phrase!r} is already listed in categories.{literal_kinds[key][0]}", where
                    )
                literal_kinds[key] = (cat, negatable)
    testimonial = data["testimonial"]
    check_keys(testimonial, f"{where}: testimonial", {"first_person", "benefit_words"})
    effects = {cat: effect for cat, effect, _, _ in categories}
    effects.update({"denial": "hedged", "testimonial": "strong"})
    return Lexicon(
        categories=tuple(categories),
        effects=effects,
        literals=compile_phrases(list(literal_kinds), f"{where}: categories"),
        literal_kinds=literal_kinds,
        regexes=tuple(regexes),
        widening=frozenset(c for c, e in data["categories"].items() if e.get("scope") == "sentence"),
        frames=frozenset(c for c, e in data["categories"].items() if e.get("frame")),
        negator=compile_phrases(data["negators"], f"{where}: negators"),
        opener=compile_phrases(data["clause_openers"], f"{where}: clause_openers"),
        first_person=frozenset(w.lower() for w in testimonial["first_person"]),
        benefit_words=frozenset(w.lower() for w in testimonial["benefit_words"]),
        boosters=frozenset(c for c, e in data["categories"].items() if e.get("booster")),
        implies={c: e["implies"] for c, e in data["categories"].items() if "implies" in e},
    )


def find_cues(text: str, lexicon: Lexicon | None = None) -> list[Cue]:
    """Every wording cue in a text, longest match first where they overlap."""
    lexicon = lexicon or load_lexicon()
    found: list[Cue] = []
    lowered = text.lower()

    def add(m: re.Match[str], cat: str, negatable: bool) -> None:
        kind = "denial" if negatable and _negated(text, m.start(), lexicon) else cat
        found.append(Cue(m.start(), m.end(), m.group(0), kind, "wording"))

    for m in lexicon.literals.finditer(text):
        entry = lexicon.literal_kinds.get(_normal(m.group(0)))
        if entry is not None:
            add(m, *entry)
    for cat, negatable, gate, pattern in lexicon.regexes:
        # a regular expression runs only where one of the words it needs occurs
        if gate and not any(g in lowered for g in gate):
            continue
        for m in pattern.finditer(text):
            add(m, cat, negatable)
    if _is_testimonial(text, lexicon):
        found.append(Cue(0, len(text), text, "testimonial", "wording"))
    # keep the longest cue where cues overlap (e.g. "clinically proven" over "proven")
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Cue] = []
    for cue in found:
        if cue.kind == "testimonial" or not any(k.start <= cue.start < k.end and k.kind != "testimonial" for k in kept):
            kept.append(cue)
    return kept


def rate(unit: Unit, lexicon: Lexicon | None = None) -> Wording:
    """The wording of one unit by the lexicon rules, computed for every unit whether or not it makes a claim."""
    lexicon = lexicon or load_lexicon()
    text = unit.text
    cues = find_cues(text, lexicon)
    effects = lexicon.effects
    strong = [c for c in cues if effects.get(c.kind) == "strong"]
    hedges = [c for c in cues if effects.get(c.kind) == "hedged"]
    scopes = [_wide_scope(text, h) if h.kind in lexicon.widening else _scope(text, h, lexicon) for h in hedges]
    governing = [h for h, (lo, hi) in zip(hedges, scopes) if not _subordinate(text, h, lexicon)]
    asked = _question_start(text)
    free_strong = [
        s
        for s in strong
        if s.start < asked and not any(lo <= s.start <= hi for lo, hi in scopes) and not _framed_hedge(text, s, governing, lexicon)
    ]
    if free_strong and _bare_answer(text, free_strong, lexicon):
        free_strong = []
    if free_strong:
        label = "strong"
    elif governing or (hedges and not strong):
        label = "hedged"
    else:
        label = "moderate"
    deciding = {"strong": free_strong, "hedged": hedges, "moderate": []}[label]
    kept = tuple(c for c in cues if c in deciding or c.kind == "pseudo_hedge")
    return Wording(label, kept, tuple(sorted({c.kind for c in cues})), tuple(cues))


def relabel(wording: Wording, label: str, lexicon: Lexicon | None = None) -> Wording:
    """The wording with another label (the strength model's), keeping the cues that support it."""
    if label == wording.label:
        return wording
    lexicon = lexicon or load_lexicon()
    kept = tuple(c for c in wording.found if lexicon.effects.get(c.kind) == label or c.kind == "pseudo_hedge")
    return Wording(label, kept, wording.kinds, wording.found)


def _question_start(text: str) -> int:
    """Where a closing question begins: a question asks about a claim rather than making it (the text's end if none)."""
    body = text.rstrip(" \t*_\"\u201d\u2019')")
    if not body.endswith("?"):
        return len(text)
    ends = [m.end() for m in _SENTENCE_END.finditer(body, 0, len(body) - 1)]
    return ends[-1] if ends else 0


def _bare_answer(text: str, strong: list[Cue], lexicon: Lexicon) -> bool:
    """Whether the unit is only a booster ("Absolutely!", "Yes, definitely."): it takes its claim from the question."""
    if any(c.kind not in lexicon.boosters for c in strong):
        return False
    rest = text
    for cue in sorted(strong, key=lambda c: -c.start):
        rest = rest[: cue.start] + " " + rest[cue.end :]
    return all(w.lower() in _ANSWER_WORDS for w in _WORD.findall(rest))


# letters that a case-insensitive pattern matches as i, s or k, but that lower() leaves apart
_FOLD = str.maketrans({"\u0131": "i", "\u0130": "i", "\u017f": "s", "\u212a": "k"})


def _normal(phrase: str) -> str:
    return _GAP.sub(" ", phrase.translate(_FOLD).strip().lower())


def _gate(pattern: str) -> tuple[str, ...]:
    """Literal strings one of which every match of ``pattern`` contains (empty when none can be told)."""
    from re import _parser  # the standard parser; only its parse tree is read

    try:
        tree = _parser.parse(pattern)
    except re.error:
        return ()
    best = _required(list(tree))
    return tuple(sorted(best)) if best and min(map(len, best)) >= 3 else ()


def _required(items: list) -> set[str] | None:
    """The best set of literal alternatives that a sequence of parsed items must contain."""
    from re import _constants as c

    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is c.LITERAL:
            run += chr(av).lower()
            continue
        if run:
            candidates.append({run})
            run = ""
        if op is c.SUBPATTERN:
            inner = _required(list(av[-1]))
        elif op is c.BRANCH:
            options = [_required(list(b)) for b in av[1]]
            inner = None if any(o is None for o in options) else set().union(*options)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            inner = _required(list(av[2]))
        else:
            inner = None
        if inner:
            candidates.append(inner)
    if run:
        candidates.append({run})
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)), default=None)


def _negated(text: str, start: int, lexicon: Lexicon) -> bool:
    window = text[max(0, start - 25) : start]
    window = re.split(r"[;:,.!?()\u2013\u2014]", window)[-1]  # a negator does not reach across a clause break
    words = " ".join(window.split()[-3:])
    if _NOT_ONLY.search(words):  # "not only safe but..." affirms
        return False
    return bool(lexicon.negator.search(words))


def _scope(text: str, hedge: Cue, lexicon: Lexicon) -> tuple[int, int]:
    """The span a hedge governs: the rest of its clause, or of its relative/parenthetical clause."""
    end = len(text)
    region = _enclosing_region(text, hedge.start, lexicon)
    if region:
        return hedge.start, region[1]
    brk = _CLAUSE_BREAK.search(text, hedge.end)
    if brk:
        end = brk.start()
    return hedge.start, end


def _framed_hedge(text: str, cue: Cue, governing: list[Cue], lexicon: Lexicon) -> bool:
    """Whether a framing cue ("studies show") introduces a claim that a later hedge in its clause governs."""
    if cue.kind not in lexicon.frames:
        return False
    return any(h.start >= cue.end and not _CLAUSE_BREAK.search(text, cue.end, h.start) for h in governing)


def _wide_scope(text: str, hedge: Cue) -> tuple[int, int]:
    """A distancing cue ("Myth:", "claims that") governs the rest of the sentence, up to a contrast ("but", ";")."""
    brk = _CONTRAST.search(text, hedge.end)
    return hedge.start, brk.start() if brk else len(text)


def _subordinate(text: str, hedge: Cue, lexicon: Lexicon) -> bool:
    """Whether a hedge sits inside a relative, parenthetical or subordinate clause, and a main clause follows."""
    region = _enclosing_region(text, hedge.start, lexicon)
    return bool(region) and len(text[region[1] :].strip(" .!?,")) > 8


def _enclosing_region(text: str, pos: int, lexicon: Lexicon) -> tuple[int, int] | None:
    # parenthesis
    open_paren = text.rfind("(", 0, pos)
    if open_paren != -1 and text.rfind(")", 0, pos) < open_paren:
        close = text.find(")", pos)
        return open_paren, close if close != -1 else len(text)
    # ", which ... ," / "Although ..., " style: the region runs from the opener to the next comma
    before = text[:pos]
    comma = before.rfind(",")
    clause_start = comma + 1 if comma != -1 else 0
    head = text[clause_start:pos].lstrip()
    opener = lexicon.opener.match(head)
    if opener:
        close = text.find(",", pos)
        if close != -1:
            return clause_start, close
    return None


def _is_testimonial(text: str, lexicon: Lexicon) -> bool:
    if not _QUOTE.search(text):
        return False
    # double quotes, or single quotes that open after a space (so apostrophes do not end a quote)
    quoted = re.findall(r"[\"\u201c]([^\"\u201c\u201d]{8,})[\"\u201d]", text)
    quoted += re.findall(r"(?:^|\s)[\u2018']([^\u2018]{8,}?)[\u2019'](?=\s|[.,!?]|$)", text)
    body = " ".join(quoted) if quoted else ""
    if not body:
        return False
    words = {w.lower().replace("\u2019", "'") for w in _WORD.findall(body)}
    return bool(words & lexicon.first_person) and bool(words & lexicon.benefit_words)
