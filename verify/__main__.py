"""Command line: ``python -m verify run|sweep|synth-sweep|memristor ...``.

``run`` (``make verify``): the exported network's test vectors on the RTL
under Icarus or Verilator, compared with the golden model spike for spike; a
report (JSON + Markdown + PNG) in ``--out``. Exit status 0 when every image
matches, 1 on a mismatch (the first diverging layer, neuron and time step are
printed), 2 on bad input (a missing manifest or simulator, with how to fix it).
``sweep``: cycles per image against the lane count ``P``.
``synth-sweep`` (``make synth-sweep``): area, Fmax and cycles per image against ``P``.
``memristor``: the memristor GAN's RTL top learning on chip against its fixed-point model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.errors import run_cli
from model.export import DEFAULT_MANIFEST
from verify import synth_sweep
from verify.flow import SOURCES, verify_run
from verify.lane_sweep import lane_sweep, parse_lanes
from verify.memristor import hwcheck
from verify.run_report import markdown
from verify.sim import SIMULATORS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m verify", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="verify the RTL against the golden model on test vectors")
    run.add_argument("--manifest", default=DEFAULT_MANIFEST, help=f"exported network (default {DEFAULT_MANIFEST})")
    run.add_argument("--sim", choices=SIMULATORS, default="verilator")
    run.add_argument("--images", type=int, default=10, help="test vectors to run (default 10)")
    run.add_argument("--source", choices=SOURCES, default="alternate",
                     help="input spikes from the stored trains (rom), the on-chip encoder, or alternating (default)")
    run.add_argument("--lanes", type=int, default=None, help="build the RTL with this many lanes P (default: the export's)")
    run.add_argument("--out", default=None, help="report folder (default reports/verify-<sim>)")
    run.add_argument("--build-root", default="sim_builds", help="where RTL and simulator builds go")
    run.add_argument("--no-vcd", action="store_true", help="skip the waveform dump, its check and the raster")
    run.add_argument("--raster-neurons", type=int, default=16, help="neurons per layer in the raster figure")
    sw = sub.add_parser("sweep", help="cycles per image against the lane count P")
    sw.add_argument("--manifest", default=DEFAULT_MANIFEST)
    sw.add_argument("--sim", choices=SIMULATORS, default="verilator")
    sw.add_argument("--lanes", default="1,4,16,64", help="comma-separated lane counts (default 1,4,16,64)")
    sw.add_argument("--images", type=int, default=2)
    sw.add_argument("--out", default="reports/lane-sweep")
    sw.add_argument("--build-root", default="sim_builds")
    synth_sweep.add_arguments(sub.add_parser("synth-sweep", help="area, Fmax and cycles per image against P"))
    hwcheck.add_arguments(sub.add_parser("memristor", help="the memristor GAN's RTL top against its fixed-point model"))
    return p


def _run(args) -> int:
    if args.command == "run":
        out = args.out or f"reports/verify-{args.sim}"
        report = verify_run(
            args.manifest, args.sim, args.images, out, args.source, args.lanes, args.build_root,
            vcd=not args.no_vcd, raster_neurons=args.raster_neurons,
        )
        print(markdown(report))
        print(f"report: {out}/report.md, report.json, " + ", ".join(report["figures"]))
        if not report["ok"]:
            print(f"error: RTL and golden model differ; first divergence: {report['first_divergence']}", file=sys.stderr)
            return 1
        return 0
    if args.command == "synth-sweep":
        return synth_sweep.run(args)
    if args.command == "memristor":
        return 0 if all(r["ok"] for r in hwcheck.hardware_check(args)) else 1
    report = lane_sweep(args.manifest, args.sim, parse_lanes(args.lanes), args.images, args.out,
                        args.build_root)
    print((Path(args.out) / "lane_sweep.md").read_text())
    return 0 if report["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_cli(lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())
