"""The wire-protocol page shows what the code really produces.

``docs/concepts/wire-protocol.md`` carries annotated hex dumps and a Python example.  The dumps
must be exactly what ``glasskafka.protocol.annotate`` prints for the messages the page describes,
and the example must run, so the page cannot drift from the code.  The advertised-window table
must list the same versions as the API table.
"""

from __future__ import annotations

import pathlib
import re
import types

from glasskafka.protocol import (
    API_TABLE,
    MetadataRequest,
    ProduceResponse,
    RequestHeader,
    ResponseHeader,
    annotate_request,
    annotate_response,
    encode_request,
    encode_response,
)
from glasskafka.protocol.messages.metadata import MetadataRequestTopic
from glasskafka.protocol.messages.produce import PartitionProduceResponse, TopicProduceResponse

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "concepts" / "wire-protocol.md"


def blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def dump(title: str) -> str:
    found = [block.rstrip("\n") for block in blocks("text") if block.startswith(f"# {title}")]
    assert len(found) == 1, f"the page should show one dump titled {title!r}"
    return found[0]


def test_the_page_starts_with_its_only_title() -> None:
    prose = re.sub(r"^```.*?^```", "", PAGE.read_text(encoding="utf-8"), flags=re.M | re.S)
    titles = [line for line in prose.splitlines() if line.startswith("# ")]
    assert titles == [PAGE.read_text(encoding="utf-8").splitlines()[0]]


def test_the_metadata_request_dump_is_what_the_code_prints() -> None:
    header = RequestHeader(api_key=3, api_version=1, correlation_id=7, client_id="console")
    frame = encode_request(header, MetadataRequest(topics=(MetadataRequestTopic(name="orders"),)))
    assert dump("MetadataRequest v1") == annotate_request(frame)


def test_the_produce_response_dump_is_what_the_code_prints() -> None:
    response = ProduceResponse(
        responses=(
            TopicProduceResponse(
                name="orders",
                partition_responses=(
                    PartitionProduceResponse(index=0, error_code=0, base_offset=42),
                ),
            ),
        ),
    )
    frame = encode_response(ResponseHeader(correlation_id=8), response, 1)
    assert dump("ProduceResponse v1") == annotate_response(frame, api_key=0, api_version=1)


def test_the_python_example_runs() -> None:
    examples = blocks("python")
    assert examples, "the page should carry a runnable example"
    for example in examples:
        exec(compile(example, str(PAGE), "exec"), types.ModuleType("wire_example").__dict__)


def test_the_window_table_lists_the_advertised_versions() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for api in API_TABLE.values():
        if api.advertised is None:
            continue
        low, high = api.advertised.lowest, api.advertised.highest
        row = next(line for line in text.splitlines() if f"{api.name} ({int(api.key)})" in line)
        assert f"{low}–{high}" in row, f"the window table's row for {api.name} says {row!r}"
