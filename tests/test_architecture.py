"""Boundaries the design depends on: the engine never imports Textual, heavy imports stay
lazy, and nothing on the path to the first frame loads kubernetes or dnspython.

The layer rules themselves are import-linter contracts in pyproject.toml (`make test` runs
`lint-imports`); the tests here prove those contracts can fail and check at run time what
static analysis cannot see."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tminus"
ENGINE_PACKAGES = ["core", "plan", "engine", "checks", "backends", "actions", "report"]
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
            if any(
                m in ("textual", "rich") or m.startswith(("textual.", "rich.", "tminus.ui"))
                for m in mods
            ):
                offenders.append(f"{path.relative_to(SRC)}: {mods}")
    assert not offenders


def test_heavy_libraries_are_imported_lazily():
    offenders = []
    for path in SRC.rglob("*.py"):
        for name in module_level_imports(path):
            if name.split(".")[0] in HEAVY:
                offenders.append(f"{path.relative_to(SRC)} imports {name} at module level")
    assert not offenders


def test_every_engine_module_imports_without_textual():
    """Imports every module below the UI, the lazily loaded check kinds, actions and
    follow included, then looks at what was loaded."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import tminus\n"
        f"for pkg in {ENGINE_PACKAGES!r}:\n"
        "    root = importlib.import_module('tminus.' + pkg)\n"
        "    for m in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "names = sorted(m for m in sys.modules if m.startswith('tminus.'))\n"
        # (rich is not checked here: httpx loads it for its own command-line tool)
        "bad = [m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith('tminus.ui')]\n"
        "print(len(names), bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, bad = out.stdout.strip().split(" ", 1)
    assert bad == "[]"
    assert int(count) > 50  # the walk really imported the engine side
    for lazy in ("checks/kubernetes.py", "checks/dns.py", "engine/follow.py"):
        assert (SRC / lazy).exists()


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(exe)], cwd=root, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize(
    "victim, line",
    [
        # an engine module that reaches up into the UI, lazily, inside a function
        ("engine/follow.py", "def _regression():\n    import tminus.ui.app  # noqa\n"),
        # a check kind loaded on first use that pulls in Textual
        ("checks/dns.py", "def _regression():\n    import textual.app  # noqa\n"),
        # the core reaching up into the plan layer
        ("core/results.py", "def _regression():\n    import tminus.plan.model  # noqa\n"),
    ],
)
def test_import_contracts_fail_on_a_regression(tmp_path, victim, line):
    import shutil

    root = SRC.parents[1]
    shutil.copytree(root / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0
    target = tmp_path / "src" / "tminus" / victim
    target.write_text(target.read_text() + "\n\n" + line)
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0, broken.stdout
    assert "BROKEN" in broken.stdout


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
        "import tminus.ui.app, tminus.commands.console\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('kubernetes', 'prometheus_api_client', 'dns', 'plotext')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_start_path_leaves_what_the_first_frame_does_not_need():
    """What `tminus demo` loads and does before its first frame (the command line, the app,
    the engine, the demo world, the embedded plan parsed) leaves the help screen, the
    config writer and importlib's resource readers (zipfile and kin) for later."""
    code = (
        "import sys\n"
        "import tminus.cli, tminus.ui.app, tminus.commands.console\n"
        "import tminus.backends.demo, tminus.backends.factory\n"
        "from tminus.plan.loader import default_plan\n"
        "assert default_plan().phases\n"
        "later = ('tminus.ui.screens.help', 'tomli_w', 'importlib.resources', 'zipfile')\n"
        "print([m for m in later if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
