"""The packages import only downward (spikegan -> verify -> hw -> model), at module level and inside functions alike."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"model": ("hw", "verify", "spikegan"), "hw": ("verify", "spikegan"), "verify": ("spikegan",)}


def imported_packages(path: Path) -> set[str]:
    """Top-level package names of every import statement in ``path``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down(package):
    upward = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) & set(FORBIDDEN[package]))
        for path in sorted((REPO / package).rglob("*.py"))
    }
    assert not {k: v for k, v in upward.items() if v}


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from verify.system import sim_build\n    import hw.build\n")
    assert imported_packages(bad) == {"verify", "hw"}
