"""Characterise the 45 nm cells behind the register and leakage rows of the per-event energy table.

Horowitz's table (`model.snn.event_energy`) prices arithmetic and SRAM accesses, not flip-flops or leakage. This
module measures them with ngspice on the FreePDK45 cells and transistor models that OpenRAM ships (its
``dff`` flip-flop and ``cell_1rw`` 6T SRAM bit cell; the NCSU FreePDK45 models, a customised 45 nm PTM), at
Horowitz's 0.9 V and 25 °C:

* a flip-flop clocked every `PERIOD_NS` with its data held (at 0 and at 1, the mean): the energy of one clock
  cycle, the clock pin's charge included;
* the same with its data changing every cycle: the energy a changed bit adds to that;
* a flip-flop's leakage (mean of the two stored values) and a bit cell's, its bit lines precharged high.

The clock and the data reach the flip-flop through two inverters each, on supplies of their own; the same drivers
without the flip-flop are measured beside it and subtracted, so each figure is the cell's own energy and the charge
of its input pins, not the drivers'. The flip-flop drives ``LOAD_FF`` of wire and fan-out.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from model.common.errors import UserError

VDD = 0.9  # V, as Horowitz's table
TEMPERATURE_C = 25
PERIOD_NS = 1.0  # the flip-flops' clock; the deck's fixed write and edge times need it at 1 ns or more
CYCLES = 4  # measured cycles; the data toggles every cycle, so half rise and half fall
LOAD_FF = 1.0  # fF on the flip-flop's output
OPENRAM = "1.2.48"  # the openram package whose cells and models are read

# every bench's supplies: the charge of the clocked ones is measured over `CYCLES` cycles, the mean current of
# the leaking ones (quiet after one clock edge or one write) afterwards
CLOCKED = ("held0_drv", "held0_ff", "held1_drv", "held1_ff", "tog_clk", "tog_d", "tog_ff", "alone_clk", "alone_d")
LEAKING = ("low_ff", "high_ff", "cell", "bl", "br")

_INVERTER = """.subckt inv a y vdd gnd
mn y a gnd gnd NMOS_VTG W=0.5u L=50n
mp y a vdd vdd PMOS_VTG W=1u L=50n
.ends"""


def freepdk45() -> Path:
    """OpenRAM's FreePDK45 technology folder (the package is installed without its dependencies: only its files
    are read), checked to be the pinned version."""
    install = f"install it with `.venv/bin/pip install --no-deps openram=={OPENRAM}` (make setup does)"
    spec = importlib.util.find_spec("openram")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the FreePDK45 cells come from OpenRAM's package: {install}")
    version = importlib.metadata.version("openram")
    if version != OPENRAM:
        raise UserError(f"openram {version} is installed, the energy table was characterised on {OPENRAM}: {install}")
    return Path(spec.submodule_search_locations[0]) / "technology" / "freepdk45"


def netlist(tech: Path) -> str:
    """The ngspice deck, one transient: the flip-flop benches (data held low, data held high, data toggling, the
    drivers alone), clocked throughout and measured over `CYCLES` cycles, and the leakage benches (a flip-flop
    storing each value, the bit cell), quiet after their one clock edge or write, each bench on supplies of its
    own."""
    models = tech / "models" / "tran_models" / "models_nom"
    half, edge = PERIOD_NS / 2, 0.02
    clock = f"pulse(0 {VDD} {half}n {edge}n {edge}n {half - edge}n {PERIOD_NS}n)"
    toggle = f"pulse(0 {VDD} {half / 2}n {edge}n {edge}n {PERIOD_NS - edge}n {2 * PERIOD_NS}n)"
    once = f"pwl(0 0 0.2n 0 {0.2 + edge}n {VDD} 0.7n {VDD} {0.7 + edge}n 0)"  # one clock edge, then quiet
    start, stop = PERIOD_NS, PERIOD_NS * (1 + CYCLES)
    quiet, end = stop + PERIOD_NS, stop + 3 * PERIOD_NS
    lines = [
        "* FreePDK45 flip-flop and bit cell (model.snn.characterise)",
        f".include {models / 'NMOS_VTG.inc'}", f".include {models / 'PMOS_VTG.inc'}",
        f".include {tech / 'sp_lib' / 'dff.sp'}", f".include {tech / 'sp_lib' / 'cell_1rw.sp'}",
        _INVERTER, f".options temp={TEMPERATURE_C}",
        *[f"v{s} {s} 0 {VDD}" for s in (*CLOCKED, "low_ff", "high_ff", "cell", "br")],
        f"vck ck 0 {clock}", f"vtg tg 0 {toggle}", f"vonce once 0 {once}",
        # data held low, and held high: the clock's drivers only
        "xh1 ck h0ckb held0_drv 0 inv", "xh2 h0ckb h0clk held0_drv 0 inv",
        "xh0ff 0 h0q h0clk held0_ff 0 dff", f"ch0q h0q 0 {LOAD_FF}f",
        "xh3 ck h1ckb held1_drv 0 inv", "xh4 h1ckb h1clk held1_drv 0 inv",
        "xh1ff held1_ff h1q h1clk held1_ff 0 dff", f"ch1q h1q 0 {LOAD_FF}f",
        # data toggling every cycle
        "xt1 ck tckb tog_clk 0 inv", "xt2 tckb tclk tog_clk 0 inv",
        "xt3 tg tdb tog_d 0 inv", "xt4 tdb td tog_d 0 inv",
        "xtff td tq tclk tog_ff 0 dff", f"ctq tq 0 {LOAD_FF}f",
        # the same drivers with nothing to drive
        "xa1 ck ackb alone_clk 0 inv", "xa2 ackb aclk alone_clk 0 inv",
        "xa3 tg adb alone_d 0 inv", "xa4 adb ad alone_d 0 inv",
        # leakage: a flip-flop storing 0 and one storing 1, clocked once and then quiet
        "xlff 0 lq once low_ff 0 dff", f"clq lq 0 {LOAD_FF}f",
        "xgff high_ff gq once high_ff 0 dff", f"cgq gq 0 {LOAD_FF}f",
        # the bit cell: written 0 through its bit line, then the word line low and the bit lines precharged
        f"vwl wl 0 pwl(0 {VDD} 0.3n {VDD} {0.3 + edge}n 0)", f"vbl bl 0 pwl(0 0 0.4n 0 {0.4 + edge}n {VDD})",
        "xcell bl br wl cell 0 cell_1rw",
        ".control", f"tran 2p {end}n",
        *[f"meas tran q_{s} integ i(v{s}) from={start}n to={stop}n" for s in CLOCKED],
        *[f"meas tran i_{s} avg i(v{s}) from={quiet}n to={end}n" for s in LEAKING],
        ".endc", ".end",
    ]
    return "\n".join(lines) + "\n"


def _values(output: str) -> dict[str, float]:
    """The measured charges (``q_name = value``) and mean currents (``i_name = value``) in ngspice's output."""
    return {name: float(value) for name, value in re.findall(r"^\s*([qi]_\w+)\s*=\s*([-+0-9.eE]+)", output, re.MULTILINE)}


