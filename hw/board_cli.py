"""``spikegan board-build`` (``make board BOARD=...``): an export's generator on a board, behind its UART.

Builds the board top (`hw.board_top.BoardTop`) on amaranth-boards' platform of the board (its real pins and
clock) in ``--out`` (default ``build/board/<board>``): the bitstream for the ULX3S (ECP5-85F) and the iCEBreaker
(iCE40UP5K) with YoWASP's Yosys and nextpnr, the Vivado project for the Arty A7-100T (Vivado is not needed to
write it; run its script where Vivado is). Writes ``board.json`` and ``board.md`` to ``--report`` (default ``reports/board/<board>``): clock,
the clock nextpnr says the design makes, resources, pins and the command that loads the bitstream.
"""

from __future__ import annotations

import re
from pathlib import Path

from hw.board import BOARDS, DEFAULT_BAUD, PLATFORM_TOP, build_bitstream
from hw.build import DESIGNS
from model.common.jsonio import dumps
from model.common.options import add_manifest
from model.common.runinfo import machine
from model.snn.export import load

LOAD_COMMANDS = {
    "ulx3s": "openFPGALoader -b ulx3s {bitstream}",
    "icebreaker": "openFPGALoader -b ice40_generic {bitstream}  (or: iceprog {bitstream})",
    "arty": "openFPGALoader -b arty {bitstream}  (after Vivado: sh build_spikegan_pins.sh)",
}


def add_arguments(parser) -> None:
    parser.add_argument("--board", choices=sorted(BOARDS), required=True, help="the board")
    add_manifest(parser)
    parser.add_argument("--design", choices=DESIGNS, default="snn",
                        help="snn, or an exact-TTFS export's ANN twin (default: snn)")
    parser.add_argument("--lanes", type=int, default=None,
                        help="lanes P, the weights re-packed: fewer lanes, less logic (default: the export's)")
    parser.add_argument("--baud", type=int, default=DEFAULT_BAUD, help=f"the UART's baud rate (default: {DEFAULT_BAUD})")
    parser.add_argument("--out", default=None, help="build folder (default: build/board/<board>)")
    parser.add_argument("--report", default=None, help="report folder (default: reports/board/<board>)")
    parser.add_argument("--no-build", action="store_true",
                        help="write the design and its constraints only, without running Yosys and nextpnr")


def nextpnr_summary(log: str) -> dict:
    """The last Fmax nextpnr reported for the design's clock, and the device's use per cell type."""
    fmax = re.findall(r"Max frequency for clock '[^']*': ([\d.]+) MHz", log)
    used = {m[0]: {"used": int(m[1]), "available": int(m[2])}
            for m in re.findall(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", log)}
    return {"fmax_mhz": float(fmax[-1]) if fmax else None, "resources": {k: v for k, v in used.items() if v["used"]}}


def pins(folder: Path) -> list[str]:
    """The pin constraints the platform wrote (LPF, PCF or XDC lines that place a port)."""
    lines = []
    for f in sorted(folder.glob(f"{PLATFORM_TOP}.*")):
        if f.suffix in (".lpf", ".pcf", ".xdc"):
            lines += [l for l in f.read_text().splitlines() if re.match(r"(LOCATE|set_io|set_property (LOC|PACKAGE_PIN) )", l)]
    return lines


def markdown(r: dict) -> str:
    fmax = r.get("fmax_mhz")
    rows = [f"# {r['board']}: {r['design']} of `{r['manifest']}`", "",
            f"- clock {r['clock_hz'] / 1e6:g} MHz ({r['platform']}), UART {r['baud']} baud 8N1 "
            f"({r['divisor']} cycles a bit), {r['memory_kbit']:,.1f} kbit of initialised memory",
            f"- nextpnr's Fmax: {fmax:.1f} MHz, {'meets' if fmax >= r['clock_hz'] / 1e6 else 'MISSES'} the board clock"
            if fmax else "- no place and route here (Vivado project)",
            f"- load it: `{r['load']}`", "", "| resource | used | available |", "|---|---|---|"]
    rows += [f"| {k} | {v['used']:,} | {v['available']:,} |" for k, v in r.get("resources", {}).items()]
    rows += ["", "Pins:", "", "```", *r["pins"], "```", ""]
    return "\n".join(rows)


def run(args) -> int:
    export = load(args.manifest).with_lanes(args.lanes)
    out = Path(args.out or f"build/board/{args.board}")
    built = build_bitstream(args.board, export, out, args.design, args.baud, do_build=not args.no_build)
    tim = out / f"{PLATFORM_TOP}.tim"
    if tim.is_file():
        built |= nextpnr_summary(tim.read_text())
    built["manifest"] = str(args.manifest)
    built["pins"] = pins(out)
    built["load"] = LOAD_COMMANDS[args.board].format(bitstream=built.get("bitstream", out / f"{PLATFORM_TOP}.bit"))
    built["machine"] = machine()
    report = Path(args.report or f"reports/board/{args.board}")
    report.mkdir(parents=True, exist_ok=True)
    (report / "board.json").write_text(dumps(built))
    (report / "board.md").write_text(markdown(built))
    print(markdown(built))
    return 0
