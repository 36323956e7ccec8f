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
