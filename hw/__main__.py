"""Command line: ``python -m hw rtl|synth ...`` (the hardware stages; ``spikegan`` has every stage)."""

from __future__ import annotations

import sys

from model.common.cli import main as cli_main

COMMANDS = {
    "rtl": ("hw.rtl_cli", "write the generator's Verilog, .mem files and file list, and lint it"),
    "synth": ("hw.synth_report", "synthesise the FPGA top for each target and compare with the paper"),
}


def main(argv: list[str] | None = None) -> int:
    return cli_main("python -m hw", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
