"""A cache of Verilator's runtime objects (``verilated*.o``), shared by every Verilator build of the project.

Each Verilator build compiles the same runtime library (``verilated.cpp``,
``verilated_vpi.cpp``, ...) into its own object folder: about half the time
of building a small design. The objects depend only on Verilator's headers,
the compiler flags and the model's build switches (``VM_TRACE``,
``VM_TIMING``, ...), never on the design, so they are compiled once per such
key and copied into each new object folder before ``make`` runs (``make`` then
finds them newer than their sources). cocotb's own ``verilator.o`` includes the
design's header and is always compiled.

Run between the Verilator and ``make`` steps of a build (``seed``) and after
``make`` (``store``): ``python verify/verilator_runtime.py seed|store OBJ_DIR CACHE_ROOT FLAG...`` (it imports nothing of
the project, so the build needs no ``PYTHONPATH``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

SWITCHES = ("VM_C11", "VM_TIMING", "VM_COVERAGE", "VM_PARALLEL_BUILDS", "VM_TRACE", "VM_TRACE_FST", "VM_TRACE_SAIF",
            "VM_TRACE_VCD", "VM_SC", "VM_THREADS")


def runtime_objects(obj_dir: Path) -> list[str]:
    """The runtime objects ``make`` builds in ``obj_dir`` (the ``VM_GLOBAL_*`` entries of its classes file)."""
    names, inside = [], False
    for line in (obj_dir / "Vtop_classes.mk").read_text().splitlines():
        if line.startswith("VM_GLOBAL_"):
            inside = True
            continue
        if inside and line.startswith("  "):
            names.append(line.strip().rstrip("\\").strip())
        else:
            inside = False
    return [f"{n}.o" for n in names if n]


def cache_key(obj_dir: Path, flags: list[str]) -> str:
    """What the runtime objects depend on: the build switches, ``flags`` (the make arguments) and the Verilator
    kit (``VERILATOR_ROOT`` in the makefile, with the modification time of its ``verilated.cpp``)."""
    switches = [line for line in (obj_dir / "Vtop_classes.mk").read_text().splitlines()
                if line.split(" ", 1)[0] in SWITCHES]
    root = next((line.split("=", 1)[1].strip() for line in (obj_dir / "Vtop.mk").read_text().splitlines()
                 if line.startswith("VERILATOR_ROOT")), "")
    source = Path(root) / "include" / "verilated.cpp"
    stamp = f"{root}:{source.stat().st_mtime_ns if source.exists() else 0}"
    return hashlib.sha256("\n".join([*switches, *flags, stamp]).encode()).hexdigest()[:16]


def seed(obj_dir: Path, cache_root: Path, flags: list[str]) -> int:
    """Copy the cached runtime objects (and their dependency files) into ``obj_dir``; how many were copied."""
    folder = cache_root / cache_key(obj_dir, flags)
    copied = 0
    for obj in runtime_objects(obj_dir):
        src, dep = folder / obj, folder / obj.replace(".o", ".d")
        if src.exists() and dep.exists() and not (obj_dir / obj).exists():
            shutil.copyfile(dep, obj_dir / dep.name)
            shutil.copyfile(src, obj_dir / obj)  # copied last: newer than its dependency file and its sources
            copied += 1
    return copied


def store(obj_dir: Path, cache_root: Path, flags: list[str]) -> None:
    """Put ``obj_dir``'s runtime objects into the cache if it lacks them (atomically: parallel builds may race)."""
    folder = cache_root / cache_key(obj_dir, flags)
    folder.mkdir(parents=True, exist_ok=True)
    for obj in runtime_objects(obj_dir):
        for name in (obj.replace(".o", ".d"), obj):
            if (folder / name).exists() or not (obj_dir / name).exists():
                continue
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
            os.close(fd)
            shutil.copyfile(obj_dir / name, tmp)
            os.replace(tmp, folder / name)


def main(argv: list[str]) -> int:
    action, obj_dir, cache_root, *flags = argv
    (seed if action == "seed" else store)(Path(obj_dir), Path(cache_root), flags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
