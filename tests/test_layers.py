"""The layering of the project, checked on every import (at module level and inside functions alike).

- The packages import only downward: spikegan -> verify -> hw -> model.
- Inside `model/`, each room imports only the rooms `ROOMS` lets it: `model.common` (the shared chores)
  is the bottom, the network description `model.snn` and the data sit on it, the designs on those.
- No two modules import each other, directly or round a longer circle, anywhere in the project.
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "hw", "verify", "spikegan")
FORBIDDEN = {"model": ("hw", "verify", "spikegan"), "hw": ("verify", "spikegan"), "verify": ("spikegan",)}
COMMON, DATA, SNN, METRICS, GAN, CONVERT = "model.common", "model.data", "model.snn", "model.metrics", "model.gan", "model.convert"
# Each room of model/ and the rooms it may import besides itself.
ROOMS = {
    "model": (),
    "model.__main__": (COMMON,),  # the package's command registry (it names the commands' modules as strings)
    COMMON: (),
    DATA: (COMMON,),
    SNN: (COMMON,),
    METRICS: (DATA, COMMON),
    GAN: (METRICS, DATA, COMMON),
    CONVERT: (GAN, METRICS, SNN, DATA, COMMON),
    "model.interop": (CONVERT, SNN, DATA, COMMON),
    "model.ttfs": (METRICS, SNN, DATA, COMMON),
    "model.memristor": (SNN, DATA, COMMON),
    "model.hybrid": (GAN, METRICS, SNN, DATA, COMMON),
}


def imports(path: Path) -> list[str]:
    """Every name ``path`` imports, whole (``a.b`` for ``import a.b``, ``a.b.c`` for ``from a.b import c``)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def imported_packages(path: Path) -> set[str]:
    """Top-level package names of every import statement in ``path``."""
    return {name.split(".")[0] for name in imports(path)}


def project_modules(root: Path = REPO, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages (a package is its ``__init__``)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (``from a import b`` names module ``a.b`` where there is one)."""
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    return {m: {t for name in imports(path) if (t := resolve(name)) and t != m} for m, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def room(module: str) -> str:
    """The room of a module of model/: its sub-package or top-level module, or ``model`` itself."""
    return ".".join(module.split(".")[:2])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down(package):
    upward = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) & set(FORBIDDEN[package]))
        for path in sorted((REPO / package).rglob("*.py"))
    }
    assert not {k: v for k, v in upward.items() if v}


def test_every_room_of_model_is_in_the_table():
    rooms = {room(m) for m in project_modules(packages=("model",))}
    assert rooms == set(ROOMS)


def test_model_rooms_import_only_the_rooms_below():
    graph = import_graph(project_modules())
    wrong = {
        f"{m} -> {t}"
        for m, targets in graph.items() if m.startswith("model")
        for t in targets if room(t) != room(m) and room(t) not in ROOMS[room(m)]
    }
    assert not wrong


def test_the_room_table_has_no_circle():
    assert not circles({r: set(below) for r, below in ROOMS.items()})


def test_no_import_circle_anywhere():
    assert not circles(import_graph(project_modules()))


def test_the_checks_see_an_upward_import_and_a_circle(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from verify.system import sim_build\n    import hw.build\n")
    assert imported_packages(bad) == {"verify", "hw"}
    for name, body in {"a": "from pkg.b import g\n", "b": "def g():\n    from pkg import c\n", "c": "import pkg.a\n"}.items():
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / f"{name}.py").write_text(body)
    graph = import_graph(project_modules(tmp_path, ("pkg",)))
    assert circles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
