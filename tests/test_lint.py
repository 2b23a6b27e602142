"""The linter in the suite: `ruff check gesture tests` with the rules in pyproject.toml."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    if ruff.is_file():
        cmd = [str(ruff)]
    elif importlib.util.find_spec("ruff") is not None:
        cmd = [sys.executable, "-m", "ruff"]
    else:
        pytest.skip("ruff is not installed: pip install -e '.[test]' (or pip install ruff)")
    r = subprocess.run(cmd + ["check", "gesture", "tests"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_function_is_longer_than_a_screen():
    """60 lines at most, so each reads at a glance; the argument table (args.get_parser) is a table."""
    import ast

    long = []
    for path in sorted((ROOT / "gesture").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "get_parser":
                if node.end_lineno - node.lineno + 1 > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not long, long
