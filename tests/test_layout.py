"""The shape of the code that DESIGN.md promises: the domain (``knowledge``) never imports the shell
(``bot``), the platform adapters never import each other, and no two modules import each other at load time
(directly or round a longer loop). Read from the source with ``ast``: what each module imports at its top
level, ``if TYPE_CHECKING:`` blocks aside."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("knowledge", "bot"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _imports() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                found = _resolve(target, modules)
                if found is not None and found != name:
                    graph[name].add(found)
    return graph


def test_no_two_modules_import_each_other_at_load_time() -> None:
    try:
        tuple(TopologicalSorter(_imports()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_domain_never_imports_the_shell_and_the_platforms_never_import_each_other() -> None:
    wrong = [
        (module, target)
        for module, targets in _imports().items()
        for target in targets
        if (module.startswith("knowledge") and target.startswith("bot"))
        or (module.startswith("bot.teams") and target.startswith("bot.slack"))
        or (module.startswith("bot.slack") and target.startswith("bot.teams"))
    ]
    assert wrong == []
