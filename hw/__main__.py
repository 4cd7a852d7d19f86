"""Command line: ``python -m hw rtl|synth ...`` (the hardware stages; ``spikegan`` has every stage)."""

from __future__ import annotations

import sys

from model.common.cli import main as cli_main

COMMANDS = {
    "rtl": ("hw.rtl_cli", "write the generator's Verilog, .mem files and file list, and lint it"),
    "synth": ("hw.synth_report", "synthesise the FPGA top for each target and compare with the paper"),
    "board-build": ("hw.board_cli", "the generator behind a UART on a board: bitstream (ULX3S, iCEBreaker) or Vivado project (Arty)"),
    "board": ("hw.board_host", "images from a board over its serial port, each checked against the golden model"),
}


def main(argv: list[str] | None = None) -> int:
    return cli_main("python -m hw", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
