"""Options are validated when built, with one line naming the option and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimcheck import InputError, Options


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"total_timeout": 0}, "option total_timeout (--timeout): expected a number of seconds above 0, got 0"),
        ({"connect_timeout": -1.5}, "option connect_timeout: expected a number of seconds above 0, got -1.5"),
        ({"read_timeout": float("nan")}, "option read_timeout: expected a number of seconds above 0, got nan"),
        ({"total_timeout": "60"}, "option total_timeout (--timeout): expected a number of seconds above 0, got '60'"),
        ({"max_bytes": 0}, "option max_bytes (--max-bytes): expected a whole number of bytes, at least 1, got 0"),
        ({"max_bytes": 1.5}, "option max_bytes (--max-bytes): expected a whole number of bytes, at least 1, got 1.5"),
        ({"max_bytes": True}, "option max_bytes (--max-bytes): expected a whole number of bytes, at least 1, got True"),
        ({"max_redirects": -1}, "option max_redirects: expected a whole number, at least 0, got -1"),
        ({"user_agent": ""}, "option user_agent: expected one non-empty line of text, got ''"),
        ({"user_agent": "a\r\nX-Injected: 1"}, "option user_agent: expected one non-empty line of text, got 'a\\r\\nX-Injected: 1'"),
        ({"model_path": 3}, "option model_path (--model): expected a directory path, got 3"),
        ({"min_confidence": 1.5}, "option min_confidence (--min-confidence): expected a number from 0 to 1, got 1.5"),
        ({"min_confidence": -0.1}, "option min_confidence (--min-confidence): expected a number from 0 to 1, got -0.1"),
    ],
)
def test_invalid_values_raise_one_line_naming_the_option(values, message):
    with pytest.raises(InputError) as info:
        Options(**values)
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("value", [0, 0.0, 0.35, 1, 1.0, None])
def test_min_confidence_accepts_zero_to_one(value):
    assert Options(min_confidence=value).min_confidence == value


def test_the_read_timeout_never_outlasts_the_whole_fetch():
    assert Options(total_timeout=5).read_timeout == 5
    assert Options(total_timeout=5, read_timeout=2).read_timeout == 2
    assert Options().read_timeout == 20.0
    assert Options(total_timeout=5) == Options(total_timeout=5, read_timeout=30)


def test_options_are_hashable_and_a_model_path_is_a_path():
    assert Options(model_path="models") == Options(model_path=Path("models"))
    assert isinstance(Options(model_path="models").model_path, Path)
    assert len({Options(), Options(), Options(max_bytes=10)}) == 2
