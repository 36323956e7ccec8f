"""Sentence splitting: abbreviations, citation markers, headings and list items."""

from claimcheck.records import Block, Document, Marker
from claimcheck.segmentation import segment


def units_of(*blocks: Block) -> list[tuple[str, str]]:
    return [(u.unit, u.text) for u in segment(Document("test", tuple(blocks)))]


def test_abbreviations_do_not_end_sentences():
    text = "Smith et al. reported fewer flares vs. placebo (see Fig. 2), e.g. in older adults. The effect faded."
    assert [t for _, t in units_of(Block("paragraph", text))] == [
        "Smith et al. reported fewer flares vs. placebo (see Fig. 2), e.g. in older adults.",
        "The effect faded.",
    ]


def test_markers_after_the_full_stop_stay_with_their_sentence():
    text = "Sleep improved in the trial.[4] Mood did not change.3 Nobody dropped out."
    sup = text.index(".3") + 1
    block = Block("paragraph", text, markers=(Marker(sup, sup + 1, "3"),))
    assert [t for _, t in units_of(block)] == [
        "Sleep improved in the trial.[4]",
        "Mood did not change.3",
        "Nobody dropped out.",
    ]


def test_headings_and_list_items_are_units_of_their_own():
    out = units_of(
        Block("heading", "Why Cupping Works"),
        Block("list_item", "Less soreness. Faster recovery."),
        Block("paragraph", "Book now. Spaces are limited."),
    )
    assert out == [
        ("heading", "Why Cupping Works"),
        ("list_item", "Less soreness. Faster recovery."),
        ("sentence", "Book now."),
        ("sentence", "Spaces are limited."),
    ]


def test_units_are_numbered_in_document_order():
    units = segment(
        Document(
            "test",
            (
                Block("paragraph", "First claim. Second claim. Third claim."),
                Block("heading", "A heading"),
                Block("paragraph", "Fourth claim. Fifth claim."),
            ),
        )
    )
    assert [u.index for u in units] == list(range(6))
    assert [u.block for u in units] == [0, 0, 0, 1, 2, 2]
