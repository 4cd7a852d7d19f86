"""Command line: ``python -m model <command> ...`` (the software stages; ``spikegan`` has every stage)."""

from __future__ import annotations

import sys

from model.common.cli import main as cli_main

COMMANDS = {
    "data": ("model.data.cli", "fetch or inspect the datasets"),
    "train": ("model.gan.train", "train the ANN GAN (SpikeGAN generator 100-1200-1200-784)"),
    "metrics": ("model.metrics", "train/cache the metric classifier and score images"),
    "convert": ("model.convert.cli", "convert the generator to an SNN, quantise and export"),
    "pareto": ("model.convert.pareto", "the fidelity/energy Pareto front of conversion reports (codings x trainings x T)"),
    "memristor": ("model.memristor.cli", "memristor spiking GAN with on-chip R-STDP (software training)"),
    "import": ("model.interop.import_cli", "a NIR graph or a PyTorch MLP -> an export for rtl and verify"),
    "export-nir": ("model.interop.export_nir_cli", "an exported network as a NIR file (snnTorch, sinabs, ...)"),
    "nir": ("model.interop.nir_cli", "snnTorch classifier in and the generator out through NIR, against snnTorch and sinabs"),
    "ttfs": ("model.ttfs.cli", "time-to-first-spike classifier and Spiking-GAN (S4NN backprop), with their report"),
    "characterise": ("model.snn.characterise", "a flip-flop's energy and leakage and an SRAM bit's leakage at 45 nm, with ngspice (the energy table's rows)"),
    "hybrid": ("model.hybrid.cli", "hybrid SNN/ANN GANs: spiking discriminator, spiking modules in a DCGAN generator, SNN extractor"),
}


def main(argv: list[str] | None = None) -> int:
    return cli_main("python -m model", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
