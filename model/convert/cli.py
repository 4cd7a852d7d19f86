"""``spikegan convert``: convert the trained generator, export it, and report.

1. Load the generator (``weights/gan-mnist/checkpoint.pt``) and convert it
   (`model.convert.checkpoint`): by default exactly into a time-to-first-spike
   network of ramp neurons at T = 32, one spike per neuron
   (`model.convert.exact`, docs/exact-ttfs.md); with ``--neuron rate`` or any
   option of the rate converter, normalised and quantised for rate neurons
   (direct coding at T = 32; ``--paper``: the paper's Bernoulli coding at T = 64).
2. Export the integer network with test vectors and the golden model's
   expected outputs (`model.snn.export`) to ``weights/gan-mnist/snn/``.
3. Report: the exact conversion's T x clip sweep (`model.convert.exact_sweep`:
   classifier FID beside the ANN and the rate converter, spikes, operations,
   energy, ``report/exact.json``), or the rate converter's T x normalisation x
   reset sweep with the sinabs peer (`model.convert.sweep`,
   ``report/conversion.json``); each with ``report.md`` and PNG figures.

The rate sweep's fixed-point SNN runs on the exact integer mode of
`model.snn.float_snn` (one matrix product per layer, so the sweep stays fast);
the export checks it against the golden model on the exported test vectors.
"""

from __future__ import annotations

import time

from model.common.errors import UserError
from model.common.options import add_no_directed, add_out, add_seed
from model.convert import exact_report, exact_sweep, report, sweep
from model.convert.checkpoint import (DEFAULT, DEFAULT_CHECKPOINT, EXACT_T, IMAGES, NEURONS, PAPER,
                                      CheckpointConversion, convert_checkpoint)
from model.convert.conversion import ConvertOptions
from model.snn.config import RATE_CODINGS, RATE_RESETS


RATE_OPTIONS = "--paper, --coding, --reset, --leak-shift or --no-round-offset"


def add_arguments(parser) -> None:
    d = DEFAULT
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="trained generator (make train writes it)")
    add_out(parser, None, "export folder", shown="<checkpoint folder>/snn")
    parser.add_argument("--neuron", choices=NEURONS, default=None,
                        help="ramp: the exact ReLU -> TTFS conversion, one spike per neuron, docs/exact-ttfs.md; "
                             "rate: the rate converter (Eq. 6-7, the codings below), docs/generator.md (default: "
                             f"ramp, or rate when {RATE_OPTIONS} is given)")
    parser.add_argument("--timesteps", type=int, default=None,
                        help=f"T of the exported network (default: {EXACT_T}; with --paper {PAPER.timesteps})")
    parser.add_argument("--reset", choices=RATE_RESETS, default=None,
                        help=f"rate: reset after a spike, to zero or by subtraction (default: {d.reset})")
    parser.add_argument("--coding", choices=RATE_CODINGS, default=None,
                        help="rate: input coding: bernoulli (a random number per input and step, Eq. 4), stratified "
                             "(the bit-reversed step as every input's threshold: exact rates) or direct (no input "
                             "spikes: layer 1 adds W_1 X every step), docs/hardware-semantics.md "
                             f"(default: {d.coding}, with --paper {PAPER.coding})")
    parser.add_argument("--paper", action="store_true",
                        help=f"rate: the paper's configuration, --coding {PAPER.coding} --timesteps {PAPER.timesteps} "
                             "unless given")
    parser.add_argument("--leak-shift", type=int, default=None, help="rate: LIF leak V -= V >> k (default: none, IF)")
    parser.add_argument("--weight-bits", type=int, default=d.weight_bits, help="q: bits per weight")
    parser.add_argument("--membrane-bits", type=int, default=None,
                        help=f"m: bits per membrane (default: the fewest that fit; the rate converter {d.membrane_bits})")
    parser.add_argument("--lanes", type=int, default=d.lanes, help="P: neurons per memory word (layout only)")
    parser.add_argument("--norm", default=ConvertOptions().normalisation,
                        help="each hidden layer's clip: a percentile of its activations like 'p99.9', or 'max' "
                             "(Eq. 6); the rate converter also takes 'unit' for a generator trained with --qcfs-levels")
    parser.add_argument("--no-round-offset", action="store_true",
                        help="rate: do not add theta/(2T) to the biases (floor instead of round)")
    parser.add_argument("--vectors", type=int, default=10, help="test noise vectors to export")
    add_no_directed(parser)
    parser.add_argument("--calib", type=int, default=2000, help="calibration noise vectors for the clips")
    parser.add_argument("--images", type=int, default=None,
                        help=f"generated images per point of the report's sweep (default: {IMAGES['ramp']}; the "
                             f"rate converter {IMAGES['rate']})")
    parser.add_argument("--sweep-t", default=None,
                        help=f"comma-separated T values of the sweep (default: {','.join(map(str, exact_sweep.SWEEP_T))}; "
                             f"the rate converter {','.join(map(str, sweep.SWEEP_T))})")
    parser.add_argument("--no-fid", action="store_true", help="skip the classifier FID")
    parser.add_argument("--no-peer", action="store_true", help="rate: skip the sinabs benchmark")
    parser.add_argument("--no-report", action="store_true", help="export only")
    add_seed(parser, "seed of the noise vectors")


