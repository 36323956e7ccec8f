"""report_from_dict is the inverse of to_dict: a report read back from JSON (reports.jsonl) is the same report."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

import claimcheck
from claimcheck.records import Evidence, Link, Reference, Report, SentenceResult, Wording
from claimcheck.report import report_from_dict, to_dict

from .site import Site

REFERENCE_EXTRAS = ("interventions", "conditions", "level")  # read back when the JSON holds them


def without_losses(report: Report) -> Report:
    """``report`` with the fields the JSON does not hold set as report_from_dict documents them."""
    held = {k for r in to_dict(report)["references"] for k in r}
    defaults = {f.name: f.default for f in dataclasses.fields(Reference) if f.name in REFERENCE_EXTRAS and f.name not in held}

    def sentence(s: SentenceResult) -> SentenceResult:
        wording = Wording(s.wording.label, s.wording.cues, tuple(sorted({c.kind for c in s.wording.cues})))
        evidence = dataclasses.replace(s.evidence, adjacent=False)
        links = tuple(Link(-1, -1, lk.text, lk.url) for lk in s.links)
        return dataclasses.replace(s, wording=wording, evidence=evidence, links=links)

    references = tuple(dataclasses.replace(r, label=None, anchor=None, **defaults) for r in report.references)
    return dataclasses.replace(report, sentences=tuple(sentence(s) for s in report.sentences), references=references)


def differences(a: object, b: object, path: str = "report") -> list[str]:
    """Where two records differ, field by field (every field, compared or not)."""
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        out = []
        for f in dataclasses.fields(a):
            if f.name == "found":
                continue  # Wording.found: not in the JSON, left out of equality by the record itself
            out += differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return out
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


@pytest.fixture(scope="module")
def reports(example_report) -> list[Report]:
    post = claimcheck.check_html(Site().post_html(4), url="https://clinic.example/blog/post-4")
    assert example_report.references and post.references  # pages with references
    assert any(s.links for s in example_report.sentences) and any(s.confidence is not None for s in post.sentences)
    return [example_report, post]


def test_round_trip_is_field_by_field_equal(reports):
    for report in reports:
        back = report_from_dict(json.loads(json.dumps(to_dict(report))))  # through JSON text, as reports.jsonl holds it
        assert differences(without_losses(report), back) == []
        assert back == without_losses(report)
        assert to_dict(back) == to_dict(report)


def test_round_trip_keeps_findings_sentences_and_flags(reports):
    report = reports[0]
    back = report_from_dict(to_dict(report))
    assert [f.sentence for f in back.all_findings()] == [f.sentence for f in report.all_findings()]
    assert [s.flagged for s in back.sentences] == [s.flagged for s in report.sentences]
    assert [s.confidence for s in back.sentences] == [s.confidence for s in report.sentences]
    assert (back.model, back.min_confidence, back.notices) == (report.model, report.min_confidence, report.notices)


def test_read_back_report_renders_the_same_html(reports):
    html_report = pytest.importorskip("claimcheck.html_report")
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for report in reports:
        back = report_from_dict(to_dict(report))
        assert html_report.render_html(back, checked_at=moment) == html_report.render_html(report, checked_at=moment)


def test_missing_optional_keys_take_their_defaults():
    minimal = {
        "source": "page.html",
        "sentences": [
            {"index": 0, "block": 0, "text": "Turmeric cures arthritis.", "unit": "sentence", "wording": "strong", "evidence": "none"}
        ],
    }
    back = report_from_dict(minimal)
    s = back.sentences[0]
    assert s.wording == Wording("strong") and s.evidence == Evidence("none") and s.types == () and s.flagged is False
    assert back.references == () and back.findings == () and back.classified is True and back.model is None
    assert Reference(1, None, "x") == report_from_dict({"source": "p", "references": [{"number": 1, "text": "x"}]}).references[0]
