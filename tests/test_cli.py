"""The command line as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

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
