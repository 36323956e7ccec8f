"""Which sources back which sentence, and whether they match what the sentence claims.

For every cited unit the sources it relies on are collected: reference-list entries reached through
markers or author-year citations, links to sources in the sentence or the neighbour that cites for
it, and identifiers in its text. Each source is read for what it is about (its title, journal and
URL words): the interventions and conditions it names, from the vocabulary in
``data/medical_terms.json``, and the kind of study, from ``data/source_levels.json``.

A cited claim is a *mismatch* (ANNOTATION.md section 4) when every source that can be judged:

- names conditions, none the same as, broader than or narrower than the claim's (``other_condition``);
- names interventions, none related to the claim's (``other_intervention``);
- is animal or in-vitro work while the claim is about people (``animal_for_human``);
- is a case report or anecdote while the claim is strongly worded (``weak_for_strong``).

A source that names nothing on a side cannot contradict the claim on that side, so no mismatch is
found then. The claim's intervention and condition come from the sentence, else from the sentences
before it in its paragraph, else from the page title, else from what the page names most (pronouns
such as "it" or "this therapy" are resolved that way). No rule here is written for a particular
drug or disease: the vocabulary holds the words, this module only compares them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .datafiles import check_keys, compile_phrases, load
from .errors import DataFileError
from .evidence import marker_numbers
from .records import MISMATCH_FLAGS, Cue, Document, Evidence, Identifier, Mismatch, Reference, Sources, Unit

KINDS = (*MISMATCH_FLAGS, "marker_without_entry", "author_year_without_entry")
LEVELS = ("animal", "in_vitro", "review", "rct", "cohort", "case_report")
NONHUMAN = ("animal", "in_vitro")
_STANDS_FOR_INTERVENTION = re.compile(
    r"\s*(?:it|they|this|these|the (?:drug|supplement|therapy|treatment|medication|medicine|remedy|herb|oil|diet|device|"
    r"procedure|product|formula|extract|capsules?|tablets?))\b",
    re.I,
)


# -- the vocabulary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermList:
    """One list of the vocabulary (interventions or conditions), compiled."""

    names: frozenset[str]
    ancestors: dict[str, frozenset[str]]  # name -> every broader name, transitively
    roots: frozenset[str]  # names with nothing broader
    folded: dict[str, str]  # lower-case names and aliases (words joined by one space) -> name
    cased: dict[str, str]  # aliases with capitals (abbreviations), matched with their case -> name
    longest: int  # the most words in an alias
    starts: frozenset[str]  # the first word of every alias (folded ones folded)

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(name, start, end) of every term in ``text``, the longest at a position, left to right.

        Text and aliases are compared word by word (a space or a hyphen separates words; a trailing
        plural s or es is allowed), so the cost is a few dictionary lookups per word.
        """
        words: list[tuple[str, int]] = []
        for m in _WORD.finditer(text):
            word = m.group(0).strip(_EDGE)
            if word:
                words.append((word, m.start() + m.group(0).find(word)))
        folded = [w.casefold().replace("\u2019", "'") for w, _ in words]
        starts = self.starts
        found: list[tuple[str, int, int]] = []
        i = 0
        while i < len(words):
            first, low = words[i][0], folded[i]
            if not (
                low in starts
                or first in starts
                or (low.endswith("s") and (low[:-1] in starts or low[:-2] in starts or first[:-1] in starts))
            ):
                i += 1
                continue
            for n in range(min(self.longest, len(words) - i), 0, -1):
                phrase = " ".join(folded[i : i + n])
                plural = phrase[-1:] == "s"
                name = self.folded.get(phrase)
                if name is None and plural:
                    name = next((self.folded[k] for k in _singulars(phrase) if k in self.folded), None)
                if name is None:
                    written = " ".join(w for w, _ in words[i : i + n])
                    name = self.cased.get(written)
                    if name is None and plural:
                        name = next((self.cased[k] for k in _singulars(written) if k in self.cased), None)
                if name:
                    last, at = words[i + n - 1]
                    found.append((name, words[i][1], at + len(last)))
                    i += n
                    break
            else:
                i += 1
        return found

    def related(self, a: str, b: str) -> bool:
        """Whether one term is the other, or broader than it."""
        return a == b or a in self.ancestors.get(b, ()) or b in self.ancestors.get(a, ())

    def decisive(self, named: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """The named terms that can set a source apart: not the most general ones (roots such as "pain")."""
        return tuple((n, said) for n, said in named if n not in self.roots)

    def specific(self, names: set[str]) -> set[str]:
        """The names without those that only cover the others (roots, or broader than another named term)."""
        narrow = {n for n in names if not any(n in self.ancestors.get(m, ()) for m in names if m != n)}
        non_root = {n for n in narrow if n not in self.roots}
        return non_root or narrow


@dataclass(frozen=True)
class Vocabulary:
    """Interventions, conditions, study levels and the words of claims about animals or cells."""

    interventions: TermList
    conditions: TermList
    levels: tuple[tuple[str, re.Pattern[str]], ...]
    nonhuman_claim: re.Pattern[str]

    def level(self, text: str) -> str | None:
        """The kind of study a source's words describe, or None."""
        for name, pattern in self.levels:
            if pattern.search(text):
                return name
        return None


def _fold(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.casefold().replace("\u2019", "'")).strip()


def _singulars(text: str) -> tuple[str, ...]:
    """The forms ``text`` may have without a plural ending ("vaccines" -> "vaccine", "vaccin")."""
    return tuple(text[: -len(suffix)] for suffix in ("s", "es") if text.endswith(suffix) and len(text) > len(suffix) + 2)


_WORD = re.compile(r"[^\s\-\u2010-\u2014]+")
_EDGE = ".,;:!?()[]{}\"'\u201c\u201d\u2018\u2019*"


def _words(alias: str, fold: bool) -> str:
    """An alias as the words :meth:`TermList.find` compares (edge punctuation off, one space between)."""
    words = (w.strip(_EDGE) for w in _WORD.findall(alias))
    phrase = " ".join(w for w in words if w)
    return _fold(phrase) if fold else phrase


def _term_list(entries: object, where: str) -> TermList:
    if not isinstance(entries, list) or not entries:
        raise DataFileError("expected a non-empty list of terms", where)
    names: dict[str, tuple[str, ...]] = {}
    canonical: dict[str, str] = {}
    folded: list[str] = []
    cased: list[str] = []
    for n, entry in enumerate(entries):
        here = f"{where}[{n}]"
        check_keys(entry, here, {"name", "aliases", "broader"})
        name, aliases, broader = entry["name"], entry["aliases"], entry["broader"]
        if not isinstance(name, str) or not name.strip() or name != name.lower():
            raise DataFileError(f"name must be a non-empty lower-case string, got {name!r}", here)
        if name in names:
            raise DataFileError(f"duplicate name {name!r}", here)
        for key, value in (("aliases", aliases), ("broader", broader)):
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise DataFileError(f"{key} must be a list of non-empty strings", here)
        names[name] = tuple(broader)
        for alias in (name, *aliases):
            has_capitals = alias != alias.lower()
            key = alias.strip() if has_capitals else _fold(alias)
            if canonical.get(key, name) != name:
                raise DataFileError(f"{alias!r} names both {canonical[key]!r} and {name!r}", here)
            canonical[key] = name
            (cased if has_capitals else folded).append(alias)
    ancestors: dict[str, frozenset[str]] = {}

    def up(name: str, path: tuple[str, ...]) -> frozenset[str]:
        if name in ancestors:
            return ancestors[name]
        if name in path:
            raise DataFileError(f"the broader terms of {name!r} loop back to it ({' > '.join((*path, name))})", where)
        found: set[str] = set()
        for parent in names[name]:
            if parent not in names:
                raise DataFileError(f"{name!r} has the broader term {parent!r}, which is not defined", where)
            found |= {parent, *up(parent, (*path, name))}
        ancestors[name] = frozenset(found)
        return ancestors[name]

    for name in names:
        up(name, ())
    roots = frozenset(n for n, parents in names.items() if not parents)
    folded_keys = {_words(a, fold=True): canonical[_fold(a)] for a in folded}
    cased_keys = {_words(a, fold=False): canonical[a.strip()] for a in cased}
    longest = max(len(k.split()) for k in (*folded_keys, *cased_keys))
    starts = frozenset(k.split()[0] for k in (*folded_keys, *cased_keys))
    return TermList(frozenset(names), ancestors, roots, folded_keys, cased_keys, longest, starts)


@lru_cache(maxsize=4)
def load_vocabulary(terms: Path | None = None, levels: Path | None = None) -> Vocabulary:
    """Read and validate ``medical_terms.json`` and ``source_levels.json`` (the packaged ones by default)."""
    data = load("medical_terms.json", terms)
    where = str(terms or "claimcheck/data/medical_terms.json")
    check_keys(data, where, {"version", "interventions", "conditions"}, {"description"})
    interventions = _term_list(data["interventions"], f"{where}: interventions")
    conditions = _term_list(data["conditions"], f"{where}: conditions")
    data = load("source_levels.json", levels)
    where = str(levels or "claimcheck/data/source_levels.json")
    check_keys(data, where, {"version", "levels", "nonhuman_claim"}, {"description"})
    if not isinstance(data["levels"], dict) or set(data["levels"]) - set(LEVELS):
        raise DataFileError(f"levels must be an object with keys from {list(LEVELS)}", where)
    compiled = tuple((name, compile_phrases(data["levels"][name], f"{where}: levels.{name}")) for name in data["levels"])
    nonhuman = compile_phrases(data["nonhuman_claim"], f"{where}: nonhuman_claim")
    return Vocabulary(interventions, conditions, compiled, nonhuman)


# -- what a source is about ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceProfile:
    """What one source is about, read from its words."""

    label: str  # "[3]" for a reference entry, else the URL or identifier
    text: str  # the words read
    interventions: tuple[tuple[str, str], ...]  # (name, words as written)
    conditions: tuple[tuple[str, str], ...]
    level: str | None


def _terms(terms: TermList, text: str) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((name, text[s:e]) for name, s, e in terms.find(text)))


