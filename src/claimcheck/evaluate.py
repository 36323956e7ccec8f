"""Score the pipeline against gold pages: run it on each page the gold files name, align gold units
to its sentences by text, and report precision, recall and F1 per field, confusion matrices,
extraction recall and flag scores, overall and per page.

Units that claimcheck does not output count as missed: no type, no evidence, not flagged.

Uncertainty comes from a page-level bootstrap: pages are resampled with replacement and the pooled
metric recomputed from per-page count tables (units of one page are not independent, pages are).
Candidate models run on the same pages are compared with a paired bootstrap over the same draws.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import GoldUnit, load_labels
from .errors import InputError
from .options import Options
from .pipeline import check_file
from .records import Report, SentenceResult
from .vocabulary import EVIDENCE, STRENGTHS, TYPES

MATCH_THRESHOLD = 0.5
RESAMPLES = 1000
SEED = 0
LEVEL = 0.95
CURVE_STEP = 0.05
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TOKEN = re.compile(r"[a-z0-9]+")

Pair = tuple[GoldUnit, SentenceResult | None]

# Binary decisions counted per page as (tp, fp, fn): one row each in a count table.
GROUPS: tuple[str, ...] = (
    "flag",
    "claim",
    "strong",
    *(f"types.{t}" for t in TYPES),
    *(f"strength.{s}" for s in STRENGTHS),
    *(f"evidence.{e}" for e in EVIDENCE),
)
_ROW = {g: i for i, g in enumerate(GROUPS)}

# The figures given a bootstrap interval, in display order.
INTERVAL_METRICS: tuple[str, ...] = (
    "flag_precision",
    "flag_recall",
    "flag_f1",
    "claim_f1",
    "strong_f1",
    "types_macro_f1",
    "strength_macro_f1",
    "evidence_macro_f1",
)
PAIRED_METRICS: tuple[str, ...] = ("flag_f1", "flag_precision")


def normalise(text: str) -> str:
    """Gold text as visible text: markdown links to their anchors, heading marks, list dashes and emphasis removed."""
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"^\s*(?:#+|[-*])\s+", "", text)
    return text.replace("**", "").replace("__", "").strip()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text).lower().replace("\u2019", "'"))


@dataclass
class PagePairs:
    """Gold units of one page, each with the sentence it aligned to (or None)."""

    doc: str
    pairs: list[Pair] = field(default_factory=list)
    error: str | None = None


def align(gold: list[GoldUnit], report: Report) -> list[Pair]:
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


def main_units(pairs: list[Pair]) -> list[Pair]:
    """The pairs whose gold unit is main content (not boilerplate, not a reference entry)."""
    return [(g, p) for g, p in pairs if g.unit not in ("boilerplate", "reference")]


def _decisions(g: GoldUnit, p: SentenceResult | None) -> list[tuple[str, bool, bool]]:
    """(group, gold says yes, prediction says yes) for every decision one unit takes part in."""
    out = [
        ("flag", g.flagged, p is not None and bool(p.flagged)),
        ("claim", bool(g.types), p is not None and bool(p.types)),
        *((f"types.{t}", t in g.types, p is not None and t in p.types) for t in TYPES),
        *((f"evidence.{e}", g.evidence == e, p is not None and p.evidence.label == e) for e in EVIDENCE),
    ]
    if g.types:  # wording is scored on gold claims, whatever type the model gave
        said = p.wording.label if p is not None else None
        out.append(("strong", g.strength == "strong", said == "strong"))
        out.extend((f"strength.{s}", g.strength == s, said == s) for s in STRENGTHS)
    return out


def count_table(pairs: list[Pair]) -> np.ndarray:
    """Counts (tp, fp, fn) per decision group over the main units: shape (len(GROUPS), 3)."""
    table = np.zeros((len(GROUPS), 3), dtype=np.int64)
    for g, p in main_units(pairs):
        for group, truth, said in _decisions(g, p):
            if truth or said:
                table[_ROW[group], 0 if truth and said else 1 if said else 2] += 1
    return table


def rates(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from (tp, fp, fn) on the last axis; 0 where undefined."""
    tp, fp, fn = (counts[..., k].astype(float) for k in range(3))

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    return ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn)


