"""``spikegan <command> [options]``: every stage of the pipeline behind one command, with one name per concept.

The same options mean the same thing everywhere: ``--manifest`` an exported
network, ``--sim`` the simulator, ``--vectors`` how many of an export's test
vectors, ``--images`` how many generated images, ``--lanes`` one lane count
``P``, ``--sweep-lanes`` a list of them, ``--dataset`` one of mnist, fashion
(or all), ``--seed`` a seed (default 0), ``--out`` the output folder.
"""

from __future__ import annotations

import sys

from model.cli import main as cli_main

COMMANDS = {
    "demo": ("spikegan.demo", "a small network through train, convert, rtl and verify on both simulators, in minutes"),
    "data": ("model.data_cli", "fetch or inspect the datasets"),
    "train": ("model.train", "train the ANN GAN (SpikeGAN generator 100-1200-1200-784)"),
    "metrics": ("model.metrics", "train/cache the metric classifier and score images"),
    "convert": ("model.convert_cli", "convert the generator to an SNN, quantise, export, and report"),
    "rtl": ("hw.rtl_cli", "write the generator's Verilog, .mem files and file list, and lint it"),
    "verify": ("verify.run_cli", "verify the RTL against the golden model on the export's test vectors"),
    "sweep-cycles": ("verify.cycles_sweep", "simulated cycles per image against the lane count P"),
    "synth": ("hw.synth_report", "synthesise the FPGA top for each target and compare with the paper"),
    "sweep-synth": ("verify.synth_sweep", "area, Fmax and simulated cycles per image against the lane count P"),
    "memristor": ("model.memristor.cli", "memristor spiking GAN with on-chip R-STDP (software training)"),
    "memristor-rtl": ("verify.memristor.hwcheck", "the memristor GAN's RTL top learning on chip against its fixed-point model"),
    "report": ("spikegan.summary", "the results summary of a run, from its reports (README table)"),
}


def main(argv: list[str] | None = None) -> int:
    return cli_main("spikegan", COMMANDS, argv, about=__doc__.split("\n\n")[1].replace("\n", " "))


if __name__ == "__main__":
    sys.exit(main())
