"""Load and validate the labelled corpus (corpus/labels/*.jsonl with pages in corpus/pages/)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .vocabulary import EVIDENCE, STRENGTHS, TYPES, UNITS, VOICES

REQUIRED = {"doc", "i", "text", "unit", "types", "strength", "evidence"}
OPTIONAL = {"intervention", "condition", "voice", "evidence_level", "note"}


@dataclass(frozen=True)
class GoldUnit:
    """One labelled unit of a page."""

    doc: str
    i: int
    text: str
    unit: str
    types: tuple[str, ...]
    strength: str | None
    evidence: str
    intervention: str | None = None
    condition: str | None = None
    voice: str | None = None

    @property
    def flagged(self) -> bool:
        """The derived flag of ANNOTATION.md section 4."""
        return bool(self.types) and self.strength == "strong" and self.evidence != "cited"


class CorpusError(ValueError):
    """A label file breaks the annotation schema."""


def parse_unit(record: dict, where: str) -> GoldUnit:
    """Validate one label record and return it as a GoldUnit."""
    unknown = set(record) - REQUIRED - OPTIONAL
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(REQUIRED | OPTIONAL)}")
    missing = REQUIRED - set(record)
    if missing:
        raise CorpusError(f"{where}: missing keys {sorted(missing)}")
    types = record["types"]
    if not isinstance(types, list) or any(t not in TYPES for t in types) or len(set(types)) != len(types):
        raise CorpusError(f"{where}: types must be a list drawn from {list(TYPES)}, got {types!r}")
    unit = record["unit"]
    if unit not in UNITS:
        raise CorpusError(f"{where}: unit must be one of {list(UNITS)}, got {unit!r}")
    strength = record["strength"]
    if types and strength not in STRENGTHS:
        raise CorpusError(f"{where}: a unit with types needs strength in {list(STRENGTHS)}, got {strength!r}")
    if not types and strength is not None:
        raise CorpusError(f"{where}: a unit without types must have strength null, got {strength!r}")
    if record["evidence"] not in EVIDENCE:
        raise CorpusError(f"{where}: evidence must be one of {list(EVIDENCE)}, got {record['evidence']!r}")
    voice = record.get("voice")
    if voice is not None and voice not in VOICES:
        raise CorpusError(f"{where}: voice must be one of {list(VOICES)}, got {voice!r}")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: text must be a non-empty string")
    return GoldUnit(
        doc=str(record["doc"]),
        i=int(record["i"]),
        text=text,
        unit=unit,
        types=tuple(types),
        strength=strength,
        evidence=record["evidence"],
        intervention=record.get("intervention"),
        condition=record.get("condition"),
        voice=voice,
    )


def load_labels(path: Path) -> list[GoldUnit]:
    """Read one JSONL label file, validating every line."""
    units = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from None
        units.append(parse_unit(record, where))
    return units


def load_corpus(root: Path, pattern: str = "*.jsonl") -> list[GoldUnit]:
    """Read every label file under root/labels (matching pattern) in name order."""
    units: list[GoldUnit] = []
    for path in sorted((root / "labels").glob(pattern)):
        units.extend(load_labels(path))
    return units


def _visible_text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8")
    if page.suffix == ".html":
        from bs4 import BeautifulSoup

        raw = BeautifulSoup(raw, "lxml").get_text(" ")
    return _norm(raw)


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", "", text).lower()


def check_page_texts(root: Path, pattern: str = "*.jsonl") -> list[str]:
    """Return a problem line for every label whose text is not on its page."""
    problems = []
    for path in sorted((root / "labels").glob(pattern)):
        units = load_labels(path)
        docs = {u.doc for u in units}
        for doc in docs:
            page = root / "pages" / doc
            if not page.exists():
                problems.append(f"{path}: page {doc} not found in {root / 'pages'}")
                continue
            visible = _visible_text(page)
            for u in units:
                if u.doc == doc and _norm(u.text) not in visible:
                    problems.append(f"{path}: unit {u.i} text not found on {doc}: {u.text[:70]!r}")
    return problems


def summary(units: list[GoldUnit]) -> dict[str, Counter]:
    """Counts per label, unit, voice and intervention."""
    return {
        "pages": Counter(u.doc for u in units),
        "unit": Counter(u.unit for u in units),
        "types": Counter(t for u in units for t in u.types),
        "strength": Counter(u.strength for u in units if u.types),
        "evidence": Counter(u.evidence for u in units if u.unit not in ("boilerplate", "reference")),
        "voice": Counter(u.voice for u in units),
        "flagged": Counter(u.flagged for u in units),
    }


def main(argv: list[str] | None = None) -> int:
    """Validate the corpus at root (default corpus/), optionally only label files matching a glob."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "corpus")
    pattern = args[1] if len(args) > 1 else "*.jsonl"
    try:
        units = load_corpus(root, pattern)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = check_page_texts(root, pattern)
    for p in problems:
        print(p)
    for name, counts in summary(units).items():
        if name == "pages":
            print(f"pages: {len(counts)}  units: {sum(counts.values())}")
        else:
            print(f"{name}: {dict(counts.most_common())}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
