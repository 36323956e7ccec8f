"""Reference entries: identifiers and fields in the usual citation styles."""

import pytest

from claimcheck.references import find_identifiers, parse_reference


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("Lee K. Title. J X. 2020;1:2. doi:10.1016/j.jpain.2020.01.004.", {"doi"}),
        ("Lee K. Title. J X. 2020. PMID: 31234567", {"pmid"}),
        ("Available at https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/", {"pmcid", "url"}),
        ("Registered as NCT04567890.", {"nct"}),
        ("Lee K. A title with no identifier. Journal of Things, vol. 3, 2019.", set()),
    ],
)
def test_identifier_kinds(text, kinds):
    assert {i.kind for i in find_identifiers(text)} == kinds


def test_doi_loses_trailing_punctuation():
    assert find_identifiers("(doi: 10.1000/abc.123).")[0].value == "10.1000/abc.123"


def test_mla_entry_parses_authors_title_journal_year():
    ref = parse_reference(
        1, '3. Patel, R. K., et al. "Magnesium and Sleep Quality in Older Adults." Sleep Medicine Notes, vol. 4, 2020, pp. 11-19.'
    )
    assert ref.number == 3
    assert ref.year == 2020
    assert ref.title == "Magnesium and Sleep Quality in Older Adults"
    assert ref.journal == "Sleep Medicine Notes"
    assert ref.authors[0].startswith("Patel")
    assert ref.identifiers == ()


def test_vancouver_entry():
    ref = parse_reference(2, "Moreno L, Adeyemi T. Ginger for nausea after surgery. Anesth Rep. 2018;12(2):101-9. PMID: 29876543")
    assert ref.title == "Ginger for nausea after surgery"
    assert ref.journal == "Anesth Rep"
    assert ref.year == 2018
    assert [i.kind for i in ref.identifiers] == ["pmid"]
