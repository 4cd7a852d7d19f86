"""Run a cocotb testbench on a memristor-GAN component under Icarus or Verilator.

The component's Verilog is Amaranth's own (`hw.verilog.to_verilog_hierarchical`); from
there it goes the generator's way: `hw.build.write_rtl`, the `verify.wrapper` ``sim_top``
and `verify.sim.run_testbench`. Each design gets its own folder
``sim_builds/memristor/<name>-<hash of its Verilog>/`` (``rtl/`` and one build
folder per simulator), so a changed parameter set never reuses a stale build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hw.build import write_rtl
from hw.verilog import to_verilog_hierarchical
from verify.sim import REPO, check_simulator, run_testbench
from verify.wrapper import add_wrapper

BUILDS = REPO / "sim_builds" / "memristor"


def simulate(
    sim: str, component, name: str, module: str, plan: dict, optimize: bool = False, log: Path | None = None
) -> dict:
    """Build ``component`` and run cocotb module ``module`` (e.g. ``verify.tb.memristor_synapse``) on it under ``sim``.

    Returns the testbench's result dict; raises AssertionError when the testbench
    failed or wrote no result. ``optimize`` compiles Verilator's C++ at -O2/-O1
    (long runs) instead of -O0 (quick builds). ``log``: write the simulator's
    output to this file instead of the console."""
    check_simulator(sim)
    text = to_verilog_hierarchical(component, name)
    folder = BUILDS / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    rtl = write_rtl(component, name, folder / "rtl", verilog=text)
    result = run_testbench(sim, add_wrapper(rtl), module, plan, folder / sim, optimize=optimize, log=log)
    if result.get("error"):
        raise AssertionError(f"{module} under {sim} failed: {result['error']}")
    return result