def metrics(totals: np.ndarray) -> dict[str, np.ndarray]:
    """The interval figures from pooled count tables of shape (..., len(GROUPS), 3)."""
    p, r, f = rates(totals)

    def macro(prefix: str) -> np.ndarray:
        return f[..., [i for g, i in _ROW.items() if g.startswith(prefix)]].mean(axis=-1)

    return {
        "flag_precision": p[..., _ROW["flag"]],
        "flag_recall": r[..., _ROW["flag"]],
        "flag_f1": f[..., _ROW["flag"]],
        "claim_f1": f[..., _ROW["claim"]],
        "strong_f1": f[..., _ROW["strong"]],
        "types_macro_f1": macro("types."),
        "strength_macro_f1": macro("strength."),
        "evidence_macro_f1": macro("evidence."),
    }


def _prf(tp: int, fp: int, fn: int) -> dict:
    p, r, f = (float(x) for x in rates(np.array([tp, fp, fn])))
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": tp + fn}


def _confusion(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    return {g: {p: sum(1 for a, b in zip(gold, pred) if a == g and b == p) for p in labels} for g in labels}


def score(pairs: list[Pair]) -> dict:
    """All field scores over aligned pairs."""
    main = main_units(pairs)
    if not main:
        return {"units": 0}
    table = count_table(pairs)
    point = metrics(table)

    def prf(group: str) -> dict:
        return _prf(*(int(x) for x in table[_ROW[group]]))

    types = {}
    for t in TYPES:
        tp, fp, fn = (int(x) for x in table[_ROW[f"types.{t}"]])
        types[t] = {**prf(f"types.{t}"), "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": len(main) - tp - fp - fn}}
    types["macro_f1"] = round(float(point["types_macro_f1"]), 3)
    claims = [(g, p) for g, p in main if g.types]
    strength: dict = {s: prf(f"strength.{s}") for s in STRENGTHS}
    strength["macro_f1"] = round(float(point["strength_macro_f1"]), 3)
    strength["confusion"] = _confusion([g.strength for g, _ in claims], [p.wording.label if p else "none" for _, p in claims], STRENGTHS)
    evidence: dict = {e: prf(f"evidence.{e}") for e in EVIDENCE}
    evidence["macro_f1"] = round(float(point["evidence_macro_f1"]), 3)
    evidence["confusion"] = _confusion([g.evidence for g, _ in main], [p.evidence.label if p else "none" for _, p in main], EVIDENCE)
    return {
        "units": len(main),
        "extraction_recall": round(sum(1 for _, p in main if p is not None) / len(main), 3),
        "types": types,
        "strength": strength,
        "evidence": evidence,
        "flag": prf("flag"),
        "flagged": int(table[_ROW["flag"], 0] + table[_ROW["flag"], 1]),
        "claim": prf("claim"),
        "strong": prf("strong"),
    }


def _curve_point(scored: list[tuple[float, bool]], threshold: float, gold_flags: int) -> dict:
    flagged = [gold for conf, gold in scored if conf >= threshold]
    tp = sum(flagged)
    return {
        "threshold": round(threshold, 3),
        "precision": round(tp / len(flagged), 3) if flagged else None,
        "recall": round(tp / gold_flags, 3) if gold_flags else None,
        "f1": round(2 * tp / (len(flagged) + gold_flags), 3) if flagged or gold_flags else 0.0,
        "flagged": len(flagged),
    }


