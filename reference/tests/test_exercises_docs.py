"""The classroom pages say what the code does: curriculum, labs guide, teacher's guide, glossary.

* the curriculum has the twelve chapters in course order, each with goals, code, pictures, labs
  and both kinds of exercise, and names every lab and every bug flag; every spec ID it predicts
  is a registered one;
* the labs guide and the teacher's guide describe every lab and the bug hunt;
* the glossary maps the course's Chinese terms (偏移量, 分区, 副本, 消费者组, 幂等性, 再均衡 and
  the others) to Kafka's words and to modules that exist.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest
from glasskafka.bugs import CATALOGUE
from glasskafka.exercises import LABS

from specs.catalogue import load_all

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"


def page(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


CHAPTERS = [
    "Why a message queue",
    "The log",
    "Topics and partitions",
    "Replication and acks",
    "Leader election",
    "Partitions, keys and ordering",
    "The idempotent producer",
    "Consumer groups and rebalancing",
    "Assignment strategies",
    "Delivery semantics",
    "Running a cluster",
    "Benchmarking and the cost of acks",
]


def chapters() -> list[str]:
    text = page(GUIDE / "curriculum.md")
    return re.split(r"\n## Chapter \d+: ", text)[1:]


def test_the_curriculum_has_the_twelve_chapters_in_course_order() -> None:
    text = page(GUIDE / "curriculum.md")
    found = re.findall(r"^## Chapter (\d+): (.+)$", text, flags=re.MULTILINE)
    assert found == [(str(n), title) for n, title in enumerate(CHAPTERS, start=1)]
    assert text.startswith("# ") and text.count("\n# ") == 0


@pytest.mark.parametrize("number", range(1, 13))
def test_every_chapter_has_goals_code_pictures_labs_and_both_kinds_of_exercise(
    number: int,
) -> None:
    section = chapters()[number - 1]
    for part in ("**Goals.**", "**Run.**", "**Pictures.**", "**Labs.**", "**Exercises.**"):
        assert part in section, (number, part)
    assert "*Reason about it.*" in section
    assert "*Break it and predict the symptom.*" in section


def test_the_curriculum_links_the_chapters_by_their_folders() -> None:
    text = page(GUIDE / "curriculum.md")
    for folder in (
        "ch06_partitions_keys_and_ordering",
        "ch07_the_idempotent_producer",
        "ch08_consumer_groups_and_rebalancing",
        "ch10_delivery_semantics",
        "ch12_benchmarking_and_the_cost_of_acks",
    ):
        assert f"tutorials/{folder}/" in text
    for link in re.findall(r"\]\(\.\./_generated/tutorials/(ch\d\d_\w+)/index\.md\)", text):
        assert (ROOT / "tutorials" / link / "chapter.md").is_file(), link
    assert "{doc}`run-a-cluster`" in text


def test_the_curriculum_names_every_lab_and_every_bug_flag() -> None:
    text = page(GUIDE / "curriculum.md")
    for name in LABS:
        assert f"`{name}`" in text, name
    for flag in CATALOGUE:
        assert f"`{flag}`" in text, flag


def test_every_predicted_invariant_is_a_registered_spec() -> None:
    registry = load_all()
    text = page(GUIDE / "curriculum.md")
    predicted = set(re.findall(r"\*\*([A-Z]+-\d+)\*\*", text))
    assert predicted and predicted <= set(registry)


@pytest.mark.parametrize("name", ["labs.md", "teachers-guide.md"])
def test_the_guides_describe_every_lab_and_the_bug_hunt(name: str) -> None:
    text = page(GUIDE / name)
    for lab in LABS:
        assert f"| `{lab}` |" in text, (name, lab)
    assert "bughunt" in text and "check bughunt" in text


COURSE_TERMS = (
    "偏移量",
    "分区",
    "副本",
    "消费者组",
    "幂等性",
    "再均衡",
    "主题",
    "生产者",
    "消费者",
    "分段",
    "稀疏索引",
    "分配策略",
    "范围",
    "轮询",
    "粘性",
    "自动提交",
    "手动提交",
    "消息队列",
    "点对点",
    "发布订阅",
    "拉模式",
    "集群",
    "确认",
    "基准测试",
)


def glossary_rows() -> list[tuple[str, str, str]]:
    text = page(ROOT / "docs" / "concepts" / "glossary.md")
    rows = re.findall(r"^\| ([^|]*[\u4e00-\u9fff][^|]*) \| ([^|]+) \| ([^|]+) \|$", text, re.M)
    return [(a.strip(), b.strip(), c.strip()) for a, b, c in rows]


def test_the_glossary_has_the_courses_chinese_terms() -> None:
    chinese = " ".join(row[0] for row in glossary_rows())
    for term in COURSE_TERMS:
        assert term in chinese, term


def test_every_module_the_glossary_names_exists() -> None:
    named = [m for *_, where in glossary_rows() for m in re.findall(r"`([\w./]+)`", where)]
    modules = [name for name in named if name.startswith("glasskafka")]
    paths = [name for name in named if name.endswith((".py", "/"))]
    assert len(modules) > 40 and paths
    for name in modules:
        assert importlib.util.find_spec(name) is not None, name
    for name in paths:
        assert (ROOT / name).exists(), name