def sweep_values(text: str | None, default: tuple[int, ...], exported: int) -> tuple[int, ...]:
    """The T values of ``--sweep-t``, with the exported T among them."""
    if text is None:
        values = default
    else:
        try:
            values = tuple(int(t) for t in text.split(","))
        except ValueError:
            raise UserError(f"--sweep-t must be comma-separated integers, got {text!r}") from None
    return values if exported in values else tuple(sorted((*values, exported)))


def _exact_report(done: CheckpointConversion, args) -> dict:
    """The exact conversion's T x clip report, with the exported point and the given clip among its points."""
    clips = exact_sweep.SWEEP_CLIPS + (() if args.norm in exact_sweep.SWEEP_CLIPS else (args.norm,))
    rep = exact_sweep.build_report(done.layers, done.calibration, done.sweep_noise, done.config.sizes,
                                   sweep_values(args.sweep_t, exact_sweep.SWEEP_T, done.config.timesteps), clips,
                                   fid=not args.no_fid, exported=(done.config.timesteps, args.norm))
    rep["export"] = {"config": done.config.to_dict(), "clip": args.norm}
    return rep


def _rate_report(done: CheckpointConversion, options: ConvertOptions, args) -> dict:
    """The rate converter's T x normalisation x reset report, with the sinabs peer unless told not to."""
    rep = sweep.build_report(done.layers, done.calibration, done.sweep_noise, done.config, options,
                             sweep_values(args.sweep_t, sweep.SWEEP_T, done.config.timesteps),
                             fid=not args.no_fid, with_peer=not args.no_peer)
    rep["export"] = {}
    return rep


def run(args) -> int:
    options = ConvertOptions(args.norm, not args.no_round_offset)
    t0 = time.perf_counter()
    done = convert_checkpoint(
        args.checkpoint, options, args.calib, args.images, args.vectors, args.seed, args.paper, neuron=args.neuron,
        timesteps=args.timesteps, weight_bits=args.weight_bits, membrane_bits=args.membrane_bits,
        leak_shift=args.leak_shift, reset=args.reset, lanes=args.lanes, coding=args.coding,
    )
    manifest, check = done.export(args.out, directed=not args.no_directed)
    print(f"exported {manifest}: {done.config.describe()} ({time.perf_counter() - t0:.1f} s)")
    if args.no_report:
        return 0
    ramp = done.config.neuron == "ramp"
    rep = _exact_report(done, args) if ramp else _rate_report(done, options, args)
    rep["export"] |= {"manifest": str(manifest), "vectors": args.vectors, "golden_check": check}
    rep["checkpoint"] = str(done.checkpoint)
    writer = exact_report if ramp else report
    paths = writer.write_report(rep, manifest.parent / "report")
    print(writer.markdown(rep))
    print("report: " + ", ".join(str(p) for p in paths))
    return 0
