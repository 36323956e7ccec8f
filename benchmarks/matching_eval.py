"""Measure source matching on the claim/reference pairs of corpus/matching/pairs.jsonl.

    python benchmarks/matching_eval.py [--pairs corpus/matching/pairs.jsonl] [--seed 0]

Each pair becomes a small page (its title, the sentences before the claim and the claim in one
paragraph, a reference list holding the cited entry) checked by the real checker; the claim's
mismatches are compared with the pair's expected kinds. Reported: precision and recall of
mismatch findings over all pairs and per kind, with 95% bootstrap intervals over pairs, and how
many claims the checker did not treat as cited claims (where no mismatch can be found).
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import claimcheck
from claimcheck.records import MISMATCH_FLAGS

ROOT = Path(__file__).resolve().parents[1]
FILLER = "Doe J. Notes on reading clinical papers. J Clin Read. 2001;1:1-2."


def page_for(pair: dict) -> tuple[str, str]:
    """The HTML of a page holding the pair, and the claim's text as it appears there."""
    claim = pair["claim"]
    numbers = [int(n) for n in re.findall(r"[\[(](\d{1,2})[\])]", claim)] or [1]
    number = numbers[0]
    reference = re.sub(r"^\s*\[?\d{1,2}[.)\]]\s*", "", pair["reference"].strip())
    entries = [FILLER] * (number - 1) + [reference]
    items = "".join(f"<p>{i}. {html.escape(text)}</p>" for i, text in enumerate(entries, 1))
    context = " ".join(pair.get("context") or [])
    body = f"{context} {claim}".strip()
    title = html.escape(pair.get("page_title") or "Health notes")
    page = (
        f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{html.escape(body)}</p><h2>References</h2>{items}</article></body></html>"
    )
    return page, claim


def predicted(report, claim: str) -> tuple[set[str], bool]:
    """The flagging mismatch kinds of the claim's sentence, and whether it was a cited claim."""
    target = next((s for s in report.sentences if claim[:40] in s.text or s.text[:40] in claim), None)
    if target is None:
        return set(), False
    kinds = {m.kind for m in target.mismatches if m.kind in MISMATCH_FLAGS}
    return kinds, bool(target.types) and target.evidence.label == "cited"


def prf(rows: list[tuple[set[str], set[str]]], kind: str | None = None) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    for gold, pred in rows:
        g = gold if kind is None else gold & {kind}
        p = pred if kind is None else pred & {kind}
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, tp, fp, fn


def interval(rows, kind, which: int, seed: int, rounds: int = 1000) -> str:
    rng = random.Random(seed)
    values = []
    for _ in range(rounds):
        sample = [rows[rng.randrange(len(rows))] for _ in rows]
        value = prf(sample, kind)[which]
        if value == value:  # not NaN
            values.append(value)
    if not values:
        return "[n/a]"
    values.sort()
    return f"[{values[int(0.025 * len(values))]:.2f}, {values[int(0.975 * len(values)) - 1]:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=ROOT / "corpus" / "matching" / "pairs.jsonl")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", action="store_true", help="List the pairs decided wrongly.")
    args = parser.parse_args()
    pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    checker = claimcheck.Checker().load()
    rows: list[tuple[set[str], set[str]]] = []
    not_cited = 0
    errors = []
    start = time.perf_counter()
    for pair in pairs:
        page, claim = page_for(pair)
        kinds, cited = predicted(checker.check_html(page), claim)
        not_cited += not cited
        gold = set(pair["expected"])
        rows.append((gold, kinds))
        if gold != kinds:
            errors.append((pair["id"], sorted(gold), sorted(kinds), "" if cited else "not a cited claim", pair["claim"][:90]))
    seconds = time.perf_counter() - start
    print(f"{len(pairs)} pairs, {sum(bool(g) for g, _ in rows)} with expected mismatches; {seconds:.1f} s")
    print(f"claims the checker did not take as cited claims: {not_cited}")
    print(f"{'kind':22} {'precision':>20} {'recall':>20}   tp  fp  fn")
    for kind in (None, *MISMATCH_FLAGS):
        p, r, tp, fp, fn = prf(rows, kind)
        name = kind or "all mismatches"
        print(
            f"{name:22} {p:7.2f} {interval(rows, kind, 0, args.seed):>12} {r:7.2f} {interval(rows, kind, 1, args.seed):>12}"
            f"  {tp:3d} {fp:3d} {fn:3d}"
        )
    exact = sum(1 for g, p in rows if g == p)
    print(f"pairs decided exactly: {exact}/{len(rows)}")
    counts = Counter(k for g, _ in rows for k in g)
    print("expected kinds:", dict(counts))
    if args.errors:
        for row in errors:
            print(*row, sep="\t")


if __name__ == "__main__":
    main()
