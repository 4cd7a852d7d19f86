"""``spikegan verify`` / ``python -m verify run`` (``make verify``): the RTL against the golden model.

The exported network's test vectors run on the RTL under Icarus or Verilator
and are compared with the golden model spike for spike; a report (JSON +
Markdown + PNG) goes to ``--out``; then the export's directed vectors, which
must hit every semantic coverage bin not proven unreachable. Exit status 0 when
every vector matches and coverage is closed, 1 on a mismatch (the first
diverging layer, neuron and time step are printed) or an open bin (named;
``--accept-open-bins`` reports them without failing),
2 on bad input (a missing manifest or simulator, with how to fix it).
"""

from __future__ import annotations

import sys

from hw.build import DESIGNS
from model.common.options import add_manifest, add_out, add_sim
from verify.flow import SOURCES, verify_run
from verify.run_report import markdown


def add_arguments(parser) -> None:
    add_manifest(parser)
    add_sim(parser)
    parser.add_argument("--vectors", type=int, default=10, help="test vectors to run, the first N of the export")
    parser.add_argument("--no-directed", action="store_true",
                        help="skip the export's directed vectors (which close its coverage) and the check that "
                             "coverage is closed")
    parser.add_argument("--accept-open-bins", action="store_true",
                        help="report semantic bins neither hit nor proven unreachable without failing")
    parser.add_argument("--source", choices=SOURCES, default="alternate",
                        help="input spikes from the stored trains (rom), the on-chip encoder, or alternating")
    parser.add_argument("--lanes", type=int, default=None, help="build the RTL with this many lanes P (default: the export's)")
    add_out(parser, None, shown="reports/verify-<sim>")
    parser.add_argument("--build-root", default="sim_builds", help="where RTL and simulator builds go")
    parser.add_argument("--no-vcd", action="store_true", help="skip the waveform dump, its check and the raster")
    parser.add_argument("--rtl", default=None, help="the RTL folder spikegan rtl wrote for this export: its files must "
                        "equal the RTL verified (default: none, only the RTL built for the run is checked)")
    parser.add_argument("--raster-neurons", type=int, default=16, help="neurons per layer in the raster figure")
    parser.add_argument("--design", choices=DESIGNS, default="snn",
                        help="snn: the spiking generator; ann-dense / ann-skip: an exact-TTFS export's ANN twin, every "
                             "activation or only the non-zero ones (docs/ann-twin.md), against the same golden model")


def failure(first: dict) -> str:
    """The first failed check: what disagrees with what, and where (vector, layer, neuron, step) if known."""
    where = ", ".join(f"{k} {first[k]}" for k in ("vector", "layer", "neuron", "step") if first.get(k) is not None)
    text = first.get("text", "the check failed")
    return f"{text}; first divergence: {where}" if where else text


def run(args) -> int:
    out = args.out or f"reports/verify-{args.sim}"
    report = verify_run(
        args.manifest, args.sim, args.vectors, out, args.source, args.lanes, args.build_root,
        vcd=not args.no_vcd, raster_neurons=args.raster_neurons, rtl_dir=args.rtl, design=args.design,
        directed=not args.no_directed,
    )
    print(markdown(report))
    print(f"report: {out}/report.md, report.json, " + ", ".join(report["figures"]))
    if not report["ok"]:
        print(f"error: {failure(report['first_divergence'])}", file=sys.stderr)
        return 1
    open_bins = report["coverage"]["semantic_missed"]
    if report["directed_ran"] and not report["coverage_closed"] and not args.accept_open_bins:
        print(f"error: the RTL matched the golden model, but coverage is not closed: {len(open_bins)} semantic bins "
              f"neither hit by the export's vectors nor proven unreachable: {', '.join(open_bins[:12])}; they may be "
              "unreachable beyond what the bound proves: pass --accept-open-bins to accept them", file=sys.stderr)
        return 1
    return 0
