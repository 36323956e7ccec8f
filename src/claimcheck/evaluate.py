"""Score the pipeline against gold pages: run it on each page the gold files name, align gold units
to its sentences by text, and report precision, recall and F1 per field, confusion matrices,
extraction recall and flag scores, overall and per page.

Units that claimcheck does not output count as missed: no type, no evidence, not flagged.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import TYPES, GoldUnit, load_labels
from .errors import InputError
from .options import Options
from .pipeline import check_file
from .records import Report, SentenceResult

MATCH_THRESHOLD = 0.5
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TOKEN = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Gold text as visible text: markdown links to their anchors, list dashes and emphasis removed."""
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"^\s*[-*]\s+", "", text)
    return text.replace("**", "").replace("__", "")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text).lower().replace("\u2019", "'"))


@dataclass
class PagePairs:
    """Gold units of one page, each with the sentence it aligned to (or None)."""

    doc: str
    pairs: list[tuple[GoldUnit, SentenceResult | None]] = field(default_factory=list)
    error: str | None = None


def align(gold: list[GoldUnit], report: Report) -> list[tuple[GoldUnit, SentenceResult | None]]:
    """Pair each gold unit with the predicted unit sharing most of its words (Dice >= 0.5)."""
    predicted = [(s, Counter(tokens(s.text))) for s in report.sentences]
    out = []
    for g in gold:
        gt = Counter(tokens(g.text))
        size = sum(gt.values())
        best, best_score = None, 0.0
        if size:
            for s, st in predicted:
                common = sum((gt & st).values())
                if not common:
                    continue
                score = 2 * common / (size + sum(st.values()))
                if score > best_score:
                    best, best_score = s, score
        out.append((g, best if best_score >= MATCH_THRESHOLD else None))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": tp + fn}


def _multiclass(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    out = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        out[label] = _prf(tp, fp, fn)
    out["macro_f1"] = round(sum(out[label]["f1"] for label in labels) / len(labels), 3)
    out["confusion"] = {g: {p: sum(1 for a, b in zip(gold, pred) if a == g and b == p) for p in labels} for g in labels}
    return out


def score(pairs: list[tuple[GoldUnit, SentenceResult | None]]) -> dict:
    """All field scores over aligned pairs."""
    main = [(g, p) for g, p in pairs if g.unit not in ("boilerplate", "reference")]
    if not main:
        return {"units": 0}
    types = {}
    for t in TYPES:
        tp = sum(1 for g, p in main if t in g.types and p is not None and t in p.types)
        fp = sum(1 for g, p in main if t not in g.types and p is not None and t in p.types)
        fn = sum(1 for g, p in main if t in g.types and (p is None or t not in p.types))
        types[t] = {**_prf(tp, fp, fn), "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": len(main) - tp - fp - fn}}
    types["macro_f1"] = round(sum(types[t]["f1"] for t in TYPES) / len(TYPES), 3)
    claims = [(g, p) for g, p in main if g.types]
    strength = _multiclass(
        [g.strength for g, _ in claims], [p.wording.label if p else "none" for _, p in claims], ("strong", "moderate", "hedged")
    )
    evidence = _multiclass(
        [g.evidence for g, _ in main], [p.evidence.label if p else "none" for _, p in main], ("cited", "described", "none")
    )
    tp = sum(1 for g, p in main if g.flagged and p is not None and p.flagged)
    fp = sum(1 for g, p in main if not g.flagged and p is not None and p.flagged)
    fn = sum(1 for g, p in main if g.flagged and (p is None or not p.flagged))
    return {
        "units": len(main),
        "extraction_recall": round(sum(1 for _, p in main if p is not None) / len(main), 3),
        "types": types,
        "strength": strength,
        "evidence": evidence,
        "flag": _prf(tp, fp, fn),
    }


def evaluate(gold_files: list[Path], pages_dir: Path | None = None, options: Options | None = None) -> dict:
    """Run the pipeline on every page the gold files name and score it, overall and per page."""
    pages: list[PagePairs] = []
    for path in gold_files:
        units = load_labels(Path(path))
        by_doc: dict[str, list[GoldUnit]] = defaultdict(list)
        for u in units:
            by_doc[u.doc].append(u)
        folder = pages_dir or Path(path).parent.parent / "pages"
        for doc, gold in by_doc.items():
            page = PagePairs(doc)
            try:
                report = check_file(folder / doc, options)
                page.pairs = align(gold, report)
            except InputError as exc:
                page.error = str(exc)
                page.pairs = [(g, None) for g in gold]
            pages.append(page)
    everything = [pair for page in pages for pair in page.pairs]
    return {
        "pages": len(pages),
        "overall": score(everything),
        "per_page": {page.doc: {**score(page.pairs), **({"error": page.error} if page.error else {})} for page in pages},
    }


def render(result: dict, fmt: str = "text") -> str:
    """The evaluation as JSON or as a short text table."""
    if fmt == "json":
        return json.dumps(result, indent=2)
    o = result["overall"]
    lines = [f"pages {result['pages']}, gold units {o['units']}, extraction recall {o['extraction_recall']:.3f}"]
    lines.append(
        f"flag      P {o['flag']['precision']:.3f}  R {o['flag']['recall']:.3f}  F1 {o['flag']['f1']:.3f}  (gold {o['flag']['support']})"
    )
    lines.append(f"types     macro-F1 {o['types']['macro_f1']:.3f}  " + "  ".join(f"{t} {o['types'][t]['f1']:.3f}" for t in TYPES))
    lines.append(
        "          confusion (tp fp fn tn): "
        + "; ".join(f"{t}: " + " ".join(str(o["types"][t]["confusion"][k]) for k in ("tp", "fp", "fn", "tn")) for t in TYPES)
    )
    for name, labels in (("strength", ("strong", "moderate", "hedged")), ("evidence", ("cited", "described", "none"))):
        lines.append(f"{name:9} macro-F1 {o[name]['macro_f1']:.3f}  " + "  ".join(f"{k} {o[name][k]['f1']:.3f}" for k in labels))
        lines.append(
            "          confusion (gold -> predicted): "
            + "; ".join(f"{g}: " + " ".join(f"{p}={n}" for p, n in row.items()) for g, row in o[name]["confusion"].items())
        )
    lines.append("per page:")
    for doc, s in result["per_page"].items():
        if not s.get("units"):
            continue
        lines.append(
            f"  {doc:45} units {s['units']:3}  extract {s['extraction_recall']:.2f}  flag F1 {s['flag']['f1']:.2f}  "
            f"types {s['types']['macro_f1']:.2f}  strength {s['strength']['macro_f1']:.2f}  evidence {s['evidence']['macro_f1']:.2f}"
            + (f"  error: {s['error']}" if s.get("error") else "")
        )
    return "\n".join(lines)
