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

The sweep lives in `model.convert.sweep`, the report in `model.convert.report`.
The fixed-point SNN of the sweep runs on the exact integer mode of
`model.snn.float_snn` (one matrix product per layer, so the sweep stays fast);
the export checks it against the golden model on the exported test vectors.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from model.common.errors import UserError
from model.common.options import DEFAULT_RUN, add_out, add_seed
from model.convert.conversion import ConvertOptions, check_layers, convert
from model.convert.report import markdown, write_report
from model.convert.sweep import SWEEP_T, build_report
from model.snn.config import RATE_CODINGS, RATE_RESETS, SnnConfig
from model.snn.float_snn import SaturationPossible, from_int_network, simulate
from model.snn.golden import encode_noise, encode_spikes, run_noise


# The paper's configuration (the dataclass defaults: Bernoulli rate coding, Eq. 4, at T = 64) and the default,
# the cheapest point of the measured fidelity/energy front whose FID is within 10 % of the ANN's (README).
PAPER = SnnConfig()
DEFAULT = dataclasses.replace(PAPER, coding="direct", timesteps=32)


def add_arguments(parser) -> None:
    d = DEFAULT
    parser.add_argument("--checkpoint", default=f"{DEFAULT_RUN}/checkpoint.pt", help="trained generator (make train writes it)")
    add_out(parser, None, "export folder", shown="<checkpoint folder>/snn")
    parser.add_argument("--timesteps", type=int, default=None,
                        help=f"T of the exported network (default: {d.timesteps}, with --paper {PAPER.timesteps})")
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
    parser.add_argument("--membrane-bits", type=int, default=d.membrane_bits, help="m: bits per membrane")
    parser.add_argument("--lanes", type=int, default=d.lanes, help="P: neurons per memory word (layout only)")
    parser.add_argument("--norm", default=ConvertOptions().normalisation, help="'max' (Eq. 6), a percentile like 'p99.9', or 'unit' for a generator trained with --qcfs-levels")
    parser.add_argument(
        "--no-round-offset", action="store_true", help="do not add theta/(2T) to the biases (floor instead of round)"
    )
    parser.add_argument("--vectors", type=int, default=10, help="test noise vectors to export")
    parser.add_argument("--calib", type=int, default=2000, help="calibration noise vectors for the normalisation")
    parser.add_argument("--images", type=int, default=128, help="generated images per point of the report's sweep")
    parser.add_argument("--sweep-t", default=",".join(map(str, SWEEP_T)), help="comma-separated T values of the sweep")
    parser.add_argument("--no-fid", action="store_true", help="skip the classifier FID")
    parser.add_argument("--no-peer", action="store_true", help="skip the sinabs benchmark")
    parser.add_argument("--no-report", action="store_true", help="export only")
    add_seed(parser, "seed of the noise vectors")


def run(args) -> int:
    from model.gan.train import load_generator

    ckpt = Path(args.checkpoint)
    if not ckpt.exists():
        raise UserError(f"no generator checkpoint at {ckpt}: run `make train` first (or pass --checkpoint)")
    out = Path(args.out) if args.out else ckpt.parent / "snn"
    for name in ("vectors", "calib", "images"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} must be >= 1")
    try:
        sweep_t = tuple(int(t) for t in args.sweep_t.split(","))
    except ValueError:
        raise UserError(f"--sweep-t must be comma-separated integers, got {args.sweep_t!r}") from None
    options = ConvertOptions(args.norm, not args.no_round_offset)
    layers = check_layers(load_generator(ckpt).affine_layers())
    sizes = (layers[0][0].shape[1],) + tuple(w.shape[0] for w, _ in layers)
    base = PAPER if args.paper else DEFAULT
    config = SnnConfig(
        sizes=sizes,
        timesteps=args.timesteps if args.timesteps is not None else base.timesteps,
        weight_bits=args.weight_bits,
        membrane_bits=args.membrane_bits,
        leak_shift=args.leak_shift,
        reset=args.reset,
        lanes=args.lanes,
        coding=args.coding or base.coding,
    )
    u_calib, u_eval, u_vec = noise_sets(sizes[0], args.calib, args.images, args.vectors, args.seed)

    t0 = time.perf_counter()
    conv = convert(layers, u_calib, config, options)
    extra = conv.metadata() | {"checkpoint": str(ckpt), "noise_seed": args.seed, "calibration_vectors": args.calib}
    manifest, check = export_with_check(conv, out, u_vec, extra)
    print(f"exported {manifest} ({time.perf_counter() - t0:.1f} s)")
    if args.no_report:
        return 0
    report = build_report(
        layers, u_calib, u_eval, config, options, sweep_t, fid=not args.no_fid, with_peer=not args.no_peer
    )
    report["export"] = {"manifest": str(manifest), "vectors": args.vectors, "golden_check": check}
    report["checkpoint"] = str(ckpt)
    paths = write_report(report, out / "report")
    print(markdown(report))
    print("report: " + ", ".join(str(p) for p in paths))
    return 0


def noise_sets(n0: int, calib: int, images: int, vectors: int, seed: int):
    """Independent seeded noise for calibration, the sweep and the test vectors, ``u ~ U(0, 1)``."""
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(n, n0, generator=g, dtype=torch.float64) for n in (calib, images, vectors))


def export_with_check(conv, out: Path, u_vec: torch.Tensor, extra: dict) -> tuple[Path, str]:
    """Export, after checking the fast integer simulator against the golden model on the test vectors."""
    from model.snn.export import export_network

    c = conv.config
    x = encode_noise(u_vec.numpy(), c)
    spikes = encode_spikes(x, c)
    gold = run_noise(conv.int_net, x)
    try:
        fast = simulate(from_int_network(conv.int_net), spikes, drive=x if c.direct else None)
    except SaturationPossible:
        check = "not checked: the membrane may saturate, so the report's fixed SNN runs on the golden model itself"
    else:
        if not all(np.array_equal(g, f.numpy().astype(np.int64)) for g, f in zip(gold.counts, fast.counts)):
            raise RuntimeError("bug: the matrix integer simulator disagrees with the golden model")
        check = f"float_snn integer mode == golden model on the {len(u_vec)} test vectors (every layer's counts)"
    return export_network(conv.int_net, out, u_vec.numpy(), extra | {"golden_check": check}), check
