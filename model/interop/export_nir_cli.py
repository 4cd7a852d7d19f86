"""``spikegan export-nir``: an exported network (its manifest) as a NIR file for snnTorch, sinabs and others."""

from __future__ import annotations

from pathlib import Path

from model.common.options import add_manifest, add_out
from model.interop.nir_export import DT, write
from model.snn.export import load


def add_arguments(parser) -> None:
    add_manifest(parser, "make convert or spikegan import writes it")
    add_out(parser, None, "the NIR file", shown="network.nir in the export's folder")
    parser.add_argument("--dt", type=float, default=DT, help="seconds per step written into LIF time constants")


def run(args) -> int:
    export = load(args.manifest)
    out = Path(args.out) if args.out else export.path.parent / "network.nir"
    write(export.net, out, args.dt, {"manifest_sha256": export.sha256})
    c = export.config
    print(f"wrote {out}: {'-'.join(map(str, c.sizes))}, {'IF' if c.leak_shift is None else 'LIF'} neurons, "
          f"reset {c.reset}, T = {c.timesteps} and the bit widths in its 'spikegan' metadata")
    return 0
