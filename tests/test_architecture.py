"""Boundaries the design depends on: the engine never imports Textual, heavy imports stay
lazy, and nothing on the path to the first frame loads kubernetes or dnspython."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tminus"
ENGINE_PACKAGES = ["plan", "engine", "checks", "backends", "actions"]
HEAVY = ("kubernetes", "prometheus_api_client", "dns", "plotext", "textual_plotext", "aiohttp")


def module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are not imports at run time
            continue
    return names


@pytest.mark.parametrize("package", ENGINE_PACKAGES)
def test_engine_packages_never_import_textual(package):
    offenders = []
    for path in (SRC / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # anywhere, not only at module level
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            if any(m == "textual" or m.startswith(("textual.", "rich")) for m in mods):
                offenders.append(f"{path.relative_to(SRC)}: {mods}")
    assert not offenders


def test_heavy_libraries_are_imported_lazily():
    offenders = []
    for path in SRC.rglob("*.py"):
        for name in module_level_imports(path):
            if name.split(".")[0] in HEAVY:
                offenders.append(f"{path.relative_to(SRC)} imports {name} at module level")
    assert not offenders


def test_engine_runs_without_textual_loaded():
    code = (
        "import sys\n"
        "from tminus.plan.loader import default_plan\n"
        "from tminus.engine.runner import CheckRunner\n"
        "from tminus.engine.console import ConsoleEngine\n"
        "from tminus.backends.factory import build_backends\n"
        "import tminus.commands.check\n"
        "p = default_plan(); b = build_backends(p)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'kubernetes', 'dns')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_start_path_does_not_load_heavy_libraries():
    code = (
        "import sys\n"
        "import tminus.app, tminus.commands.console\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('kubernetes', 'prometheus_api_client', 'dns', 'plotext')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
