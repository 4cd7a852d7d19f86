"""``spikegan convert --neuron ramp``: the exact ReLU -> TTFS conversion of the trained generator, its export
and its report (T x clip percentile, `model.convert.exact_sweep`)."""

from __future__ import annotations

import time
from pathlib import Path

from model.common.errors import UserError
from model.convert import exact
from model.convert.checkpoint import checkpoint_path, load_generator, noise_sets
from model.convert.conversion import check_layers
from model.convert.exact_report import markdown, write_report
from model.convert.exact_sweep import SWEEP_CLIPS, build_report
from model.snn.export import export_network
from model.snn.golden import encode_noise

EXACT_T = 32
EXACT_IMAGES = 1000
EXPORT_FOLDER = "snn-ramp"


def _refuse_rate_options(args) -> None:
    given = [flag for flag, on in (("--paper", args.paper), ("--coding", args.coding is not None),
                                   ("--leak-shift", args.leak_shift is not None),
                                   ("--no-round-offset", args.no_round_offset)) if on]
    if given:
        raise UserError(f"{', '.join(given)}: options of the rate converter; the ramp neuron codes its input as "
                        "spike times, has no leak and always rounds (drop them, or leave out --neuron ramp)")


def convert_and_export(args) -> tuple[list, exact.ExactConversion, tuple, Path, str]:
    """Convert the checkpoint's generator and export it with its test vectors; the layers, the conversion, the
    noise sets, the manifest and the check of the step form against the closed form."""
    path = checkpoint_path(args.checkpoint)
    for name in ("vectors", "calib", "images"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} must be >= 1")
    layers = check_layers(load_generator(path).affine_layers())
    sizes = (layers[0][0].shape[1],) + tuple(w.shape[0] for w, _ in layers)
    config = exact.ramp_config(sizes, args.timesteps or EXACT_T, args.membrane_bits,
                               weight_bits=args.weight_bits, lanes=args.lanes)
    noise = noise_sets(sizes[0], args.calib, args.images, args.vectors, args.seed)
    conv = exact.convert(layers, noise[0], config, args.norm, fit_membrane=args.membrane_bits is None)
    u_vec = noise[2].numpy()
    check = exact.check_step_form(conv.net, encode_noise(u_vec, conv.config))
    out = Path(args.out) if args.out else path.parent / EXPORT_FOLDER
    extra = conv.metadata() | {"checkpoint": str(path), "noise_seed": args.seed,
                               "calibration_vectors": args.calib, "golden_check": check}
    return layers, conv, noise, export_network(conv.net, out, u_vec, extra), check


def run(args, sweep_t: tuple[int, ...]) -> int:
    _refuse_rate_options(args)
    args.images = EXACT_IMAGES if args.images is None else args.images
    t0 = time.perf_counter()
    layers, conv, (u_calib, u_eval, _), manifest, check = convert_and_export(args)
    print(f"exported {manifest}: {conv.config.describe()} ({time.perf_counter() - t0:.1f} s)")
    if args.no_report:
        return 0
    clips = SWEEP_CLIPS + (() if args.norm in SWEEP_CLIPS else (args.norm,))
    t = conv.config.timesteps
    sweep_t = sweep_t if t in sweep_t else tuple(sorted((*sweep_t, t)))
    report = build_report(layers, u_calib, u_eval, conv.config.sizes, sweep_t, clips, fid=not args.no_fid,
                          exported=(conv.config.timesteps, args.norm))
    report["export"] = {"manifest": str(manifest), "config": conv.config.to_dict(), "clip": args.norm, "check": check}
    report["checkpoint"] = str(checkpoint_path(args.checkpoint))
    paths = write_report(report, manifest.parent / "report", (conv.config.timesteps, args.norm))
    print(markdown(report))
    print("report: " + ", ".join(str(p) for p in paths))
    return 0
