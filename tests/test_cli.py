"""The command line as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import EXAMPLE


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "claimcheck", *args], input=stdin, capture_output=True, timeout=120)


def test_text_report_shows_flagged_claims_and_summary():
    out = run(str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "flagged claim" in text and "CC101" in text
    assert "confidence=" in text
    assert "references" in text


def test_json_report_and_fail_on():
    out = run("--format", "json", "--fail-on", "high", str(EXAMPLE))
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["source"] == str(EXAMPLE)
    assert data["summary"]["flagged"] == sum(s["flagged"] for s in data["sentences"]) > 0


def test_stdin_and_output_file(tmp_path):
    target = tmp_path / "r.json"
    out = run("--format", "json", "--output", str(target), "-", stdin=EXAMPLE.read_bytes())
    assert out.returncode == 0, out.stderr
    assert json.loads(target.read_text())["source"] == "-"


def test_bad_source_is_one_line_on_stderr_and_exit_2_while_good_sources_still_print(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("")
    out = run("--format", "jsonl", str(tmp_path / "missing.html"), str(EXAMPLE), str(empty))
    assert out.returncode == 2
    errors = out.stderr.decode().strip().splitlines()
    assert errors == [
        f"claimcheck: {tmp_path / 'missing.html'}: no such file",
        f"claimcheck: {empty}: empty input: nothing to check",
    ]
    lines = out.stdout.decode().strip().splitlines()
    assert [json.loads(line)["source"] for line in lines] == [str(EXAMPLE)]
    assert "Traceback" not in out.stderr.decode()


def test_help_has_examples_and_version():
    out = run("--help")
    assert out.returncode == 0 and b"Examples:" in out.stdout and b"Exit codes:" in out.stdout
    version = run("--version")
    assert version.returncode == 0 and b"claimcheck, version" in version.stdout


def test_a_host_name_without_scheme_gets_a_hint():
    out = run("www.clinic.example/blog/ldn")
    assert out.returncode == 2
    assert out.stderr.decode().strip() == (
        "claimcheck: www.clinic.example/blog/ldn: no such file (for a web page, give the URL with http:// or https://)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "-1"), "claimcheck: option total_timeout (--timeout): expected a number of seconds above 0, got -1.0"),
        (("--max-bytes", "0"), "claimcheck: option max_bytes (--max-bytes): expected a whole number of bytes, at least 1, got 0"),
        (("--min-confidence", "1.5"), "claimcheck: option min_confidence (--min-confidence): expected a number from 0 to 1, got 1.5"),
    ],
)
@pytest.mark.parametrize("command", [(), ("audit", "--no-progress")])
def test_invalid_options_are_one_line_and_exit_2_for_check_and_audit(tmp_path, command, args, message):
    out = run(*command, *args, str(EXAMPLE), *(["--out", str(tmp_path / "out")] if command else []))
    assert out.returncode == 2
    assert out.stderr.decode().strip() == message
    assert out.stdout == b""
    assert not (tmp_path / "out").exists()


def test_min_confidence_is_accepted(tmp_path):
    default = json.loads(run("--format", "json", str(EXAMPLE)).stdout)
    strict_run = run("--format", "json", "--min-confidence", "0.8", str(EXAMPLE))
    assert strict_run.returncode == 0, strict_run.stderr
    strict = json.loads(strict_run.stdout)
    assert strict["min_confidence"] == 0.8 and default["min_confidence"] < 0.8
    flagged = [s for s in strict["sentences"] if s["flagged"]]
    assert flagged and all(s["confidence"] >= 0.8 for s in flagged)
    # a stricter threshold keeps a subset of the default's flags
    assert {s["index"] for s in flagged} < {s["index"] for s in default["sentences"] if s["flagged"]}
    audited = run("audit", str(EXAMPLE.parent), "--out", str(tmp_path / "out"), "--no-progress", "--min-confidence", "0.8")
    assert audited.returncode == 0, audited.stderr
    assert b"--min-confidence" in run("check", "--help").stdout and b"--min-confidence" in run("audit", "--help").stdout


def test_an_output_that_is_an_input_is_refused_before_checking(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(EXAMPLE.read_bytes())
    link = tmp_path / "link.html"
    link.symlink_to(page)
    for output in (page, link, tmp_path / "." / "page.html"):
        out = run("-o", str(output), str(page))
        assert out.returncode == 2
        assert out.stderr.decode().splitlines() == [f"claimcheck: {output}: the output file is also an input; choose another --output"]
        assert page.read_bytes() == EXAMPLE.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.html", "page.html"]


def test_a_failed_check_leaves_an_existing_output_untouched(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("the previous report\n")
    out = run("-o", str(report), str(tmp_path / "missing.html"))
    assert out.returncode == 2
    assert report.read_text() == "the previous report\n"
    assert out.stderr.decode().splitlines() == [
        f"claimcheck: {tmp_path / 'missing.html'}: no such file",
        f"claimcheck: {report}: not written, as a source could not be checked",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no partial file left behind
    out = run("-o", str(report), "--format", "json", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    assert json.loads(report.read_text())["source"] == str(EXAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_an_output_in_a_missing_folder_is_one_line(tmp_path):
    output = tmp_path / "no" / "such" / "report.txt"
    out = run("-o", str(output), str(EXAMPLE))
    assert out.returncode == 2
    assert out.stderr.decode().splitlines() == [f"claimcheck: {output}: no such folder: {output.parent}"]
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("url", ["https://[::1", "http://[::1]:99999/", "http://a\u200b.example/"])
def test_a_malformed_url_is_one_line(url):
    out = run(url)
    assert out.returncode == 2
    lines = out.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"claimcheck: {url}: malformed URL"), lines


def test_ctrl_c_during_a_fetch_exits_130_with_one_line():
    asked, release = threading.Event(), threading.Event()

    class Stall(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            asked.set()
            release.wait(60)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow"
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimcheck", "--timeout", "60", "--allow-private", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell may have ignored SIGINT
    )
    try:
        assert asked.wait(120), "the check never fetched the page"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        release.set()
        server.shutdown()
        server.server_close()
    assert proc.returncode == 130
    assert stderr.decode().splitlines() == ["claimcheck: interrupted"]
    assert stdout == b""


LONG = (
    "Our clinic's colloidal silver spray is a completely safe and proven cure for chronic sinus infections in adults and "
    "children, and it works faster than any antibiotic a doctor could ever prescribe for them."
)


def test_the_top_level_help_shows_the_check_options():
    text = run("-h").stdout.decode()
    for flag in ("--format", "--fail-on", "--output", "--all", "--accept", "--allow-private", "--max-units"):
        assert flag in text, flag


def test_json_with_several_sources_is_one_array(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(LONG, encoding="utf-8")
    out = run("--format", "json", str(EXAMPLE), str(other))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["source"] for r in data] == [str(EXAMPLE), str(other)]
    failing = run("--format", "json", str(tmp_path / "missing.html"), str(other))
    assert failing.returncode == 2
    assert [r["source"] for r in json.loads(failing.stdout)] == [str(other)]
    nothing = run("--format", "json", str(tmp_path / "a.html"), str(tmp_path / "b.html"))
    assert json.loads(nothing.stdout) == []


def test_piped_text_is_never_wrapped_and_names_a_text_file_once(tmp_path):
    page = tmp_path / "silver.txt"
    page.write_text(LONG, encoding="utf-8")
    text = run(str(page)).stdout.decode()
    assert LONG in text.splitlines() or f"  {LONG}" in text.splitlines()
    assert text.count(str(page)) == 1
    summary = [line for line in text.splitlines() if line.startswith("1 units")]
    assert len(summary) == 1 and summary[0].endswith(("none", "high", "medium", "low"))


def test_a_page_without_flags_says_so(tmp_path):
    page = tmp_path / "calm.txt"
    page.write_text("Our clinic opens at nine. Parking is free for patients.", encoding="utf-8")
    assert "No flagged claims" in run(str(page)).stdout.decode()
    assert "No flagged claims" not in run(str(EXAMPLE)).stdout.decode()


def test_csv_has_one_row_per_unit_and_neutralises_formulas(tmp_path):
    import csv
    import io

    page = tmp_path / "formula.txt"
    page.write_text('=HYPERLINK("http://evil.example","click") is a safe cure for acne.\n\n' + LONG, encoding="utf-8")
    out = run("--format", "csv", str(EXAMPLE), str(page))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout.decode())))
    reports = [json.loads(run("--format", "json", str(p)).stdout) for p in (EXAMPLE, page)]
    assert len(rows) == sum(len(r["sentences"]) for r in reports)
    flagged = [(r["source"], int(r["index"])) for r in rows if r["flagged"] == "yes"]
    assert flagged == [(r["source"], s["index"]) for r in reports for s in r["sentences"] if s["flagged"]]
    formula = next(r for r in rows if "HYPERLINK" in r["text"])
    assert formula["text"].startswith("'=HYPERLINK")
    strong = next(r for r in rows if r["source"] == str(EXAMPLE) and r["flagged"] == "yes")
    assert strong["rules"].startswith("CC") and strong["severity"] in ("high", "medium", "low") and strong["triggers"]


def test_all_lists_every_claim(tmp_path):
    plain = run(str(EXAMPLE)).stdout.decode()
    everything = run("--all", str(EXAMPLE)).stdout.decode()
    report = json.loads(run("--format", "json", str(EXAMPLE)).stdout)
    quiet = [s["text"] for s in report["sentences"] if s["types"] and not s["flagged"]]
    assert quiet and all(t in everything for t in quiet)
    assert not all(t in plain for t in quiet)


def test_html_takes_one_source():
    out = run("--format", "html", str(EXAMPLE), str(EXAMPLE))
    assert out.returncode == 2 and out.stdout == b""
    assert out.stderr.decode().count("\n") == 1 and "--format html" in out.stderr.decode()


def test_accepted_findings_are_kept_marked_and_do_not_fail(tmp_path):
    report = json.loads(run("--format", "json", str(EXAMPLE)).stdout)
    rules = sorted({f["rule"] for s in report["sentences"] for f in s["findings"]} | {f["rule"] for f in report["findings"]})
    accept = tmp_path / "accepted.txt"
    lines = ["# reviewed"] + [f"{EXAMPLE} {rule} checked with the clinic" for rule in rules] + ["https://elsewhere.example/ CC101"]
    accept.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("--fail-on", "low", str(EXAMPLE)).returncode == 1
    out = run("--fail-on", "low", "--accept", str(accept), "--format", "json", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    findings = [f for s in data["sentences"] for f in s["findings"]] + data["findings"]
    assert len(findings) == len([f for s in report["sentences"] for f in s["findings"]] + report["findings"])
    assert all(f["accepted"] == "checked with the clinic" for f in findings)
    assert out.stderr.decode().splitlines() == [f"claimcheck: {accept}:{len(lines)}: matched no finding (https://elsewhere.example/ CC101)"]
    text = run("--accept", str(accept), str(EXAMPLE)).stdout.decode()
    assert "Accepted flags" in text and "accepted: checked with the clinic" in text
    accept.write_text(f"{EXAMPLE} CC999\n", encoding="utf-8")
    bad = run("--accept", str(accept), str(EXAMPLE))
    assert bad.returncode == 2 and bad.stderr.decode().startswith(f"claimcheck: {accept}: line 1: unknown rule 'CC999'")


def test_audit_recognises_sitemaps_and_archives_by_content(tmp_path):
    from .site import Site

    site = Site(n=3, slow_every=0, fail_every=0, flaky_every=0)
    with site.serve() as base:
        urls = site.sitemap_urls(base)[:3]
        sitemap = tmp_path / "pages.xml"
        entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
        sitemap.write_text(f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>")
        warc = tmp_path / "crawl.bin"
        archived = site.write_warc(warc, base, 2)  # two posts and an image
        out = run("audit", str(sitemap), str(warc), "--out", str(tmp_path / "out"), "--no-progress", "--allow-private")
    assert out.returncode == 0, out.stderr
    pages = len(set(urls) | set(archived))
    assert out.stdout.decode().splitlines()[0].startswith(f"{pages + 1} pages: {pages} checked, 0 failed, 1 skipped")


def test_html_report_to_a_file(tmp_path):
    target = tmp_path / "report.html"
    out = run("--format", "html", "-o", str(target), str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    text = target.read_text(encoding="utf-8")
    report = json.loads(run("--format", "json", str(EXAMPLE)).stdout)
    assert text.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in text
    for s in report["sentences"]:
        if s["flagged"]:
            assert f'id="u{s["index"]}"' in text
            assert all(f["rule"] in text for f in s["findings"])


def test_offline_reference_checks_say_what_they_could_not_decide(tmp_path):
    out = run("--offline", "--reference-cache", str(tmp_path / "refs.sqlite"), "--format", "json", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["references"] and all(r["check"]["status"] == "undecided" for r in data["references"])
    assert any("offline: not in the cache" in n for n in data["notices"])
    plain = json.loads(run("--format", "json", str(EXAMPLE)).stdout)
    assert all(r["check"] is None for r in plain["references"])


def test_an_audit_honours_the_acceptance_file(tmp_path):
    accept = tmp_path / "accepted.txt"
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.html").write_bytes(EXAMPLE.read_bytes())
    page = folder / "a.html"
    accept.write_text(f"{page} * reviewed with the clinic\n", encoding="utf-8")
    strict = run("audit", str(folder), "--out", str(tmp_path / "plain"), "--no-progress", "--fail-on", "low")
    assert strict.returncode == 1
    out = run("audit", str(folder), "--out", str(tmp_path / "out"), "--no-progress", "--fail-on", "low", "--accept", str(accept))
    assert out.returncode == 0, out.stderr
    line = json.loads((tmp_path / "out" / "reports.jsonl").read_text(encoding="utf-8").splitlines()[0])
    findings = [f for s in line["sentences"] for f in s["findings"]] + line["findings"]
    assert findings and all(f["accepted"] == "reviewed with the clinic" for f in findings)
    assert (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8").count("\n") == 1  # the header only
    bad = run("audit", str(folder), "--out", str(tmp_path / "bad"), "--accept", str(tmp_path / "missing.txt"))
    assert bad.returncode == 2 and bad.stderr.decode().strip() == f"claimcheck: {tmp_path / 'missing.txt'}: no such acceptance file"