def average_precision(scored: list[tuple[float, bool]], gold_flags: int) -> float | None:
    """Sum over distinct confidences, highest first, of the recall gained times the precision there.

    Recall is out of every gold flag, so gold flags the model never makes flaggable lower it.
    """
    if not gold_flags:
        return None
    ranked = sorted(scored, key=lambda x: -x[0])
    total, tp, recall_before = 0.0, 0, 0.0
    for k, (conf, gold) in enumerate(ranked):
        tp += gold
        if k + 1 < len(ranked) and ranked[k + 1][0] == conf:
            continue  # ties enter together
        recall = tp / gold_flags
        total += (recall - recall_before) * tp / (k + 1)
        recall_before = recall
    return round(total, 3)


def flag_curve(pairs: list[Pair], step: float = CURVE_STEP) -> dict:
    """Flag precision and recall as the confidence threshold moves.

    The checker gives a unit whose confidence reaches its threshold the labels of a strong claim, so
    at threshold t it flags exactly the uncited units with confidence at least t: those are the
    curve's candidates, whatever threshold the evaluated run used. Recall is out of every gold flag
    among the main units. The operating point is the lowest confidence among the units the run flagged.
    """
    main = main_units(pairs)
    gold_flags = sum(g.flagged for g, _ in main)
    flaggable = sum(1 for _, p in main if p is not None and p.flaggable)
    candidates = [(g, p) for g, p in main if p is not None and p.confidence is not None and p.evidence.label != "cited"]
    scored = [(float(p.confidence), g.flagged) for g, p in candidates]
    out: dict = {"gold_flags": gold_flags, "flaggable": flaggable, "with_confidence": len(scored)}
    if not scored:
        return {**out, "average_precision": None, "operating_threshold": None, "points": []}
    chosen = [float(p.confidence) for _, p in candidates if p.flagged]
    operating = min(chosen) if chosen else None
    grid = {round(k * step, 6) for k in range(int(round(1 / step)))}
    thresholds = sorted(grid | ({operating} if operating is not None else set()))
    points = [{**_curve_point(scored, t, gold_flags), "operating": t == operating} for t in thresholds]
    return {
        **out,
        "average_precision": average_precision(scored, gold_flags),
        "operating_threshold": None if operating is None else round(operating, 3),
        "points": points,
    }