def run_ngspice(deck: str) -> dict[str, float]:
    """Run ``deck`` in ngspice's batch mode and read back its printed currents and measured charges."""
    if shutil.which("ngspice") is None:
        raise UserError("ngspice is not on PATH: install it with `sudo apt-get install ngspice` (make setup does)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cells.sp"
        path.write_text(deck)
        done = subprocess.run(["ngspice", "-b", str(path)], capture_output=True, text=True, cwd=tmp)
    values = _values(done.stdout)
    missing = sorted({*(f"q_{s}" for s in CLOCKED), *(f"i_{s}" for s in LEAKING)} - set(values))
    if missing:  # ngspice exits 1 after a .control deck, so its output is what tells
        raise RuntimeError(f"ngspice gave no {', '.join(missing)}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return values


def cell_energies(values: dict[str, float]) -> dict[str, float]:
    """The table's figures from ngspice's charges (C) and mean currents (A), each flowing into its supply: fJ per
    clock cycle and per changed bit, nW of leakage per flip-flop and per bit cell."""
    energy = {k: -VDD * q * 1e15 / CYCLES for k, q in values.items() if k.startswith("q_")}  # fJ per cycle
    held = [energy[f"q_held{d}_ff"] + energy[f"q_held{d}_drv"] - energy["q_alone_clk"] for d in (0, 1)]
    clock = sum(held) / 2
    toggling = energy["q_tog_ff"] + energy["q_tog_clk"] + energy["q_tog_d"] - energy["q_alone_clk"] - energy["q_alone_d"]
    return {
        "flip-flop clock cycle (fJ)": clock,
        "flip-flop bit changed (fJ)": toggling - clock,
        "flip-flop leakage (nW)": -VDD * (values["i_low_ff"] + values["i_high_ff"]) / 2 * 1e9,
        "SRAM bit leakage (nW)": -VDD * (values["i_cell"] + values["i_bl"] + values["i_br"]) * 1e9,
    }


def characterise() -> dict[str, float]:
    """Run the deck on OpenRAM's FreePDK45 cells and return the table's figures (`cell_energies`)."""
    return cell_energies(run_ngspice(netlist(freepdk45())))


def markdown(figures: dict[str, float]) -> str:
    rows = [f"| {name} | {value:.4g} |" for name, value in figures.items()]
    return "\n".join([
        "# FreePDK45 cells characterised with ngspice", "",
        f"OpenRAM {OPENRAM}'s `dff` and `cell_1rw`, FreePDK45 nominal models, {VDD} V, {TEMPERATURE_C} °C, "
        f"clock {PERIOD_NS:g} ns, {LOAD_FF:g} fF on the flip-flop's output. Command: "
        "`spikegan characterise`.", "", "| figure | value |", "|---|---|", *rows, ""])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("reports/characterise"),
                        help="folder for cells.json and cells.md")


def run(args) -> int:
    from model.common.jsonio import write_json_and_markdown

    figures = characterise()
    write_json_and_markdown(args.out / "cells.json", figures, markdown(figures), args.out / "cells.md", indent=2)
    print(markdown(figures))
    return 0
