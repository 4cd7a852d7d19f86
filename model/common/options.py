"""The options every command shares: one name, one meaning and one default each (``spikegan --help``).

A command adds them with these functions, so that ``--manifest``, ``--sim``,
``--dataset``, ``--seed`` and ``--out`` default to the same thing everywhere:
the default run's export, Verilator, MNIST, seed 0, and an output folder of
the one scheme in `OUTPUT_FOLDERS`.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_RUN = "weights/gan-mnist"  # what `make train` trains and `make convert` converts
DEFAULT_MANIFEST = f"{DEFAULT_RUN}/snn/manifest.json"
SIMULATORS = ("icarus", "verilator")
DEFAULT_SIM = "verilator"
DEFAULT_DATASET = "mnist"
DEFAULT_SEED = 0

OUTPUT_FOLDERS = (
    "Output folders: a trained or exported network goes under weights/<run>/ (its export in weights/<run>/snn/),\n"
    "generated RTL under build/rtl/<run>/, a report under reports/<command>/ (verify: reports/verify-<sim>/; the\n"
    "summary: reports/); --out puts it elsewhere. A command never empties a folder it did not make."
)


def add_manifest(parser, made_by: str = "make convert writes it") -> None:
    """``--manifest``: an export's manifest (or its folder), the default run's unless given."""
    parser.add_argument("--manifest", default=DEFAULT_MANIFEST, help=f"exported network ({made_by})")


def add_sim(parser, what: str = "simulator") -> None:
    parser.add_argument("--sim", choices=SIMULATORS, default=DEFAULT_SIM, help=what)


def add_dataset(parser, what: str, choices=("mnist", "fashion")) -> None:
    parser.add_argument("--dataset", choices=choices, default=DEFAULT_DATASET, help=what)


def add_seed(parser, what: str) -> None:
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=what)


def add_no_directed(parser) -> None:
    """``--no-directed`` of a command that exports: skip the closure search (`model.snn.closure`)."""
    parser.add_argument("--no-directed", action="store_true",
                        help="export the test vectors only, without the directed vectors that close the design's "
                             "coverage (spikegan verify then runs the test vectors alone)")


def add_out(parser, default: str | None, what: str = "report folder", shown: str | None = None) -> None:
    """``--out``; ``shown``: the words for a default the command works out (``default`` None)."""
    parser.add_argument("--out", default=default, help=what + (f" (default: {shown})" if shown else ""))


def rtl_folder(manifest) -> Path:
    """Where the RTL of an export goes unless ``--out`` says: ``build/rtl/<run>``."""
    return Path("build/rtl") / run_name(manifest)


def run_name(manifest) -> str:
    """The run an export belongs to: ``<run>`` of ``weights/<run>/snn/manifest.json`` (or of its folder)."""
    folder = Path(manifest).resolve()
    if folder.suffix == ".json":
        folder = folder.parent
    return folder.parent.name if folder.name == "snn" else folder.name