def resample_weights(pages: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """How often each page is drawn in each resample: shape (resamples, pages)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, pages, size=(resamples, pages)) + np.arange(resamples)[:, None] * pages
    return np.bincount(draws.ravel(), minlength=resamples * pages).reshape(resamples, pages)


def _bounds(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return round(float(low), 3), round(float(high), 3)


def bootstrap(tables: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, dict]:
    """Each interval figure with its page-bootstrap interval, from per-page tables (pages, GROUPS, 3)."""
    point = metrics(tables.sum(axis=0))
    if not len(tables) or not resamples:
        return {name: {"value": round(float(point[name]), 3), "low": None, "high": None} for name in INTERVAL_METRICS}
    samples = metrics(np.tensordot(resample_weights(len(tables), resamples, seed), tables, axes=1))
    return {name: dict(zip(("value", "low", "high"), (round(float(point[name]), 3), *_bounds(samples[name])))) for name in INTERVAL_METRICS}


def paired_bootstrap(base: np.ndarray, other: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, dict]:
    """Other minus base, for the paired figures, over the same page resamples for both."""
    difference = {k: float(metrics(other.sum(axis=0))[k] - metrics(base.sum(axis=0))[k]) for k in PAIRED_METRICS}
    if not len(base) or not resamples:
        return {k: {"difference": round(d, 3), "low": None, "high": None, "better": None, "worse": None} for k, d in difference.items()}
    weights = resample_weights(len(base), resamples, seed)
    a, b = metrics(np.tensordot(weights, base, axes=1)), metrics(np.tensordot(weights, other, axes=1))
    out = {}
    for k in PAIRED_METRICS:
        delta = b[k] - a[k]
        low, high = _bounds(delta)
        out[k] = {
            "difference": round(difference[k], 3),
            "low": low,
            "high": high,
            "better": round(float(np.mean(delta > 0)), 3),
            "worse": round(float(np.mean(delta < 0)), 3),
        }
    return out


def run(gold_files: list[Path], pages_dir: Path | None = None, options: Options | None = None) -> list[PagePairs]:
    """Run the pipeline on every page the gold files name and align its units to the gold ones."""
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
    return pages


def model_name(options: Options | None) -> str:
    """The model directory the options name, or 'packaged'."""
    return str(options.model_path) if options is not None and options.model_path is not None else "packaged"


def summarise(pages: list[PagePairs], model: str = "packaged", resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """Overall and per-page scores, the flag curve and bootstrap intervals of aligned pages."""
    everything = [pair for page in pages for pair in page.pairs]
    tables = np.array([count_table(page.pairs) for page in pages]).reshape(len(pages), len(GROUPS), 3)
    return {
        "model": model,
        "pages": len(pages),
        "overall": score(everything),
        "flag_curve": flag_curve(everything),
        "intervals": bootstrap(tables, resamples, seed),
        "bootstrap": {"resamples": resamples, "seed": seed, "level": LEVEL, "unit": "page"},
        "per_page": {page.doc: {**score(page.pairs), **({"error": page.error} if page.error else {})} for page in pages},
    }


def evaluate(
    gold_files: list[Path], pages_dir: Path | None = None, options: Options | None = None, resamples: int = RESAMPLES, seed: int = SEED
) -> dict:
    """Run the pipeline on every page the gold files name and score it, overall and per page."""
    return summarise(run(gold_files, pages_dir, options), model_name(options), resamples, seed)


def compare_pages(runs: list[tuple[str, list[PagePairs]]], resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """Each candidate's summary and, for every candidate after the first, a paired bootstrap against it."""
    docs = [page.doc for page in runs[0][1]]
    if any([page.doc for page in pages] != docs for _, pages in runs):
        raise ValueError("candidates were run on different pages")
    tables = [np.array([count_table(page.pairs) for page in pages]).reshape(len(pages), len(GROUPS), 3) for _, pages in runs]
    base = runs[0][0]
    return {
        "pages": len(docs),
        "bootstrap": {"resamples": resamples, "seed": seed, "level": LEVEL, "unit": "page", "paired": True},
        "models": [summarise(pages, name, resamples, seed) for name, pages in runs],
        "comparison": [
            {"model": name, "baseline": base, **paired_bootstrap(tables[0], table, resamples, seed)}
            for (name, _), table in zip(runs[1:], tables[1:])
        ],
    }


def compare(
    gold_files: list[Path], options: list[Options], pages_dir: Path | None = None, resamples: int = RESAMPLES, seed: int = SEED
) -> dict:
    """Run every candidate on the same gold pages; the first is the baseline of the paired differences."""
    return compare_pages([(model_name(o), run(gold_files, pages_dir, o)) for o in options], resamples, seed)


# ---------------------------------------------------------------- text


def _ci(interval: dict) -> str:
    if interval["low"] is None:
        return f"{interval['value']:.2f}"
    return f"{interval['value']:.2f} [{interval['low']:.2f}, {interval['high']:.2f}]"


def _wrapped(head: str, items: list[str], width: int = 116) -> list[str]:
    """``head`` followed by the items joined with '; ', continued on indented lines within ``width``."""
    lines, line = [], head
    for k, item in enumerate(items):
        piece = item + (";" if k + 1 < len(items) else "")
        if len(line) + 1 + len(piece) > width and line.strip():
            lines.append(line)
            line = " " * 12
        line += ("" if line.endswith(" ") else " ") + piece
    return [*lines, line]


def _curve_lines(curve: dict) -> list[str]:
    if not curve["with_confidence"]:
        return [f"flag curve: no confidences ({curve['flaggable']} flaggable units, none with a confidence)"]
    ap = "-" if curve["average_precision"] is None else f"{curve['average_precision']:.3f}"
    lines = [
        f"flag curve over {curve['with_confidence']} uncited units with a confidence "
        f"(gold flags {curve['gold_flags']}); average precision {ap}"
    ]
    off_grid = len(curve["points"]) > round(1 / CURVE_STEP)  # the operating point is an extra column: it gets its own line
    grid = [pt for pt in curve["points"] if not (pt["operating"] and off_grid)]

    def row(name: str, key: str, fmt: str) -> str:
        return f"  {name:9}" + "".join(f"{'-' if pt[key] is None else format(pt[key], fmt):>5}" for pt in grid)

    lines += [
        row("threshold", "threshold", ".2f"),
        row("precision", "precision", ".2f"),
        row("recall", "recall", ".2f"),
        row("F1", "f1", ".2f"),
        row("flagged", "flagged", "d"),
    ]
    for pt in curve["points"]:
        if pt["operating"]:
            p = "-" if pt["precision"] is None else f"{pt['precision']:.3f}"
            r = "-" if pt["recall"] is None else f"{pt['recall']:.3f}"
            lines.append(f"  operating point: threshold {pt['threshold']:.3f}  P {p}  R {r}  F1 {pt['f1']:.3f}  flagged {pt['flagged']}")
    return lines


def _summary_lines(result: dict) -> list[str]:
    o, ci = result["overall"], result["intervals"]
    if not o.get("units"):
        return [f"pages {result['pages']}, no gold units of main content"]
    b = result["bootstrap"]
    lines = [
        f"model {result['model']}",
        f"pages {result['pages']}, gold units {o['units']}, extraction recall {o['extraction_recall']:.3f}; "
        f"intervals: {int(b['level'] * 100)}% page bootstrap, {b['resamples']} resamples, seed {b['seed']}",
        f"flag      P {_ci(ci['flag_precision'])}  R {_ci(ci['flag_recall'])}  F1 {_ci(ci['flag_f1'])}  "
        f"(gold {o['flag']['support']}, flagged {o['flagged']})",
        f"claim     P {o['claim']['precision']:.3f}  R {o['claim']['recall']:.3f}  F1 {_ci(ci['claim_f1'])}  "
        f"(any type vs none; gold claims {o['claim']['support']})",
        f"strong    P {o['strong']['precision']:.3f}  R {o['strong']['recall']:.3f}  F1 {_ci(ci['strong_f1'])}  "
        f"(on gold claims, typed or not; gold strong {o['strong']['support']})",
        f"types     macro-F1 {_ci(ci['types_macro_f1'])}  " + "  ".join(f"{t} {o['types'][t]['f1']:.3f}" for t in TYPES),
    ]
    lines += _wrapped(
        "          confusion (tp fp fn tn):",
        [f"{t}: " + " ".join(str(o["types"][t]["confusion"][k]) for k in ("tp", "fp", "fn", "tn")) for t in TYPES],
    )
    for name, labels in (("strength", STRENGTHS), ("evidence", EVIDENCE)):
        lines.append(f"{name:9} macro-F1 {_ci(ci[f'{name}_macro_f1'])}  " + "  ".join(f"{k} {o[name][k]['f1']:.3f}" for k in labels))
        lines += _wrapped(
            "          confusion (gold -> predicted):",
            [f"{g}: " + " ".join(f"{p}={n}" for p, n in row.items()) for g, row in o[name]["confusion"].items()],
        )
    return lines + _curve_lines(result["flag_curve"])


def _per_page_lines(result: dict) -> list[str]:
    width = max((len(doc) for doc in result["per_page"]), default=0)
    lines = ["per page:"]
    for doc, s in result["per_page"].items():
        if not s.get("units"):
            continue
        lines.append(
            f"  {doc:{width}}  units {s['units']:3}  extract {s['extraction_recall']:.2f}  flag F1 {s['flag']['f1']:.2f}  "
            f"claim F1 {s['claim']['f1']:.2f}  types {s['types']['macro_f1']:.2f}  strength {s['strength']['macro_f1']:.2f}  "
            f"evidence {s['evidence']['macro_f1']:.2f}" + (f"  error: {s['error']}" if s.get("error") else "")
        )
    return lines


_TABLE_ROWS = (
    ("flag precision", "flag_precision"),
    ("flag recall", "flag_recall"),
    ("flag F1", "flag_f1"),
    ("claim F1", "claim_f1"),
    ("strong F1", "strong_f1"),
    ("types macro-F1", "types_macro_f1"),
    ("strength macro-F1", "strength_macro_f1"),
    ("evidence macro-F1", "evidence_macro_f1"),
)


def _comparison_lines(result: dict, width: int = 120) -> list[str]:
    models = result["models"]
    b = result["bootstrap"]
    lines = [
        f"pages {result['pages']}; intervals: {int(b['level'] * 100)}% page bootstrap, {b['resamples']} resamples, "
        f"seed {b['seed']}, the same draws for every model"
    ]
    lines += [f"  model {k + 1}: {m['model']}" for k, m in enumerate(models)]
    label, cell = 19, 19
    per_block = max(1, (width - label) // cell)
    for start in range(0, len(models), per_block):
        block = list(enumerate(models))[start : start + per_block]
        lines.append(f"{'':{label}}" + "".join(f"{'model ' + str(k + 1):>{cell}}" for k, _ in block))
        for name, key in _TABLE_ROWS:
            lines.append(f"{name:{label}}" + "".join(f"{_ci(m['intervals'][key]):>{cell}}" for _, m in block))
        extra = (
            ("extraction recall", lambda m: f"{m['overall'].get('extraction_recall', 0):.3f}"),
            (
                "average precision",
                lambda m: "-" if m["flag_curve"]["average_precision"] is None else f"{m['flag_curve']['average_precision']:.3f}",
            ),
            ("flagged / gold", lambda m: f"{m['overall'].get('flagged', 0)} / {m['flag_curve']['gold_flags']}"),
        )
        for name, show in extra:
            lines.append(f"{name:{label}}" + "".join(f"{show(m):>{cell}}" for _, m in block))
    if result["comparison"]:
        lines.append("paired page bootstrap, model minus model 1 (share of resamples where it is better, worse):")
    for k, c in enumerate(result["comparison"]):
        parts = []
        for key, name in (("flag_f1", "flag F1"), ("flag_precision", "flag P")):
            d = c[key]
            span = "" if d["low"] is None else f" [{d['low']:+.2f}, {d['high']:+.2f}] better {d['better']:.0%} worse {d['worse']:.0%}"
            parts.append(f"{name} {d['difference']:+.2f}{span}")
        lines.append(f"  model {k + 2}: " + "   ".join(parts))
    docs = list(models[0]["per_page"])
    doc_width = max((len(d) for d in docs), default=0)
    lines.append("per page, flag F1 by model:")
    lines.append(f"  {'':{doc_width}}  {'':9}  " + "  ".join(f"{k + 1:>4}" for k in range(len(models))))
    for doc in docs:
        first = models[0]["per_page"][doc]
        if not first.get("units"):
            continue
        lines.append(
            f"  {doc:{doc_width}}  units {first['units']:3}  " + "  ".join(f"{m['per_page'][doc]['flag']['f1']:4.2f}" for m in models)
        )
    return lines


def render(result: dict, fmt: str = "text") -> str:
    """The evaluation (one model, or a comparison of several) as JSON or as a short text table."""
    if fmt == "json":
        return json.dumps(result, indent=2)
    if "models" in result:
        return "\n".join(_comparison_lines(result))
    return "\n".join(_summary_lines(result) + _per_page_lines(result))
