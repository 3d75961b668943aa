"""Chapter 3's scripts run, print what the chapter says they print, and the picture is current.

Each script runs as a student would run it, from the repository root
(``python -m tutorials.ch03_topics_and_partitions.<name>``).  Every listing in ``chapter.md``
that follows a ``% output: <name>`` line must appear in that script's output, its lines in the
listing's order (trailing blanks aside), so the text cannot drift from the code.  The
``{graphviz}`` file the chapter shows must be exactly what ``draw_cluster`` prints, and render.
Beyond the listings, the claims the prose makes are read off the output: the placement rule,
keys choosing partitions as Kafka's Java client does (checked against kafka-python's murmur2),
offsets counted per partition from 0, and one directory per replica on each broker's disk.

Spec IDs: none checked here (placement is a policy; the controller's tests check it).

Simplified from Kafka: Kafka's documentation shows no runnable placement examples to compare
against.
"""

from __future__ import annotations

import functools
import pathlib
import re

import pytest
from glasskafka.controller.placement import assign_replicas_course
from glasskafka.ids import BrokerId

from tutorials.listings import Chapter, in_order

CHAPTER = Chapter(
    directory=pathlib.Path(__file__).resolve().parent,
    timeout_s=120.0,
    environment={"PYTHONHASHSEED": "0"},
)
SCRIPTS = ("describe_topic", "placement_rules", "keys_and_offsets", "on_disk")


@functools.cache
def output(name: str) -> str:
    """What script ``name`` prints (run once per test session)."""
    return CHAPTER.printed(name)


def test_the_chapter_shows_every_script() -> None:
    assert {name for name, _ in CHAPTER.listings()} == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_listing_is_what_its_script_prints(name: str) -> None:
    CHAPTER.check_listings({name: output(name)}, key=str.rstrip)  # trailing blanks aside


def test_in_order_refuses_lines_out_of_order_or_missing() -> None:
    assert in_order(["a", "c"], ["a", "b", "c"])
    assert not in_order(["c", "a"], ["a", "b", "c"])
    assert not in_order(["d"], ["a", "b", "c"])


def test_describe_follows_the_course_rule_and_kafkas_format() -> None:
    printed = output("describe_topic")
    expected = assign_replicas_course(
        [BrokerId(1), BrokerId(2), BrokerId(3)], num_partitions=5, replication_factor=2
    )
    for partition, replicas in expected.items():
        line = (
            f"\tTopic: page_visits\tPartition: {partition}\tLeader: {replicas[0]}"
            f"\tReplicas: {','.join(map(str, replicas))}\tIsr: {','.join(map(str, replicas))}"
        )
        assert line in printed.splitlines()
    assert printed.count("(same as the controller)") == 5 and "DIFFERENT" not in printed


def test_the_controller_refuses_bad_topics_with_kafkas_codes() -> None:
    printed = output("describe_topic")
    assert "replication factor 4 on 3 brokers: INVALID_REPLICATION_FACTOR (38)" in printed
    assert "0 partitions: INVALID_PARTITIONS (37)" in printed
    assert "not a safe directory name: INVALID_TOPIC_EXCEPTION (17)" in printed
    assert "escape" not in output("on_disk"), "a refused topic left a directory behind"


def test_kafkas_rule_shifts_the_followers_once_it_wraps() -> None:
    printed = output("placement_rules")
    assert "course's rule          0:[1, 2]  1:[2, 3]  2:[3, 1]  3:[1, 2]  4:[2, 3]" in printed
    assert "Kafka's, start 0       0:[1, 2]  1:[2, 3]  2:[3, 1]  3:[1, 3]  4:[2, 1]" in printed
    assert "course's rule  1: 30, 2: 0, 3: 0" in printed


def visits() -> list[tuple[str, int, int, int]]:
    """``(key, hash, partition, offset)`` for each visit line of ``keys_and_offsets``."""
    pattern = r"^(user-\d+)\s+(\d+)\s+(\d+)  -> partition (\d+), offset (\d+)"
    found = re.findall(pattern, output("keys_and_offsets"), flags=re.M)
    assert len(found) == 8
    return [(key, int(h), int(p), int(o)) for key, h, modulo, p, o in found if modulo == p]


def test_keys_choose_partitions_as_kafkas_java_client_does() -> None:
    default = pytest.importorskip("kafka.partitioner.default")
    seen = visits()
    assert len(seen) == 8, "the printed modulo and partition disagree"
    for key, hashed, partition, _ in seen:
        # kafka-python's murmur2 is an independent port of the Java client's Utils.murmur2.
        assert hashed == default.murmur2(key.encode()) & 0x7FFFFFFF
        assert partition == hashed % 5


def test_offsets_count_from_zero_in_each_partition() -> None:
    offsets: dict[int, list[int]] = {}
    keys: dict[str, set[int]] = {}
    for key, _, partition, offset in visits():
        offsets.setdefault(partition, []).append(offset)
        keys.setdefault(key, set()).add(partition)
    assert len(offsets) >= 2
    for found in offsets.values():
        assert found == list(range(len(found)))
    assert all(len(partitions) == 1 for partitions in keys.values()), "a key moved partition"


def test_each_broker_has_a_directory_per_replica_and_replicas_match() -> None:
    expected = assign_replicas_course(
        [BrokerId(1), BrokerId(2), BrokerId(3)], num_partitions=5, replication_factor=2
    )
    sections = re.split(r"^broker-(\d) .*$", output("on_disk"), flags=re.M)[1:]
    sizes: dict[str, set[str]] = {}
    for broker, text in zip(sections[::2], sections[1::2], strict=True):
        directories = re.findall(r"^  (page_visits-(\d))/$", text, flags=re.M)
        held = sorted(int(p) for _, p in directories)
        assert held == [p for p, rs in expected.items() if int(broker) in rs]
        for directory, log in re.findall(
            r"^  (page_visits-\d)/\n(?:    .*\n)*?    00000000000000000000\.log\s+(\d+) bytes",
            text,
            flags=re.M,
        ):
            sizes.setdefault(directory, set()).add(log)
    assert len(sizes) == 5 and all(len(s) == 1 for s in sizes.values()), sizes


def test_the_scripts_do_not_depend_on_hash_order() -> None:
    assert CHAPTER.printed("keys_and_offsets", environment={"PYTHONHASHSEED": "1"}) == (
        CHAPTER.printed("keys_and_offsets", environment={"PYTHONHASHSEED": "2"})
    )


def test_the_picture_is_what_draw_cluster_prints() -> None:
    kept = CHAPTER.check_picture("page_visits", script="draw_cluster")
    for label in ("broker 1", "broker 3", "page_visits-4", "/search"):
        assert label in kept


def test_the_picture_renders() -> None:
    CHAPTER.render("page_visits")
