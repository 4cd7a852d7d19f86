"""``spikegan rtl`` / ``python -m hw rtl`` (``make rtl``): the generator's Verilog for an exported network.

Writes to ``--out`` (default ``build/rtl/<run>``, the run the export belongs to):
``spikegan_generator.v`` (from Amaranth, one flat module,
no data inside), ``spikegan_rom.v`` and ``spikegan_ram.v`` (the ``$readmemh`` ROM and RAM), the ``.mem`` files
it reads (weights and biases of each layer, the Spike ROM and the encoder ROM
with all test vectors), ``files.f`` (the Verilog sources in compile order),
``lint_waivers.vlt`` and ``rtl.json`` (configuration, files, lint status).
Exit status 2 with a message on bad input or a lint warning.
"""

from __future__ import annotations

from pathlib import Path

from hw.build import DESIGNS, build
from model.common.options import add_manifest, add_out, rtl_folder
from model.snn.export import load


def add_arguments(parser) -> None:
    add_manifest(parser)
    add_out(parser, None, "output folder", shown="build/rtl/<run>")
    parser.add_argument("--lanes", type=int, default=None, help="lanes P, the weights re-packed (default: the export's)")
    parser.add_argument("--no-lint", action="store_true", help="skip verilator --lint-only -Wall")
    parser.add_argument("--design", choices=DESIGNS, default="snn",
                        help="snn: the spiking generator; ann-dense / ann-skip: an exact-TTFS export's ANN twin "
                             "(top spikegan_ann), every activation or only the non-zero ones")


def run(args) -> int:
    export = load(args.manifest).with_lanes(args.lanes)
    out = Path(args.out) if args.out else rtl_folder(export.path)
    rtl = build(export, out, run_lint=not args.no_lint, design=args.design)
    c = export.config
    size = sum(f.stat().st_size for f in rtl.mem_files)
    print(
        f"wrote {out}: {', '.join(p.name for p in rtl.sources)} + {len(rtl.mem_files)} .mem files "
        f"({size / 1e6:.1f} MB) for {'-'.join(map(str, c.sizes))}, T={c.timesteps}, P={c.lanes}; "
        + ("lint clean (verilator -Wall, waivers in lint_waivers.vlt)" if not args.no_lint else "lint skipped")
    )
    return 0
