"""The package's shape: subpackages follow the data's path and import in one direction only.

Read from the source with ast, every import (at the top of a module or inside a function):

    core      gesture/*.py that are not entry points: errors, paths, util, config, preprocess
    data      <- core
    capture   <- core, data
    prior     <- core
    model     <- core, prior
    learn     <- core, data, prior, model
    live      <- core, data, capture, prior, model (never learn: relearning is started by module name)
    bench, tools, and the entry points (cli, args, demo, __main__) may import anything
"""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "gesture"
ENTRY = {"cli", "args", "demo", "__main__"}
ALLOWED = {
    "core": {"core"},
    "data": {"core", "data"},
    "capture": {"core", "data", "capture"},
    "prior": {"core", "prior"},
    "model": {"core", "prior", "model"},
    "learn": {"core", "data", "prior", "model", "learn"},
    "live": {"core", "data", "capture", "prior", "model", "live"},
}


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"  # the package itself (gesture/__init__.py: the start time)
    if len(parts) == 2 and (PKG / f"{parts[1]}.py").is_file():
        return "entry" if parts[1] in ENTRY else "core"
    return parts[1]


def _imports(module: str, path: Path):
    """(imported module, names) for every `from ... import` and `import gesture...` in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "gesture" or target.startswith("gesture."):
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    is_module = any(m == sub for m, _ in MODULES)
                    yield (sub, None) if is_module else (target, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("gesture"):
                    yield alias.name, None


MODULES = list(_modules())


def test_subpackages_import_in_one_direction_only():
    wrong = []
    for module, path in MODULES:
        layer = _layer(module)
        if layer not in ALLOWED:
            continue
        for target, _ in _imports(module, path):
            if _layer(target) not in ALLOWED[layer]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_crosses_a_module():
    crossing = [f"{module} imports {name} from {target}" for module, path in MODULES
                for target, name in _imports(module, path) if name and name.startswith("_") and target != module]
    assert not crossing, "\n".join(crossing)


def test_no_import_cycle_between_modules():
    graph = {m: {t for t, _ in _imports(m, p) if t != m} for m, p in MODULES}
    state: dict[str, int] = {}

    def visit(m, trail):
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(m):] + [m]))
        if state.get(m) == 2 or m not in graph:
            return
        state[m] = 1
        for t in sorted(graph[m]):
            # A package's __init__ is imported with any of its modules; only real edges count.
            visit(t, trail + [m])
        state[m] = 2

    for m in graph:
        visit(m, [])


def test_only_entry_points_and_shared_pieces_sit_at_the_top():
    top = {p.stem for p in PKG.glob("*.py")}
    assert top <= ENTRY | {"__init__", "errors", "paths", "util", "config", "preprocess"}, top


def test_every_module_says_what_it_is_in_its_first_line():
    missing = [module for module, path in MODULES if not ast.get_docstring(ast.parse(path.read_text()))]
    assert not missing, missing
