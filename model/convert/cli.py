"""``python -m model convert``: convert the trained generator, export it, and report.

1. Load the generator (``weights/gan-mnist/checkpoint.pt``), normalise and
   quantise it for the chosen `SnnConfig` (default: `DEFAULT`, direct coding at
   T = 32; ``--paper``: the paper's Bernoulli coding at T = 64).
2. Export the integer network with test vectors and the golden model's
   expected outputs (`model.snn.export`) to ``weights/gan-mnist/snn/``.
3. Sweep T x normalisation x reset on a few hundred noise vectors: image MSE
   of float SNN vs ANN, fixed vs float SNN, fixed vs ANN; classifier FID;
   spikes per neuron; synaptic operations and a 45 nm energy estimate; and the
   sinabs peer benchmark. Write ``report/conversion.json``, ``report.md`` and
   PNG figures, and print the summary.

Steps 1 and 2 live in `model.convert.checkpoint` (which `spikegan.api` calls
too), the sweep in `model.convert.sweep`, the report in `model.convert.report`.
The fixed-point SNN of the sweep runs on the exact integer mode of
`model.snn.float_snn` (one matrix product per layer, so the sweep stays fast);
the export checks it against the golden model on the exported test vectors.
"""

from __future__ import annotations

import time

from model.common.errors import UserError
from model.common.options import add_out, add_seed
from model.convert import exact_cli
from model.convert.exact_cli import EXACT_IMAGES, EXACT_T
from model.convert.exact_sweep import SWEEP_T as EXACT_SWEEP_T
from model.convert.checkpoint import DEFAULT, DEFAULT_CHECKPOINT, PAPER, convert_checkpoint
from model.convert.conversion import ConvertOptions
from model.convert.report import markdown, write_report
from model.convert.sweep import SWEEP_T, build_report
from model.snn.config import RATE_CODINGS, RATE_RESETS


RATE_IMAGES = 128


def add_arguments(parser) -> None:
    d = DEFAULT
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="trained generator (make train writes it)")
    add_out(parser, None, "export folder", shown="<checkpoint folder>/snn")
    parser.add_argument("--neuron", choices=("rate", "ramp"), default="rate",
                        help="rate: the rate converter (Eq. 6-7, the codings below); ramp: the exact ReLU -> TTFS "
                             "conversion, one spike per neuron, docs/exact-ttfs-semantics.md (export to "
                             "<checkpoint folder>/snn-ramp, report T x clip)")
    parser.add_argument("--timesteps", type=int, default=None,
                        help=f"T of the exported network (default: {d.timesteps}, with --paper {PAPER.timesteps}, "
                             f"with --neuron ramp {EXACT_T})")
    parser.add_argument("--reset", choices=RATE_RESETS, default=d.reset, help="reset after a spike: to zero or by subtraction")
    parser.add_argument("--coding", choices=RATE_CODINGS, default=None,
                        help="input coding: bernoulli (a random number per input and step, Eq. 4), stratified (the "
                             "bit-reversed step as every input's threshold: exact rates) or direct (no input spikes: "
                             "layer 1 adds W_1 X every step), docs/hardware-semantics.md "
                             f"(default: {d.coding}, with --paper {PAPER.coding})")
    parser.add_argument("--paper", action="store_true",
                        help=f"the paper's configuration: --coding {PAPER.coding} --timesteps {PAPER.timesteps} "
                             "unless given")
    parser.add_argument("--leak-shift", type=int, default=d.leak_shift, help="LIF leak V -= V >> k (default: none, IF)")
    parser.add_argument("--weight-bits", type=int, default=d.weight_bits, help="q: bits per weight")
    parser.add_argument("--membrane-bits", type=int, default=None,
                        help=f"m: bits per membrane (default: {d.membrane_bits}; with --neuron ramp the fewest that fit)")
    parser.add_argument("--lanes", type=int, default=d.lanes, help="P: neurons per memory word (layout only)")
    parser.add_argument("--norm", default=ConvertOptions().normalisation,
                        help="'max' (Eq. 6), a percentile like 'p99.9', or 'unit' for a generator trained with "
                             "--qcfs-levels; with --neuron ramp, each hidden layer's clip")
    parser.add_argument(
        "--no-round-offset", action="store_true", help="do not add theta/(2T) to the biases (floor instead of round)"
    )
    parser.add_argument("--vectors", type=int, default=10, help="test noise vectors to export")
    parser.add_argument("--calib", type=int, default=2000, help="calibration noise vectors for the normalisation")
    parser.add_argument("--images", type=int, default=None,
                        help=f"generated images per point of the report's sweep (default: {RATE_IMAGES}; with --neuron ramp {EXACT_IMAGES})")
    parser.add_argument("--sweep-t", default=None,
                        help=f"comma-separated T values of the sweep (default: {','.join(map(str, SWEEP_T))}; "
                             f"with --neuron ramp {','.join(map(str, EXACT_SWEEP_T))})")
    parser.add_argument("--no-fid", action="store_true", help="skip the classifier FID")
    parser.add_argument("--no-peer", action="store_true", help="skip the sinabs benchmark")
    parser.add_argument("--no-report", action="store_true", help="export only")
    add_seed(parser, "seed of the noise vectors")


def sweep_values(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """The T values of ``--sweep-t``."""
    if text is None:
        return default
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise UserError(f"--sweep-t must be comma-separated integers, got {text!r}") from None


def run(args) -> int:
    if args.neuron == "ramp":
        return exact_cli.run(args, sweep_values(args.sweep_t, EXACT_SWEEP_T))
    sweep_t = sweep_values(args.sweep_t, SWEEP_T)
    if args.images is None:
        args.images = RATE_IMAGES
    options = ConvertOptions(args.norm, not args.no_round_offset)
    t0 = time.perf_counter()
    done = convert_checkpoint(
        args.checkpoint, options, args.calib, args.images, args.vectors, args.seed, args.paper,
        timesteps=args.timesteps, weight_bits=args.weight_bits, membrane_bits=args.membrane_bits,
        leak_shift=args.leak_shift, reset=args.reset, lanes=args.lanes, coding=args.coding,
    )
    manifest, check = done.export(args.out)
    print(f"exported {manifest} ({time.perf_counter() - t0:.1f} s)")
    if args.no_report:
        return 0
    report = build_report(done.layers, done.calibration, done.sweep_noise, done.config, options, sweep_t,
                          fid=not args.no_fid, with_peer=not args.no_peer)
    report["export"] = {"manifest": str(manifest), "vectors": args.vectors, "golden_check": check}
    report["checkpoint"] = str(done.checkpoint)
    paths = write_report(report, manifest.parent / "report")
    print(markdown(report))
    print("report: " + ", ".join(str(p) for p in paths))
    return 0
