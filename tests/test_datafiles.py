"""Data files are validated on load, with errors that name the file, the entry and the allowed keys."""

import json

import pytest

from claimcheck import DataFileError
from claimcheck.rules import load_rules
from claimcheck.wording import load_lexicon


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_packaged_files_load():
    assert {r.id for r in load_rules().rules} >= {"CC101", "CC102", "CC103", "CC104", "CC105", "CC201", "CC202", "CC203", "CC204", "CC205"}
    assert load_lexicon().categories


def test_unknown_rule_key_names_file_entry_and_allowed_keys(tmp_path):
    path = write(
        tmp_path,
        "rules.json",
        {
            "version": 1,
            "call_to_action": ["book now"],
            "object_stopwords": [],
            "rules": [{"id": "X1", "name": "x", "scope": "sentence", "severity": "high", "message": "m", "colour": "red"}],
        },
    )
    with pytest.raises(DataFileError) as info:
        load_rules(path)
    message = str(info.value)
    assert str(path) in message and "rules[0]" in message and "colour" in message and "severity" in message


def test_bad_severity_and_unknown_message_field(tmp_path):
    base = {"version": 1, "call_to_action": ["book now"], "object_stopwords": []}
    bad_severity = write(
        tmp_path, "a.json", {**base, "rules": [{"id": "X", "name": "x", "scope": "sentence", "severity": "urgent", "message": "m"}]}
    )
    with pytest.raises(DataFileError, match="severity must be one of"):
        load_rules(bad_severity)
    bad_field = write(
        tmp_path, "b.json", {**base, "rules": [{"id": "X", "name": "x", "scope": "sentence", "severity": "low", "message": "{drug}"}]}
    )
    with pytest.raises(DataFileError, match="unknown fields"):
        load_rules(bad_field)


def test_lexicon_with_a_broken_pattern(tmp_path):
    path = write(
        tmp_path,
        "wording.json",
        {
            "version": 1,
            "negators": ["not"],
            "clause_openers": ["which"],
            "testimonial": {"first_person": ["i"], "benefit_words": ["pain"]},
            "categories": {"hype": {"effect": "strong", "phrases": ["re:(unclosed"]}},
        },
    )
    with pytest.raises(DataFileError, match="categories.hype"):
        load_lexicon(path)


def test_lexicon_phrase_in_two_categories_names_both(tmp_path):
    path = write(
        tmp_path,
        "wording.json",
        {
            "version": 1,
            "negators": ["not"],
            "clause_openers": ["which"],
            "testimonial": {"first_person": ["i"], "benefit_words": ["pain"]},
            "categories": {
                "booster": {"effect": "strong", "phrases": ["clinically proven"]},
                "establishment": {"effect": "strong", "phrases": ["Clinically-proven"]},
            },
        },
    )
    with pytest.raises(
        DataFileError, match=r"categories\.establishment: phrase 'Clinically-proven' is already listed in categories\.booster"
    ):
        load_lexicon(path)
