"""Imports inside ``glasskafka`` only point at lower layers (DESIGN §2, STYLE rule 1).

The layer table below is DESIGN §2's, with two deliberate changes: ``bugs`` and ``node`` sit in the
lowest layer beside ``ids``, ``config`` and ``errors``, because every layer that hosts a bug flag
or a node must import them; and ``broker`` sits above ``controller`` and ``group``, because the
broker node hosts those two roles (as Kafka's ``KafkaServer`` creates its ``KafkaController`` and
``GroupCoordinator``), so it must import them, while they reach the broker only through the narrow
interfaces they define.  A module may import its own package and anything in a lower layer.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "glasskafka"

LAYERS: list[set[str]] = [
    {"ids", "config", "errors", "bugs", "node", "__init__"},
    {"records"},
    {"protocol"},
    {"storage"},
    {"log"},
    {"coordination"},
    {"controller"},
    {"group"},
    {"broker"},
    {"assignors"},
    {"client"},
    {"sim"},
    {"runtime"},
    {"history"},
    {"viz"},
    {"exercises"},
    {"cli"},
]


def layer_of(top: str) -> int:
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"glasskafka.{top} is not in the layer table of test_layering.py")


def imports_of(path: pathlib.Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] == "glasskafka"]


def find_violations(package: pathlib.Path) -> list[str]:
    violations = []
    modules = sorted(package.rglob("*.py"))
    assert modules, f"no modules found under {package}"
    for path in modules:
        relative = path.relative_to(package)
        own = relative.parts[0].removesuffix(".py")
        own_layer = layer_of(own)
        for line, name in imports_of(path):
            parts = name.split(".")
            if len(parts) == 1:
                continue  # `import glasskafka` / `from glasskafka import __version__`
            target = parts[1]
            if target != own and layer_of(target) > own_layer:
                violations.append(
                    f"{relative}:{line} imports {name} (layer {layer_of(target)} > {own_layer})"
                )
    return violations


def test_every_module_imports_only_lower_layers() -> None:
    violations = find_violations(PACKAGE)
    assert not violations, "imports point up the layer table:\n" + "\n".join(violations)


def test_layering_check_has_teeth(tmp_path: pathlib.Path) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "segment.py").write_text(
        "import glasskafka.records\nfrom glasskafka.sim.network import Network\n", encoding="utf-8"
    )
    (tmp_path / "records.py").write_text("from glasskafka import ids\n", encoding="utf-8")
    assert find_violations(tmp_path) == [
        "log/segment.py:2 imports glasskafka.sim.network (layer 11 > 4)"
    ]
