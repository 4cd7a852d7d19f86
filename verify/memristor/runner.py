"""Build an Amaranth component to Verilog and run a cocotb testbench on it under
Icarus or Verilator (through ``cocotb_test.simulator``, set up as in `verify.sim`).

Each design gets its own folder ``sim_builds/memristor/<name>-<hash of its Verilog>/``
holding the Verilog, a wrapper ``sim_top`` and one build folder per simulator,
so a changed parameter set never reuses a stale build. The wrapper generates
the clock in Verilog (``always #5``, a 10 ns period) when the design has one,
so long runs need no Python call per cycle. The testbench receives a JSON plan
(env ``MEMRISTOR_PLAN``) and writes a JSON result next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Value
from amaranth.lib import wiring

from hw.verilog import tool_env
from verify.sim import SIMULATORS, check_simulator, cocotb_log_to, run_simulator, simulator_runner  # noqa: F401 (SIMULATORS: used by the tests)

REPO = Path(__file__).resolve().parents[2]
BUILDS = REPO / "sim_builds" / "memristor"
WRAPPER = "sim_top"
HALF_PERIOD_NS = 5

# Only the wrapper's signals are visible to VPI (exposing every signal slows Verilator down).
_VERILATOR_CONFIG = '`verilator_config\npublic_flat_rw -module "{wrapper}" -var "*"\n'


def _ports(component, text: str) -> list[tuple[str, str, int]]:
    """(name, direction, width) of the component's ports, clock and reset included."""
    out = []
    for name in ("clk", "rst"):
        if f"input {name};" in text:
            out.append((name, "input", 1))
    for path, member, value in component.signature.flatten(component):
        out.append(("__".join(map(str, path)), "input" if member.flow == wiring.In else "output", len(Value.cast(value))))
    return out


def _wrapper(ports: list[tuple[str, str, int]], dut: str) -> str:
    """``sim_top``: the DUT with every port passed through, the clock generated here."""
    rng = lambda w: "" if w == 1 else f"[{w - 1}:0] "  # noqa: E731
    decl = [f"    {d} wire {rng(w)}{n}" for n, d, w in ports if n != "clk"]
    lines = [f"module {WRAPPER} (", ",\n".join(decl), ");"]
    if any(n == "clk" for n, _, _ in ports):
        lines += ["    reg clk = 1'b0;", f"    always #{HALF_PERIOD_NS} clk = ~clk;"]
    lines += [f"    {dut} dut (", ",\n".join(f"        .{n}({n})" for n, _, _ in ports), "    );", "endmodule"]
    return "\n".join(lines) + "\n"


# A register's power-on value: ``reg [w:0] name = value;`` (escaped names end in a space).
_REG_INIT = re.compile(r"^(\s*reg\s+(?:\[[^\]]*\]\s+)?(?:\\\S+ |[^\s=]+))\s*=\s*[^;]+;", re.MULTILINE)


def to_verilog(component, name: str) -> str:
    """Amaranth -> Verilog without register power-on values.

    Every register has a synchronous reset, and the testbenches reset first: the
    X -> 0 change then makes Icarus run every ``always @*`` block once. With the
    power-on values, a block whose inputs never change (an idle sub-FSM) is never
    run and its outputs stay X."""
    return _REG_INIT.sub(r"\1;", verilog.convert(component, name=name, emit_src=False))


def build(component, name: str) -> Path:
    """Write ``<name>.v`` and ``sim_top.v`` into this design's folder; return the folder."""
    text = to_verilog(component, name)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = BUILDS / f"{name}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    for fname, content in ((f"{name}.v", text), (f"{WRAPPER}.v", _wrapper(_ports(component, text), name))):
        path = folder / fname
        if not path.exists() or path.read_text() != content:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")  # atomic: parallel runs may build the same design
            tmp.write_text(content)
            os.replace(tmp, path)
    return folder


def run(
    sim: str, component, name: str, module: str, plan: dict, optimize: bool = False, log: Path | None = None
) -> dict:
    """Run cocotb module ``module`` (e.g. ``verify.memristor.tb_synapse``) on ``component``.

    Returns the testbench's result dict; raises AssertionError when the testbench
    failed or wrote no result. ``optimize`` compiles Verilator's C++ at -O2/-O1
    (long runs) instead of -O0 (quick builds). ``log``: write the simulator's
    output to this file instead of the console."""
    check_simulator(sim)

    folder = build(component, name)
    work = folder / sim
    work.mkdir(exist_ok=True)
    plan_path, result_path = work / "plan.json", work / "result.json"
    if result_path.exists():
        result_path.unlink()
    plan_path.write_text(json.dumps(dict(plan, result=str(result_path))))
    os.environ["PATH"] = tool_env()["PATH"]  # cocotb-test looks the tools up in this process's PATH
    env = {"MEMRISTOR_PLAN": str(plan_path), "PYTHONPATH": str(REPO)}
    kwargs = dict(
        toplevel=WRAPPER,
        module=module,
        verilog_sources=[str(folder / f"{name}.v"), str(folder / f"{WRAPPER}.v")],
        sim_build=str(work / "obj"),
        timescale="1ns/1ps",
        python_search=[str(REPO)],
        extra_env=env,
    )
    runner = simulator_runner(sim, kwargs, work / "sim.vlt", _VERILATOR_CONFIG.format(wrapper=WRAPPER), optimize)
    with cocotb_log_to(log):
        failure = run_simulator(runner)
    if not result_path.exists():
        where = f"; see {log}" if log is not None else ""
        raise AssertionError(f"{module} under {sim} wrote no result ({failure or 'no error reported'}){where}.")
    result = json.loads(result_path.read_text())
    if failure or result.get("error"):
        raise AssertionError(f"{module} under {sim} failed: {result.get('error') or failure}")
    return result


# Testbench side.


def read_plan() -> dict:
    return json.loads(Path(os.environ["MEMRISTOR_PLAN"]).read_text())


def write_result(plan: dict, result: dict) -> None:
    Path(plan["result"]).write_text(json.dumps(result))
