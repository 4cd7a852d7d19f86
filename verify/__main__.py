"""Command line: ``python -m verify run|sweep-cycles|sweep-synth|regress|faults|mutate|compare|formal|board-sim|memristor ...`` (``spikegan`` has every stage)."""

from __future__ import annotations

import sys

from model.common.cli import main as cli_main

COMMANDS = {
    "run": ("verify.run_cli", "verify the RTL against the golden model on the export's test vectors"),
    "sweep-cycles": ("verify.cycles_sweep", "simulated cycles per image against the lane count P"),
    "sweep-synth": ("verify.synth_sweep", "area, Fmax and simulated cycles per image against the lane count P"),
    "regress": ("verify.regress", "constrained-random regression on Dask: random networks through RTL on both simulators, coverage"),
    "faults": ("verify.faults", "single-lane threshold faults in the generated RTL, each against the export's own vectors"),
    "mutate": ("verify.mutate", "mutation testing: faults injected into the generated RTL, the score and the survivors"),
    "compare": ("verify.compare", "an exact-TTFS export as a spiking generator beside its ANN twins: cycles, area, energy"),
    "formal": ("verify.formal.cli", "bounded proofs of the hardware blocks' properties with SymbiYosys"),
    "board-sim": ("verify.board_cli", "the board top's UART link in simulation: images bit-exact, bad frames refused, throughput"),
    "memristor": ("verify.memristor.hwcheck", "the memristor GAN's RTL top learning on chip against its fixed-point model"),
}


def main(argv: list[str] | None = None) -> int:
    return cli_main("python -m verify", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
