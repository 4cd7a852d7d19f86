"""The ``spikegan`` command registry: every stage of the pipeline under one name per concept.

Its commands are those of ``python -m model``, ``python -m hw`` and
``python -m verify`` (the same modules), plus ``demo`` and ``report``.
``spikegan/__main__.py`` parses the command line over it, and ``spikegan demo``
runs its stages through it.
"""

from __future__ import annotations

from hw.__main__ import COMMANDS as HW
from model.__main__ import COMMANDS as MODEL
from model.common.options import DEFAULT_DATASET, DEFAULT_MANIFEST, DEFAULT_SEED, DEFAULT_SIM
from verify.__main__ import COMMANDS as VERIFY

# The packages' own commands, in pipeline order, under one name each.
COMMANDS = {
    "demo": ("spikegan.demo", "a small network through train, convert, rtl and verify on both simulators, in minutes"),
    "data": MODEL["data"],
    "train": MODEL["train"],
    "metrics": MODEL["metrics"],
    "convert": MODEL["convert"],
    "pareto": MODEL["pareto"],
    "import": MODEL["import"],
    "export-nir": MODEL["export-nir"],
    "nir": MODEL["nir"],
    "rtl": HW["rtl"],
    "verify": VERIFY["run"],
    "sweep-cycles": VERIFY["sweep-cycles"],
    "synth": HW["synth"],
    "sweep-synth": VERIFY["sweep-synth"],
    "regress": VERIFY["regress"],
    "faults": VERIFY["faults"],
    "mutate": VERIFY["mutate"],
    "compare": VERIFY["compare"],
    "characterise": MODEL["characterise"],
    "formal": VERIFY["formal"],
    "board-build": HW["board-build"],
    "board-sim": VERIFY["board-sim"],
    "board": HW["board"],
    "memristor": MODEL["memristor"],
    "memristor-rtl": VERIFY["memristor"],
    "ttfs": MODEL["ttfs"],
    "hybrid": MODEL["hybrid"],
    "report": ("spikegan.summary", "the results summary of a run, from its reports; fills the results of README.md and docs/"),
}
ABOUT = (
    "The same options mean the same thing, with the same default, everywhere: --manifest an exported network "
    f"(default: {DEFAULT_MANIFEST}, what make convert writes), --sim the simulator (default: {DEFAULT_SIM}), "
    "--vectors how many of an export's test vectors, --images how many generated images, --lanes one lane "
    f"count P, --sweep-lanes a list of them, --dataset mnist, fashion or all (default: {DEFAULT_DATASET}), "
    f"--seed a seed (default: {DEFAULT_SEED}), --out the output folder (networks under weights/<run>/, RTL under "
    "build/rtl/<run>/, reports under reports/<command>/)."
)
