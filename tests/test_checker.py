"""The Checker: one object built from Options, reused for many inputs, sharing one HTTP client."""

from __future__ import annotations

import pytest

import claimcheck
from claimcheck.audit.work import Task, check_tasks
from claimcheck.checker import Checker, default_checker
from claimcheck.cleaning import clean
from claimcheck.fetching import page_from_html
from claimcheck.records import Analysis
from claimcheck.segmentation import segment

from .conftest import EXAMPLE
from .site import Site

STRONG = "Our tincture cures anxiety in days and has no side effects. Call us to order."
HEDGED = "Some early studies suggest that magnesium may ease migraine in some adults."


@pytest.fixture(scope="module")
def checker():
    with Checker() as c:
        yield c


def test_one_checker_checks_every_kind_of_input(checker, tmp_path):
    saved = tmp_path / "page.txt"
    saved.write_text(HEDGED, encoding="utf-8")
    html = f"<html><body><article><p>{STRONG}</p></article></body></html>"
    page = page_from_html(EXAMPLE.read_bytes(), "https://clinic.example/blog/")
    reports = [
        checker.check_text(STRONG),
        checker.check_html(html, url="https://clinic.example/a"),
        checker.check_file(EXAMPLE),
        checker.check_source(str(saved)),
        checker.check_page(page),
    ]
    assert reports == [
        claimcheck.check_text(STRONG),
        claimcheck.check_html(html, url="https://clinic.example/a"),
        claimcheck.check_file(EXAMPLE),
        claimcheck.check_source(str(saved)),
        claimcheck.check_page(page),
    ]
    assert all(r.sentences for r in reports)
    assert reports[1].url == "https://clinic.example/a"
    assert reports[3].source == str(saved)


def test_module_functions_equal_a_checker_of_the_same_options(checker):
    assert claimcheck.check_text(STRONG) == checker.check_text(STRONG) == Checker().check_text(STRONG)
    assert claimcheck.check_file(EXAMPLE) == checker.check_file(EXAMPLE)
    options = claimcheck.Options(total_timeout=30)
    assert claimcheck.check_text(HEDGED, options) == Checker(options).check_text(HEDGED)


def test_default_checker_is_one_per_options():
    assert default_checker() is default_checker(claimcheck.Options())
    assert default_checker(claimcheck.Options(max_bytes=1000)) is default_checker(claimcheck.Options(max_bytes=1000))
    assert default_checker(claimcheck.Options(max_bytes=1000)) is not default_checker()


def test_analyse_is_the_check_after_segmentation(checker):
    page = page_from_html(EXAMPLE.read_bytes(), "https://clinic.example/blog/")
    doc = clean(page)
    analysis = checker.analyse(doc, segment(doc))
    report = checker.check_page(page)
    assert isinstance(analysis, Analysis)
    assert analysis.sentences == report.sentences
    assert analysis.findings == report.findings
    assert analysis.classified and analysis.notices == ()


def test_one_http_client_serves_every_fetch():
    site = Site(n=5, slow_every=0, fail_every=0, flaky_every=0)
    with site.serve() as base, Checker(claimcheck.Options(total_timeout=10, allow_private=True)) as checker:
        reports = [checker.check_url(f"{base}/blog/post-{i}") for i in (1, 2, 3)]
        assert site.connections == 1
        assert [r.url for r in reports] == [f"{base}/blog/post-{i}" for i in (1, 2, 3)]
        assert all(r.title and r.sentences for r in reports)
        checker.close()
        checker.check_url(f"{base}/blog/post-4")  # a closed checker opens a new client
        assert site.connections == 2


def test_a_checker_with_a_missing_model_fails_on_first_use_not_when_built(tmp_path):
    checker = Checker(claimcheck.Options(model_path=tmp_path / "none"))
    with pytest.raises(claimcheck.ModelError):
        checker.check_text(STRONG)
    with pytest.raises(claimcheck.ModelError):
        checker.load()


class _Confident(Checker):
    """A checker whose classifier gives each unit a set confidence (or none), to test the threshold."""

    def __init__(self, options: claimcheck.Options, confidence: float | None) -> None:
        super().__init__(options)
        self.confidence = confidence

    def _classify(self, units, wordings):
        types, wordings, _ = super()._classify(units, wordings)
        return types, wordings, [self.confidence] * len(units)


@pytest.mark.parametrize(
    ("min_confidence", "confidence", "flagged"),
    [(0.5, 0.2, False), (0.5, 0.5, True), (0.9, 0.95, True), (1.0, 0.99, False), (0.0, 0.0, True), (1.0, None, True)],
)
def test_a_flag_needs_the_confidence_threshold(min_confidence, confidence, flagged):
    checker = _Confident(claimcheck.Options(min_confidence=min_confidence), confidence)
    first = checker.check_text(STRONG).sentences[0]
    assert first.flaggable
    assert first.confidence == confidence
    assert first.flagged is flagged
    assert ("CC101" in {f.rule for f in first.findings}) is flagged  # the rules see the thresholded flag


