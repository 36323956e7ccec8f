"""Turn labelled units into findings, by the rules in ``data/rules.json``.

Sentence rules test a unit's types, strength, evidence and wording cues; page rules bind a named
page check (below) to its severity and message. Each finding names its rule, severity, a message
and the spans of the words that triggered it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .datafiles import check_choice, check_keys, compile_phrases, load
from .errors import DataFileError
from .matching import KINDS, claim_spans
from .records import Cue, Document, Finding, SentenceResult
from .vocabulary import SEVERITIES

_PLACEHOLDERS = {"types", "strength", "evidence", "cues", "n", "claim_side", "source_side"}
_WHEN_KEYS = {"flagged", "cue", "types_any", "evidence_not", "evidence_in", "strength_in", "cue_has_object", "mismatch"}


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    name: str
    scope: str
    severity: str
    message: str
    when: dict
    check: str | None
    spans: str


@dataclass(frozen=True)
class RuleSet:
    """All rules with the phrase lists they use."""

    rules: tuple[Rule, ...]
    call_to_action: re.Pattern[str]
    object_stopwords: frozenset[str]


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> RuleSet:
    """Read and validate the rule file (the packaged one unless ``path`` is given)."""
    name = "rules.json"
    data = load(name, path)
    where = str(path or f"claimcheck/data/{name}")
    check_keys(data, where, {"version", "rules", "call_to_action", "object_stopwords"}, {"description"})
    rules = []
    seen: set[str] = set()
    for n, entry in enumerate(data["rules"]):
        here = f"{where}: rules[{n}]"
        check_keys(entry, here, {"id", "name", "scope", "severity", "message"}, {"when", "check", "spans"})
        check_choice(entry["scope"], ("sentence", "page"), here, "scope")
        check_choice(entry["severity"], SEVERITIES, here, "severity")
        if entry["id"] in seen:
            raise DataFileError(f"duplicate rule id {entry['id']!r}", here)
        seen.add(entry["id"])
        fields = {f for _, f, _, _ in string.Formatter().parse(entry["message"]) if f}
        if fields - _PLACEHOLDERS:
            raise DataFileError(f"message uses unknown fields {sorted(fields - _PLACEHOLDERS)}; allowed: {sorted(_PLACEHOLDERS)}", here)
        when = entry.get("when", {})
        if entry["scope"] == "sentence":
            check_keys(when, f"{here}.when", set(), _WHEN_KEYS)
            if "mismatch" in when:
                check_choice(when["mismatch"], KINDS, f"{here}.when", "mismatch")
        else:
            check_choice(entry.get("check"), tuple(PAGE_CHECKS), here, "check")
        rules.append(
            Rule(
                entry["id"],
                entry["name"],
                entry["scope"],
                entry["severity"],
                entry["message"],
                when,
                entry.get("check"),
                entry.get("spans", "cue"),
            )
        )
    return RuleSet(
        tuple(rules),
        compile_phrases(data["call_to_action"], f"{where}: call_to_action"),
        frozenset(data["object_stopwords"]),
    )


def sentence_findings(result: SentenceResult, ruleset: RuleSet | None = None) -> tuple[Finding, ...]:
    """The findings of one unit."""
    ruleset = ruleset or load_rules()
    out = []
    for rule in ruleset.rules:
        if rule.scope != "sentence":
            continue
        spans = _match(rule, result, ruleset)
        if spans is None:
            continue
        mismatch = next((m for m in result.mismatches if m.kind == rule.when.get("mismatch")), None)
        sides = {"claim_side": mismatch.claim, "source_side": mismatch.source} if mismatch else {}
        out.append(Finding(rule.id, rule.name, rule.severity, _message(rule.message, result, spans, sides=sides), spans, result.index))
    return tuple(out)


def _match(rule: Rule, r: SentenceResult, ruleset: RuleSet) -> tuple[Cue, ...] | None:
    when = rule.when
    if "flagged" in when and r.flagged != when["flagged"]:
        return None
    if "types_any" in when and not set(when["types_any"]) & set(r.types):
        return None
    if "evidence_not" in when and r.evidence.label in when["evidence_not"]:
        return None
    if "evidence_in" in when and r.evidence.label not in when["evidence_in"]:
        return None
    if "strength_in" in when and r.strength not in when["strength_in"]:
        return None
    if not r.types and "flagged" not in when:
        return None
    spans: tuple[Cue, ...] = tuple(r.wording.cues) if rule.spans == "wording" else ()
    if "mismatch" in when:
        found = [m for m in r.mismatches if m.kind == when["mismatch"]]
        if not found:
            return None
        if rule.spans == "mismatch":
            spans = claim_spans(r.text, found[0].claim)
    if "cue" in when:
        cues = tuple(c for c in r.wording.cues if c.kind == when["cue"])
        if when.get("cue_has_object"):
            cues = tuple(c for c in cues if _has_object(r.text, c, ruleset))
        if not cues:
            return None
        spans = cues
    return tuple(c for c in spans if c.kind != "pseudo_hedge")


def _has_object(text: str, cue: Cue, ruleset: RuleSet) -> bool:
    after = re.findall(r"[A-Za-z][A-Za-z'\-]+", text[cue.end : cue.end + 60])[:4]
    return any(w.lower() not in ruleset.object_stopwords and len(w) > 2 for w in after)


def _message(template: str, r: SentenceResult | None, spans: tuple[Cue, ...], n: int = 0, sides: dict | None = None) -> str:
    cues = ", ".join(f"\u201c{c.text}\u201d" for c in spans if c.kind != "testimonial") or "as a whole sentence"
    sides = {"claim_side": "", "source_side": "", **(sides or {})}
    if r is None:
        return template.format(types="", strength="", evidence="", cues=cues, n=n, **sides)
    types = " and ".join(r.types) if r.types else "no"
    evidence = _EVIDENCE_WORDS[r.evidence.label]
    return template.format(types=types, strength=r.strength or "", evidence=evidence, cues=cues, n=n, **sides)


_EVIDENCE_WORDS = {"cited": "a citation", "described": "evidence named only in words", "none": "no evidence given"}


# -- page checks: each returns None (no finding) or (n, spans) ----------------------------------------


def _references_without_identifiers(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    refs = doc.references
    if refs and not any(r.identifiers for r in refs):
        return len(refs), ()
    return None


def _references_never_cited(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    if doc.references and not any(r.evidence.references or r.evidence.label == "cited" for r in results):
        return len(doc.references), ()
    return None


def _missing_author(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    return None if doc.author or doc.kind == "text" else (0, ())


def _missing_date(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    return None if doc.date or doc.kind == "text" else (0, ())


def _sales_cta_near_claims(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    spans: list[Cue] = []
    near: set[int] = set()
    for i, r in enumerate(results):
        matches = list(ruleset.call_to_action.finditer(r.text))
        if not matches:
            continue
        flagged = {j for j in range(max(0, i - 2), min(len(results), i + 3)) if results[j].flagged}
        if flagged:
            near |= flagged
            spans.extend(Cue(m.start(), m.end(), m.group(0), "call_to_action", "rule") for m in matches)
    return (len(near), tuple(spans)) if near else None


def _references_other_condition(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...], dict] | None:
    from .matching import references_off_subject

    off = references_off_subject(doc)
    if not off:
        return None
    words = ", ".join(dict.fromkeys(name for _, named in off for name in named))
    return len(off), (), {"claim_side": ", ".join(doc.subject), "source_side": words}


def _checked(doc: Document, status: str) -> list:
    return [r for r in doc.references if r.check is not None and r.check.status == status]


def _references_not_found(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...], dict] | None:
    missing = _checked(doc, "not_found")
    if not missing or len(missing) == len(doc.references):
        return None  # none found at all is CC209
    return len(missing), (), {"source_side": ", ".join(f"[{r.number}]" for r in missing)}


def _references_metadata_differ(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...], dict] | None:
    differ = _checked(doc, "mismatch")
    if not differ:
        return None
    words = "; ".join(f"[{r.number}] {', '.join(r.check.differences)}" for r in differ)
    return len(differ), (), {"source_side": words}


def _no_reference_found(doc: Document, results, ruleset) -> tuple[int, tuple[Cue, ...]] | None:
    if doc.references and len(_checked(doc, "not_found")) == len(doc.references):
        return len(doc.references), ()
    return None


PAGE_CHECKS: dict[str, Callable] = {
    "references_without_identifiers": _references_without_identifiers,
    "references_never_cited": _references_never_cited,
    "missing_author": _missing_author,
    "missing_date": _missing_date,
    "sales_cta_near_claims": _sales_cta_near_claims,
    "references_other_condition": _references_other_condition,
    "references_not_found": _references_not_found,
    "references_metadata_differ": _references_metadata_differ,
    "no_reference_found": _no_reference_found,
}


def page_findings(doc: Document, results: tuple[SentenceResult, ...], ruleset: RuleSet | None = None) -> tuple[Finding, ...]:
    """The page-level findings."""
    ruleset = ruleset or load_rules()
    out = []
    for rule in ruleset.rules:
        if rule.scope != "page":
            continue
        hit = PAGE_CHECKS[rule.check](doc, results, ruleset)
        if hit is None:
            continue
        n, spans, *sides = hit
        out.append(Finding(rule.id, rule.name, rule.severity, _message(rule.message, None, spans, n, *sides), spans))
    return tuple(out)
