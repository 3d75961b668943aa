"""Chapter 6's scripts run, print what the chapter says they print, and the pictures are current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch06_partitions_keys_and_ordering.<name>``).  Every listing in
``chapter.md`` that follows a ``% output: <name>`` line must appear in that script's output, its
lines in the listing's order, so the text cannot drift from the code; the partitioner the
chapter quotes must be the one the script runs.  Every ``{graphviz}`` file the chapter shows
must be exactly what ``draw_pictures`` prints for it -- drawn from a real simulator run -- and
must render.

Spec IDs: ORDER-1 is the chapter's subject; the claims test reads it off the printed logs.

Simplified from Kafka: the key placements are compared with Kafka's own murmur2 vectors
(``reference/clients-and-groups.md`` §8), not with a running Java producer.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from tutorials.listings import Chapter

CHAPTER = Chapter(directory=pathlib.Path(__file__).resolve().parent)
SCRIPTS = ["keyed_records", "keyless_records", "two_partitions", "retries_reorder"]


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {name: CHAPTER.run(name).stdout for name in SCRIPTS}


def test_the_chapter_shows_every_script(outputs: dict[str, str]) -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


def test_every_listing_is_what_its_script_prints(outputs: dict[str, str]) -> None:
    CHAPTER.check_listings(outputs)


def test_the_quoted_partitioner_is_the_one_that_runs() -> None:
    (quoted,) = re.findall(r"^```python\n(.*?)```", CHAPTER.text(), flags=re.M | re.S)
    assert quoted in (CHAPTER.directory / "keyless_records.py").read_text(encoding="utf-8")


def test_the_outputs_tell_the_chapters_story(outputs: dict[str, str]) -> None:
    """The claims the prose makes, read off the scripts' output."""
    keyed = outputs["keyed_records"]
    # Kafka's vectors: murmur2("21") = -973932308, murmur2("foobar") = -790332482, and "key"
    # lands in partition 1 of 3 (reference/clients-and-groups.md §8).
    assert re.search(r"^21 +-973932308 +1173551340  0$", keyed, flags=re.M)
    assert re.search(r"^foobar +-790332482 +1357151166  0$", keyed, flags=re.M)
    assert re.search(r"^key +-1079937367 +1067546281  1$", keyed, flags=re.M)
    # Every record of a key lands in one partition, at rising offsets (ORDER-1 per key).
    placed: dict[str, list[tuple[int, int]]] = {}
    for key, partition, offset in re.findall(
        r"send\(key='(\w+)'.*-> partition (\d+), offset (\d+)", keyed
    ):
        placed.setdefault(key, []).append((int(partition), int(offset)))
    assert len(placed) == 3
    for spots in placed.values():
        assert len({partition for partition, _ in spots}) == 1
        assert [offset for _, offset in spots] == sorted(offset for _, offset in spots)
    # The explicit partition wins for every record.
    assert (
        "explicit partition=2               2 2 2 2 2 2 2 2 2 2 2 2" in outputs["keyless_records"]
    )
    # Across two partitions the read order differs from the send order...
    assert "total order kept: no" in outputs["two_partitions"]
    # ...and inside one, retries reorder without idempotence but not with it.
    without, with_idempotence = outputs["retries_reorder"].split("\n\n")[:2]
    assert "m0 m1 m2 in send order: no" in without and "OUT_OF_ORDER" not in without
    assert "m0 m1 m2 in send order: yes" in with_idempotence
    assert "OUT_OF_ORDER_SEQUENCE_NUMBER" in with_idempotence


def test_every_picture_is_what_draw_pictures_prints() -> None:
    CHAPTER.check_every_picture(script="draw_pictures")


def test_the_pictures_render() -> None:
    for name in CHAPTER.pictures():
        CHAPTER.render(name)


@pytest.mark.parametrize("args", [[], ["nonsense"], ["keys", "extra"]])
def test_draw_pictures_refuses_a_bad_figure_name(args: list[str]) -> None:
    result = CHAPTER.run("draw_pictures", *args, status=2)
    assert result.stdout == "" and "usage: draw_pictures FIGURE (one of: keys" in result.stderr