def reference_profile(ref: Reference, vocabulary: Vocabulary) -> SourceProfile:
    """The profile of a reference-list entry, from its title and journal (or its whole text)."""
    text = " ".join(p for p in (ref.title, ref.journal) if p) or ref.text
    return _profile(f"[{ref.number}]", text, vocabulary)


def url_profile(url: str, vocabulary: Vocabulary) -> SourceProfile:
    """The profile of a linked source, from the words of its URL path."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        path = ""
    words = re.sub(r"[/_\-+.]+", " ", re.sub(r"\.(?:html?|php|aspx?|pdf)$", "", path))
    return _profile(url, words, vocabulary)


def _profile(label: str, text: str, vocabulary: Vocabulary) -> SourceProfile:
    return SourceProfile(label, text, _terms(vocabulary.interventions, text), _terms(vocabulary.conditions, text), vocabulary.level(text))


# -- sources of each unit -------------------------------------------------------------------------------


def unit_sources(units: Sequence[Unit], evidences: Sequence[Evidence], doc: Document) -> list[Sources]:
    """The sources each unit relies on: entry numbers, source URLs, identifiers and markers that reach no entry."""
    own_urls: list[tuple[str, ...]] = []
    for unit, evidence in zip(units, evidences):
        starts = {c.start for c in evidence.cues if c.kind.startswith("link:")}
        own_urls.append(tuple(dict.fromkeys(link.url for link in unit.links if link.start in starts)))
    known = {r.number for r in doc.references}
    out = []
    for i, (unit, evidence) in enumerate(zip(units, evidences)):
        urls = own_urls[i]
        if evidence.adjacent:
            for j in (i - 1, i + 1):
                if 0 <= j < len(units) and units[j].block == unit.block:
                    urls += own_urls[j]
        identifiers = tuple(Identifier(c.kind.split(":", 1)[1], c.text) for c in evidence.cues if c.kind.startswith("identifier:"))
        dangling = tuple(
            c.text for c in evidence.cues if c.kind == "marker" and known and not any(n in known for n in marker_numbers(c.text))
        )
        unmatched = tuple(c.text for c in evidence.cues if c.kind == "author_year" and not evidence.references)
        out.append(Sources(evidence.references, tuple(dict.fromkeys(urls)), identifiers, dangling, unmatched))
    return out


# -- the claim ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimTerms:
    """What a claim is about: names with the words that gave them, and where they came from."""

    interventions: tuple[tuple[str, str], ...]
    conditions: tuple[tuple[str, str], ...]
    from_context: tuple[str, ...]  # "intervention" and/or "condition" when resolved from elsewhere on the page
    human: bool


class PageTerms:
    """The terms of a page's units, read as they are needed, for resolving what a claim refers back to."""

    def __init__(self, units: Sequence[Unit], doc: Document, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.units = units
        self._own: dict[int, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {}
        title = doc.title or ""
        self.title = (_terms(vocabulary.interventions, title), _terms(vocabulary.conditions, title))

    def own(self, i: int) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """The interventions and conditions unit ``i`` names itself."""
        if i not in self._own:
            text = self.units[i].text
            self._own[i] = (_terms(self.vocabulary.interventions, text), _terms(self.vocabulary.conditions, text))
        return self._own[i]

    @cached_property
    def dominant(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """The intervention and the condition the page names most (at least twice), if any."""
        counts: list[Counter[str]] = [Counter(), Counter()]
        words: list[dict[str, str]] = [{}, {}]
        for i in range(len(self.units)):
            pair = self.own(i)
            for side in (0, 1):
                for name, said in pair[side]:
                    counts[side][name] += 1
                    words[side].setdefault(name, said)
        first, second = (tuple((name, words[side][name]) for name, n in counts[side].most_common(1) if n >= 2) for side in (0, 1))
        return first, second

    def claim(self, i: int) -> ClaimTerms:
        """The terms of unit ``i``'s claim, resolved from its paragraph, the title or the page when it names none."""
        resolved: list[tuple[tuple[str, str], ...]] = []
        context: list[str] = []
        for side, what in ((0, "intervention"), (1, "condition")):
            own = self.own(i)[side]
            terms = self.vocabulary.conditions if side else self.vocabulary.interventions
            found = own
            if not terms.decisive(own):  # nothing named, or only the most general terms ("the pain")
                found = next((c for c in self._context(i, side) if terms.decisive(c)), own)
                if found is not own:
                    context.append(what)
            resolved.append(found)
        human = not self.vocabulary.nonhuman_claim.search(self.units[i].text)
        return ClaimTerms(resolved[0], resolved[1], tuple(context), human)

    def _context(self, i: int, side: int) -> Iterator[tuple[tuple[str, str], ...]]:
        """What unit ``i`` may refer back to, nearest first: the units before it in its paragraph, the
        title, then what the page names most (read only when reached)."""
        for j in range(i - 1, max(-1, i - 4), -1):
            if self.units[j].block == self.units[i].block:
                yield self.own(j)[side]
        yield self.title[side]
        yield self.dominant[side]

    def states_effect(self, i: int) -> bool:
        """Whether unit ``i`` ties an intervention to a condition: it names a condition, and an
        intervention or a pronoun standing for one ("It eases anxiety"). A cited sentence of that
        kind claims an effect even where the classifier gave it no type (ANNOTATION.md section 1)."""
        interventions, conditions = self.own(i)
        if not conditions:
            return False
        return bool(self.vocabulary.interventions.decisive(interventions)) or bool(_STANDS_FOR_INTERVENTION.match(self.units[i].text))

    def subject(self) -> tuple[str, ...]:
        """The conditions the page is about (the most specific of its title's, else the one it names most)."""
        conditions = self.vocabulary.conditions
        named = conditions.decisive(self.title[1]) or conditions.decisive(self.dominant[1])
        names = conditions.specific({n for n, _ in named})
        return tuple(dict.fromkeys(n for n, _ in named if n in names))


# -- the decision ---------------------------------------------------------------------------------------


def mismatches(claim: ClaimTerms, strength: str | None, profiles: Sequence[SourceProfile], vocabulary: Vocabulary) -> tuple[Mismatch, ...]:
    """The ways the sources fail the claim; empty when any judged source matches or none can be judged."""
    if not profiles:
        return ()
    out: list[Mismatch] = []
    for kind, side, terms in (
        ("other_condition", "conditions", vocabulary.conditions),
        ("other_intervention", "interventions", vocabulary.interventions),
    ):
        claimed = dict(getattr(claim, side))
        if not claimed:
            continue
        names = terms.specific(set(claimed))
        sides = [terms.decisive(getattr(p, side)) for p in profiles]
        if not all(sides):
            continue  # a source that names nothing specific here cannot be said to differ
        if any(terms.related(a, b) for named in sides for a in names for b, _ in named):
            continue
        theirs = dict.fromkeys(said for named in sides for _, said in named)
        out.append(Mismatch(kind, ", ".join(claimed[n] for n in sorted(names)), ", ".join(theirs), tuple(p.label for p in profiles)))
    levels = [p.level for p in profiles]
    if claim.human and all(level in NONHUMAN for level in levels):
        words = ", ".join(dict.fromkeys(_level_words(p, vocabulary) for p in profiles))
        out.append(Mismatch("animal_for_human", "a claim about people", words, tuple(p.label for p in profiles)))
    if strength == "strong" and all(level == "case_report" for level in levels):
        words = ", ".join(dict.fromkeys(_level_words(p, vocabulary) for p in profiles))
        out.append(Mismatch("weak_for_strong", "strongly worded", words, tuple(p.label for p in profiles)))
    return tuple(out)


def _level_words(profile: SourceProfile, vocabulary: Vocabulary) -> str:
    for name, pattern in vocabulary.levels:
        if name == profile.level:
            m = pattern.search(profile.text)
            if m:
                return m.group(0)
    return profile.level or ""


def match_sources(
    doc: Document,
    units: Sequence[Unit],
    evidences: Sequence[Evidence],
    strengths: Sequence[str | None],
    types: Sequence[tuple[str, ...]],
    vocabulary: Vocabulary | None = None,
) -> tuple[list[Sources], list[tuple[Mismatch, ...]], tuple[str, ...]]:
    """The sources of every unit, the mismatches of every cited claim, and the page's subject conditions.

    A unit is judged when it has types, or when it ties an intervention to a condition itself
    (:meth:`PageTerms.states_effect`). The subject is read only when the page has a reference list.
    """
    vocabulary = vocabulary or load_vocabulary()
    sources = unit_sources(units, evidences, doc)
    by_number = {r.number: r for r in doc.references}
    page: PageTerms | None = None
    found: list[tuple[Mismatch, ...]] = []
    for i, src in enumerate(sources):
        extra = tuple(Mismatch("marker_without_entry", m, "no entry of the reference list", ()) for m in src.unresolved) + tuple(
            Mismatch("author_year_without_entry", m, "no entry of the reference list", ()) for m in src.unmatched
        )
        if evidences[i].label != "cited":
            found.append(extra if types[i] else ())
            continue
        profiles = [reference_profile(by_number[n], vocabulary) for n in src.references if n in by_number]
        profiles += [url_profile(u, vocabulary) for u in src.urls]
        page = page or PageTerms(units, doc, vocabulary)
        if not profiles or not (types[i] or page.states_effect(i)):
            found.append(extra if types[i] else ())
            continue
        found.append(mismatches(page.claim(i), strengths[i], profiles, vocabulary) + extra)
    subject = (page or PageTerms(units, doc, vocabulary)).subject() if doc.references else ()
    return sources, found, subject


def describe_references(references: Sequence[Reference], vocabulary: Vocabulary | None = None) -> tuple[Reference, ...]:
    """The entries with the interventions, conditions and kind of study their words name."""
    vocabulary = vocabulary or load_vocabulary()
    out = []
    for ref in references:
        profile = reference_profile(ref, vocabulary)
        out.append(
            replace(
                ref,
                interventions=tuple(dict.fromkeys(n for n, _ in profile.interventions)),
                conditions=tuple(dict.fromkeys(n for n, _ in profile.conditions)),
                level=profile.level,
            )
        )
    return tuple(out)


def references_off_subject(doc: Document, vocabulary: Vocabulary | None = None) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The reference entries about other conditions than the page's subject (``doc.subject``): number and conditions."""
    if not doc.subject or not doc.references:
        return ()
    conditions = (vocabulary or load_vocabulary()).conditions
    off = []
    for ref in doc.references:
        named = tuple(n for n in ref.conditions if n not in conditions.roots)
        if named and not any(conditions.related(a, b) for a in doc.subject for b in named):
            off.append((ref.number, named))
    return tuple(off)


def claim_spans(text: str, words: str) -> tuple[Cue, ...]:
    """The spans of ``text`` holding the claim-side words of a mismatch (none when they came from context)."""
    spans = []
    for word in (w.strip() for w in words.split(",")):
        at = text.find(word) if word else -1
        if at >= 0:
            spans.append(Cue(at, at + len(word), word, "mismatch", "rule"))
    return tuple(spans)
