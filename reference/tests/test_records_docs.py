"""The annotated batch on ``docs/concepts/record-batch.md`` is what the code produces.

The page shows a Python call and a byte-by-byte listing of its result.  This test runs the call
as printed, and checks the listing's bytes, its offset column, and that kafka-python's builder
writes the same bytes.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from glasskafka.records import Record, decode_batch, encode_batch
from kafka.record.default_records import DefaultRecordBatchBuilder

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "record-batch.md"
SECTION = "## One real batch, byte by byte"
LISTING_LINE = re.compile(r"^\s*(\d+)  ((?:[0-9a-f]{2} ?)+?)\s{2,}(\S.*)$")


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    assert SECTION in text, f"{PAGE} lost its section {SECTION!r}"
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def listed_bytes(text: str | None = None) -> bytes:
    """The bytes of the listing, checking each line's offset against the bytes before it."""
    (listing,) = fenced_blocks(section() if text is None else text, "text")
    data = bytearray()
    for line in listing.splitlines():
        match = LISTING_LINE.match(line)
        assert match, f"listing line does not parse: {line!r}"
        assert int(match.group(1)) == len(data), f"offset column is wrong at {line!r}"
        data += bytes.fromhex(match.group(2))
    return bytes(data)


def example_batch() -> bytes:
    """Run the page's Python example and return what it evaluates to."""
    (example,) = fenced_blocks(section(), "python")
    result = eval(example, {"encode_batch": encode_batch, "Record": Record})  # the page's own code
    assert isinstance(result, bytes)
    return result


def test_the_listing_is_what_the_example_encodes() -> None:
    assert listed_bytes() == example_batch()


def test_the_listing_decodes_to_the_example_records() -> None:
    decoded = decode_batch(listed_bytes())
    assert [(r.offset, r.key, r.value, r.headers) for r in decoded.records] == [
        (0, b"k", b"hello", (("h", b"v"),)),
        (1, None, b"world", ()),
    ]


def test_kafka_python_writes_the_same_bytes() -> None:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=False,
        producer_id=1000,
        producer_epoch=0,
        base_sequence=0,
        batch_size=2**20,
    )
    builder.append(0, 1_700_000_000_000, b"k", b"hello", [("h", b"v")])
    builder.append(1, 1_700_000_000_005, None, b"world", [])
    assert bytes(builder.build()) == listed_bytes()


@pytest.mark.parametrize(
    ("original", "damaged", "message"),
    [
        (" 12  00 00 00 00 ", " 13  00 00 00 00 ", "offset column"),
        (" 16  02  ", " 16  2  ", "does not parse"),
    ],
)
def test_the_listing_check_has_teeth(original: str, damaged: str, message: str) -> None:
    # A listing with a wrong offset or a malformed byte must be rejected, not silently skipped.
    text = section()
    assert original in text
    with pytest.raises(AssertionError, match=message):
        listed_bytes(text.replace(original, damaged, 1))
