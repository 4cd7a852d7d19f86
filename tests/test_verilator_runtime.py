"""The shared cache of Verilator's runtime objects: what is cached, under which key, and that a build reuses it."""

from pathlib import Path

from verify.verilator_runtime import cache_key, runtime_objects, seed, store

CLASSES = """VM_TIMING = 1
VM_TRACE = {trace}
VM_CLASSES_FAST += \\
  Vtop \\

VM_GLOBAL_FAST += \\
  verilated \\
  verilated_vpi \\

VM_GLOBAL_SLOW += \\

"""


def obj_dir(root: Path, name: str, trace: int = 0) -> Path:
    d = root / name
    d.mkdir()
    (d / "Vtop_classes.mk").write_text(CLASSES.format(trace=trace))
    (d / "Vtop.mk").write_text(f"VERILATOR_ROOT = {root / 'kit'}\n")
    return d


def test_the_runtime_objects_are_read_from_the_classes_file(tmp_path):
    assert runtime_objects(obj_dir(tmp_path, "a")) == ["verilated.o", "verilated_vpi.o"]


def test_the_key_changes_with_the_switches_and_flags_not_with_the_design(tmp_path):
    a, b, traced = obj_dir(tmp_path, "a"), obj_dir(tmp_path, "b"), obj_dir(tmp_path, "c", trace=1)
    assert cache_key(a, ["OPT_FAST=-O0"]) == cache_key(b, ["OPT_FAST=-O0"])
    assert cache_key(a, ["OPT_FAST=-O0"]) != cache_key(a, ["OPT_FAST=-O2"])
    assert cache_key(a, []) != cache_key(traced, [])


def test_a_stored_build_seeds_the_next_one(tmp_path):
    first, second, cache = obj_dir(tmp_path, "a"), obj_dir(tmp_path, "b"), tmp_path / "cache"
    assert seed(first, cache, []) == 0
    for name in ("verilated", "verilated_vpi"):
        (first / f"{name}.o").write_bytes(name.encode())
        (first / f"{name}.d").write_text(f"{name}.o: x.cpp\n")
    (first / "verilator.o").write_bytes(b"design-specific")
    store(first, cache, [])
    assert seed(second, cache, []) == 2
    assert (second / "verilated_vpi.o").read_bytes() == b"verilated_vpi"
    assert not (second / "verilator.o").exists()
    assert (second / "verilated.o").stat().st_mtime_ns >= (second / "verilated.d").stat().st_mtime_ns
