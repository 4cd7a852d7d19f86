"""Command line: ``python -m hw rtl`` (``make rtl``): the generator's Verilog for an exported network.

Writes to ``--out``: ``spikegan_generator.v`` (from Amaranth, one flat module,
no data inside), ``spikegan_rom.v`` (the ``$readmemh`` ROM), the ``.mem`` files
it reads (weights and biases of each layer, the Spike ROM and the encoder ROM
with all test vectors), ``files.f`` (the Verilog sources in compile order),
``lint_waivers.vlt`` and ``rtl.json`` (configuration, files, lint status).
Exit status 2 with a message on bad input or a lint warning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hw.build import build_generator
from model.errors import UserError, run_cli
from model.export import load_network, load_vectors

DEFAULT_MANIFEST = "weights/gan-mnist/snn/manifest.json"


def rtl(manifest, out, lanes: int | None = None, run_lint: bool = True):
    """Build the generator of an exported network (optionally with another lane count) into ``out``."""
    from verify.system import with_lanes

    net, _ = load_network(manifest)
    if lanes is not None and lanes < 1:
        raise UserError(f"--lanes must be >= 1, got {lanes}")
    net = with_lanes(net, lanes)
    x = np.stack([v.noise_x for v in load_vectors(manifest)])
    return build_generator(net, x, out, run_lint=run_lint), net


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hw", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rtl", help="write the generator's Verilog, .mem files and file list")
    r.add_argument("--manifest", default=DEFAULT_MANIFEST, help=f"exported network (default {DEFAULT_MANIFEST})")
    r.add_argument("--out", default="build/rtl", help="output folder (default build/rtl)")
    r.add_argument("--lanes", type=int, default=None, help="lanes P (default: the export's); weights are re-packed")
    r.add_argument("--no-lint", action="store_true", help="skip verilator --lint-only -Wall")
    args = p.parse_args(argv)
    return run_cli(lambda: _rtl_command(args))


def _rtl_command(args) -> int:
    build, net = rtl(args.manifest, args.out, args.lanes, not args.no_lint)
    c = net.config
    out = Path(args.out)
    size = sum(f.stat().st_size for f in build.mem_files)
    print(
        f"wrote {out}: {', '.join(p.name for p in build.sources)} + {len(build.mem_files)} .mem files "
        f"({size / 1e6:.1f} MB) for {'-'.join(map(str, c.sizes))}, T={c.timesteps}, P={c.lanes}; "
        + ("lint clean (verilator -Wall, waivers in lint_waivers.vlt)" if not args.no_lint else "lint skipped")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
