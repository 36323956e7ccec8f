"""Measure claimcheck on public labelled data (evaluation only; nothing here is trained on).

    python benchmarks/public_eval.py [--shared ../shared]

1. annotated_eureka.csv (press-release sentences): strength. Mapping asked for: 3 direct causal -> strong,
   2 conditional causal -> hedged, 1 correlational -> hedged, 0 -> no claim. Under claimcheck's guide a
   plain causal sentence ("X reduces Y") is *moderate*, so the hedged-vs-not-hedged split is reported too.
2. SciTweets category 1.2 ("refers to a study"): evidence != none. Each tweet's t.co links are replaced by
   their expanded targets as inline links; unsure tweets (0.5) are left out.
Skips, with a message, whatever data is absent.
"""

from __future__ import annotations

import argparse
import ast
import csv
import html
import re
import sys
from collections import Counter
from pathlib import Path

import claimcheck

ROOT = Path(__file__).resolve().parents[1]


def prf(pairs: list[tuple[bool, bool]]) -> str:
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if not g and p)
    fn = sum(1 for g, p in pairs if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  (positives {tp + fn}, n {len(pairs)})"


def macro_f1(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label == p)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def strongest(report: claimcheck.Report) -> tuple[bool, str]:
    rank = {"hedged": 0, "moderate": 1, "strong": 2}
    claims = [s for s in report.sentences if s.types]
    wording = max((s.wording.label for s in report.sentences), key=rank.get, default="moderate")
    return bool(claims), wording


def eureka(path: Path) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    mapping = {"3": "strong", "2": "hedged", "1": "hedged"}
    claim_pairs, gold, pred = [], [], []
    for row in rows:
        has_claim, wording = strongest(claimcheck.check_text(row["sentence"]))
        claim_pairs.append((row["label"] != "0", has_claim))
        if row["label"] in mapping:
            gold.append(mapping[row["label"]])
            pred.append(wording)
    print(f"eureka: {len(rows)} sentences")
    print(f"  claim (label > 0) detected as a typed unit: {prf(claim_pairs)}")
    print(f"  strength macro-F1, mapping 3->strong, 2/1->hedged: {macro_f1(gold, pred, ('strong', 'hedged')):.3f}")
    print(f"  hedged vs not hedged: {prf([(g == 'hedged', p == 'hedged') for g, p in zip(gold, pred)])}")
    print(f"  predicted wording for label 3: {dict(Counter(p for g, p in zip(gold, pred) if g == 'strong'))}")


def scitweets(path: Path) -> None:
    csv.field_size_limit(sys.maxsize)
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    pairs = []
    for row in rows:
        answer = row["cat2_final_answer"]
        if answer not in ("0.0", "1.0"):
            continue
        try:
            urls = ast.literal_eval(row["processed_urls"] or "[]")
        except (ValueError, SyntaxError):
            urls = []
        text = html.escape(row["text"])
        for short, full in zip(re.findall(r"https?://t\.co/\w+", text), urls):
            text = text.replace(short, f'<a href="{html.escape(full)}">{html.escape(full)}</a>', 1)
        try:
            report = claimcheck.check_html(f"<html><body><article><p>{text}</p></article></body></html>")
            found = any(s.evidence.label != "none" for s in report.sentences)
        except claimcheck.InputError:
            found = False
        pairs.append((answer == "1.0", found))
    print(f"scitweets category 1.2 (refers to a study) as evidence != none: {prf(pairs)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    public = args.shared / "data" / "public"
    eureka_path = public / "correlation-to-causation-exaggeration" / "data" / "annotated_eureka.csv"
    tweets_path = public / "SciTweets" / "annotations" / "annotations.tsv"
    for path, run in ((eureka_path, eureka), (tweets_path, scitweets)):
        if path.exists():
            run(path)
        else:
            print(f"skipped: {path} is not available")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