def test_a_unit_without_a_confidence_is_flagged_by_its_labels_alone():
    for min_confidence in (0.0, 0.99):
        report = _Confident(claimcheck.Options(min_confidence=min_confidence), None).check_text(STRONG)
        assert [s.flagged for s in report.sentences] == [s.flaggable for s in report.sentences]
        assert report.sentences[0].flagged


def test_audit_workers_check_every_page_with_one_checker(monkeypatch):
    seen = []
    original = Checker.check_page

    def spy(self, page, timer=None):
        seen.append(self)
        return original(self, page, timer)

    monkeypatch.setattr(Checker, "check_page", spy)
    options = claimcheck.Options(max_bytes=5_000_000)
    tasks = [Task(f"t{i}", page_from_html(EXAMPLE.read_bytes())) for i in range(3)]
    outcomes = check_tasks(tasks, options) + check_tasks(tasks[:1], options)
    assert all(o.ok for o in outcomes)
    assert len(seen) == 4 and len(set(map(id, seen))) == 1
    assert seen[0] is default_checker(options)


def _broken_meta(meta):
    meta["confidence"]["intercept"] = float("nan")


@pytest.mark.parametrize(
    ("name", "breaks"),
    [
        ("a JSON list", lambda d: (d / "meta.json").write_text("[1, 2]")),
        ("not JSON", lambda d: (d / "meta.json").write_text("{")),
        ("a folder", lambda d: ((d / "meta.json").unlink(), (d / "meta.json").mkdir())),
        ("another backend", lambda d: _edit(d, lambda m: m.update(backend="neural"))),
        ("a NaN weight", lambda d: _edit(d, _broken_meta)),
        ("a missing array file", lambda d: (d / "units.npz").unlink()),
    ],
)
def test_a_broken_model_directory_is_one_line_and_exit_3(tmp_path, name, breaks):
    import shutil
    import subprocess
    import sys

    from claimcheck.classification import model_dir

    model = tmp_path / "model"
    shutil.copytree(model_dir(), model)
    breaks(model)
    with pytest.raises(claimcheck.ModelError):
        Checker(claimcheck.Options(model_path=model)).check_text(STRONG)
    out = subprocess.run(
        [sys.executable, "-m", "claimcheck", "--model", str(model), "-"], input=STRONG.encode(), capture_output=True, timeout=120
    )
    assert out.returncode == 3, name
    assert len(out.stderr.decode().strip().splitlines()) == 1 and "Traceback" not in out.stderr.decode(), name


def _edit(directory, change):
    import json

    meta = json.loads((directory / "meta.json").read_text())
    change(meta)
    (directory / "meta.json").write_text(json.dumps(meta))


def long_page(paragraphs: int) -> str:
    body = "".join(f"<p>{STRONG} {HEDGED} Paragraph {i} ends here.</p>" for i in range(paragraphs))
    return f"<html lang='en'><head><title>Long</title></head><body><article>{body}</article></body></html>"


def test_a_page_over_the_unit_budget_is_checked_up_to_it_and_says_so():
    html = long_page(40)
    full = Checker().check_html(html)
    cut = Checker(claimcheck.Options(max_units=25)).check_html(html)
    assert len(full.sentences) > 100
    assert [s.text for s in cut.sentences] == [s.text for s in full.sentences[:25]]
    assert [s.flagged for s in cut.sentences] == [s.flagged for s in full.sentences[:25]]
    assert f"the page has {len(full.sentences):,} units; only the first 25 were checked (--max-units)" in cut.notices
    assert not any("--max-units" in n for n in full.notices)


def test_a_page_over_the_time_budget_stops_taking_units_and_says_so():
    report = Checker(claimcheck.Options(max_seconds=1e-9)).check_html(long_page(40))
    assert report.sentences == ()
    assert any(n.startswith("checking stopped at the page's time budget") and "--max-seconds" in n for n in report.notices)


def test_the_budget_flags_reach_the_cli(tmp_path):
    import json
    import subprocess
    import sys

    page = tmp_path / "long.html"
    page.write_text(long_page(40), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "claimcheck", "--format", "json", "--max-units", "10", str(page)], capture_output=True, timeout=120
    )
    report = json.loads(out.stdout)
    assert len(report["sentences"]) == 10 and any("--max-units" in n for n in report["notices"])
    bad = subprocess.run([sys.executable, "-m", "claimcheck", "--max-units", "0", str(page)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("claimcheck: option max_units (--max-units): expected a whole number")
