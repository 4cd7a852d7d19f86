"""``python -m model convert``: convert the trained generator, export it, and report.

1. Load the generator (``weights/gan-mnist/checkpoint.pt``), normalise and
   quantise it for the chosen `SnnConfig` (default: the dataclass defaults).
2. Export the integer network with test vectors and the golden model's
   expected outputs (`model.export`) to ``weights/gan-mnist/snn/``.
3. Sweep T x normalisation x reset on a few hundred noise vectors: image MSE
   of float SNN vs ANN, fixed vs float SNN, fixed vs ANN; classifier FID;
   spikes per neuron; synaptic operations and a 45 nm energy estimate; and the
   sinabs peer benchmark. Write ``report/conversion.json``, ``report.md`` and
   PNG figures, and print the summary.

The fixed-point SNN of the sweep runs on the exact integer mode of
`model.float_snn` (one matrix product per layer, so the sweep stays fast); the
report checks it against the golden model on the exported test vectors.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from model import peer
from model.convert import ConvertOptions, ann_forward, check_layers, convert
from model.errors import UserError
from model.float_snn import SaturationPossible, SnnResult, from_int_network, simulate
from model.golden import encode_noise, encode_spikes, run_network
from model.snn_config import RESETS, SnnConfig

SWEEP_T = (16, 32, 64, 128, 256)
SWEEP_NORMS = ("max", "p99.9")
E_AC_PJ = 0.9  # 32-bit float add, 45 nm (Horowitz, ISSCC 2014)
E_MAC_PJ = 4.6  # 32-bit float multiply (3.7 pJ) + add (0.9 pJ), 45 nm (Horowitz, ISSCC 2014)
GOAL_MSE = 1e-4
GOAL_T = 64


def add_arguments(parser) -> None:
    d = SnnConfig()
    parser.add_argument("--checkpoint", default="weights/gan-mnist/checkpoint.pt", help="trained generator (make train)")
    parser.add_argument("--out", default=None, help="export folder (default: <checkpoint folder>/snn)")
    parser.add_argument("--timesteps", type=int, default=d.timesteps, help="T of the exported network")
    parser.add_argument("--reset", choices=RESETS, default=d.reset)
    parser.add_argument("--leak-shift", type=int, default=d.leak_shift, help="LIF leak V -= V >> k (default: IF, no leak)")
    parser.add_argument("--weight-bits", type=int, default=d.weight_bits)
    parser.add_argument("--membrane-bits", type=int, default=d.membrane_bits)
    parser.add_argument("--lanes", type=int, default=d.lanes, help="neurons per memory word (layout only)")
    parser.add_argument("--norm", default=ConvertOptions().normalisation, help="'max' (Eq. 6) or a percentile like 'p99.9'")
    parser.add_argument(
        "--no-round-offset", action="store_true", help="do not add theta/(2T) to the biases (floor instead of round)"
    )
    parser.add_argument("--vectors", type=int, default=10, help="test noise vectors to export")
    parser.add_argument("--calib", type=int, default=2000, help="calibration noise vectors for the normalisation")
    parser.add_argument("--images", type=int, default=128, help="noise vectors for the report's sweep")
    parser.add_argument("--sweep-t", default=",".join(map(str, SWEEP_T)), help="comma-separated T values of the sweep")
    parser.add_argument("--no-fid", action="store_true", help="skip the classifier FID")
    parser.add_argument("--no-peer", action="store_true", help="skip the sinabs benchmark")
    parser.add_argument("--no-report", action="store_true", help="export only")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise vectors")


def run(args) -> int:
    from model.train import load_generator

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
    config = SnnConfig(
        sizes=sizes,
        timesteps=args.timesteps,
        weight_bits=args.weight_bits,
        membrane_bits=args.membrane_bits,
        leak_shift=args.leak_shift,
        reset=args.reset,
        lanes=args.lanes,
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
    from model.export import export_network

    c = conv.config
    spikes = encode_spikes(encode_noise(u_vec.numpy(), c), c)
    gold = run_network(conv.int_net, spikes)
    try:
        fast = simulate(from_int_network(conv.int_net), spikes)
    except SaturationPossible:
        check = "not checked: the membrane may saturate, so the report's fixed SNN runs on the golden model itself"
    else:
        if not all(np.array_equal(g, f.numpy().astype(np.int64)) for g, f in zip(gold.counts, fast.counts)):
            raise RuntimeError("bug: the matrix integer simulator disagrees with the golden model")
        check = f"float_snn integer mode == golden model on the {len(u_vec)} test vectors (every layer's counts)"
    return export_network(conv.int_net, out, u_vec.numpy(), extra | {"golden_check": check}), check


def simulate_fixed(net, spike_0: torch.Tensor) -> SnnResult:
    """The integer network on the fast matrix simulator, or on the golden model where saturation is possible."""
    try:
        return simulate(from_int_network(net), spike_0)
    except SaturationPossible:
        start, cpu = time.perf_counter(), time.process_time()
        gold = run_network(net, np.asarray(spike_0))
        return SnnResult(
            counts=[torch.as_tensor(c, dtype=torch.float64) for c in gold.counts],
            timesteps=gold.timesteps,
            seconds=time.perf_counter() - start,
            cpu_seconds=time.process_time() - cpu,
            engine="golden",
        )


def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a.double() - b.double()) ** 2).mean())


def ann_macs(sizes) -> int:
    """Multiply-accumulates of one ANN forward pass: ``sum N_{l-1} N_l`` (2,500,800 for 100-1200-1200-784)."""
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def _snn_stats(result: SnnResult) -> dict:
    ops = float(result.synaptic_ops().double().mean())
    return {
        "spikes_per_neuron": [round(r, 4) for r in result.mean_rates()],
        "synaptic_ops": ops,
        "energy_uj": ops * E_AC_PJ * 1e-6,
        "seconds": round(result.seconds, 3),
        "cpu_seconds": round(result.cpu_seconds, 3),
        "engine": result.engine,
    }


def sweep(layers, u_calib, u_eval, base: SnnConfig, options: ConvertOptions, ts, norms, resets, fid_fn=None):
    """One row per (T, normalisation, reset); also the images of the base configuration."""
    from model.progress import progress_bar

    ann = ann_forward(layers, u_eval)
    rows, images = [], {"ann": ann}
    points = [(t, n, r) for t in ts for n in norms for r in resets]
    bar = progress_bar(points, desc="sweep T x norm x reset", unit="config")
    spikes = {}
    for t, norm, reset in bar:
        config = replace(base, timesteps=t, reset=reset)
        if t not in spikes:
            spikes[t] = torch.as_tensor(encode_spikes(encode_noise(u_eval.numpy(), config), config))
        s0 = spikes[t]
        conv = convert(layers, u_calib, config, replace(options, normalisation=norm))
        fl = simulate(conv.float_params, s0)
        fx = simulate_fixed(conv.int_net, s0)
        ann_rates = ann_forward(layers, s0.double().mean(dim=1))
        row = {
            "timesteps": t,
            "normalisation": norm,
            "reset": reset,
            "activation_scales": [round(x, 5) for x in conv.lambdas],
            "thresholds": [int(x) for x in conv.int_net.thresholds],
            "mse_float_ann": _mse(fl.image, ann),
            "mse_fixed_float": _mse(fx.image, fl.image),
            "mse_fixed_ann": _mse(fx.image, ann),
            "mse_float_ann_of_input_rates": _mse(fl.image, ann_rates),
            "float": _snn_stats(fl),
            "fixed": _snn_stats(fx),
        }
        if fid_fn is not None:
            row["fid_float"] = fid_fn(fl.image)
            row["fid_fixed"] = fid_fn(fx.image)
        rows.append(row)
        if (t, norm, reset) == (base.timesteps, options.normalisation, base.reset):
            images.update(float=fl.image, fixed=fx.image, ann_rates=ann_rates)
        bar.set_postfix(T=t, mse=f"{row['mse_float_ann']:.2e}")
    return rows, images


def peer_benchmark(layers, u_calib, u_eval, base: SnnConfig, options: ConvertOptions, ts) -> dict:
    """Our float SNN against sinabs (its normalisation, and its simulator on our weights) at each T."""
    if not peer.available:
        return {"skipped": peer.SKIP_MESSAGE}
    import sinabs
    from model.progress import progress_bar

    ann = ann_forward(layers, u_eval)
    rows = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # timed on one thread: CPU seconds then measure work, not contention or spin-waits
    try:
        for t in progress_bar(ts, desc="peer benchmark (sinabs)", unit="T"):
            rows.append(_peer_row(layers, u_calib, u_eval, ann, base, options, t))
    finally:
        torch.set_num_threads(threads)
    return {
        "sinabs_version": sinabs.__version__,
        "normalisation": options.normalisation,
        "rows": rows,
        "method": PEER_METHOD,
    }


PEER_METHOD = (
    "same input spike trains; sinabs.utils.normalize_weights on the hidden layers, from_model defaults "
    "(IAFSqueeze, MultiSpike, subtract reset, min_v_mem=-1) with add_spiking_output=True; the output layer's "
    "weights multiplied by the hidden-activity scale sinabs removed; image = clamp(count / T, 0, 1). "
    "'sinabs_on_our_weights': the same simulator on our Eq. 6-7 normalised weights. *_analog_mse: the "
    "normalised ANN's own error (sinabs' normalize_weights does not rescale biases by the earlier layers' factors). "
    "Simulation times on one thread."
)


def _peer_row(layers, u_calib, u_eval, ann, base: SnnConfig, options: ConvertOptions, t: int) -> dict:
    """Ours vs sinabs at one T."""
    config = replace(base, timesteps=t, reset="subtract", leak_shift=None)
    s0 = torch.as_tensor(encode_spikes(encode_noise(u_eval.numpy(), config), config))
    ours = simulate(convert(layers, u_calib, config, options).float_params, s0)
    row = {
        "timesteps": t,
        "ours_mse": _mse(ours.image, ann),
        "ours_seconds": round(ours.seconds, 3),
        "ours_cpu_seconds": round(ours.cpu_seconds, 3),
    }
    for mode in ("sinabs", "ours"):
        net = peer.sinabs_network(layers, u_calib, options.normalisation, t, mode)
        img, sec, cpu = peer.simulate_sinabs(net, s0)
        key = "sinabs" if mode == "sinabs" else "sinabs_on_our_weights"
        row[f"{key}_mse"] = _mse(img, ann)
        row[f"{key}_seconds"] = round(sec, 3)
        row[f"{key}_cpu_seconds"] = round(cpu, 3)
        row[f"{key}_analog_mse"] = peer.analog_error(layers, net, u_eval)
    return row


def build_report(layers, u_calib, u_eval, config, options, ts, fid: bool = True, with_peer: bool = True) -> dict:
    """Everything the report shows, as JSON-ready data (images kept aside under ``_images``)."""
    start = time.perf_counter()
    fid_fn, fid_info = None, {}
    if fid:
        from model.metrics import evaluate_images, real_floor

        def fid_fn(images):
            return round(float(evaluate_images(images.float())["fid"]), 3)

        ann = ann_forward(layers, u_eval)
        fid_info = {"fid_ann": fid_fn(ann), "fid_real_floor": round(float(real_floor(n=len(u_eval))["fid"]), 3)}
    resets = ("zero", "subtract")
    rows, images = sweep(layers, u_calib, u_eval, config, options, ts, SWEEP_NORMS, resets, fid_fn)
    if "float" not in images:  # the exported configuration is not among the sweep points
        extra_rows, extra_images = sweep(
            layers, u_calib, u_eval, config, options, (config.timesteps,), (options.normalisation,), (config.reset,), fid_fn
        )
        rows += extra_rows
        images.update(extra_images)
    macs = ann_macs(config.sizes)
    report = {
        "config": config.to_dict(),
        "options": options.to_dict(),
        "images": len(u_eval),
        "calibration_vectors": len(u_calib),
        "ann_macs": macs,
        "ann_energy_uj": macs * E_MAC_PJ * 1e-6,
        "energy_note": (
            f"estimate: {E_AC_PJ} pJ per accumulate (SNN synaptic op) vs {E_MAC_PJ} pJ per multiply-accumulate (ANN), "
            "45 nm, 32-bit float (Horowitz, ISSCC 2014); counts synaptic operations only (spikes x fan-out), not bias "
            "additions, neuron updates or memory accesses"
        ),
        **fid_info,
        "sweep": rows,
        "goals": goals(rows, config, options, macs),
        "peer": peer_benchmark(layers, u_calib, u_eval, config, options, ts) if with_peer else {"skipped": "--no-peer"},
        "torch_threads": torch.get_num_threads(),
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["_images"] = images
    return report


def goals(rows, config: SnnConfig, options: ConvertOptions, macs: int) -> dict:
    """The issue's goals, evaluated on the exported configuration at T = 64."""
    row = next(
        (
            r
            for r in rows
            if (r["timesteps"], r["normalisation"], r["reset"]) == (GOAL_T, options.normalisation, config.reset)
        ),
        None,
    )
    if row is None:
        return {"note": f"T = {GOAL_T} with the exported normalisation/reset is not in the sweep"}
    return {
        "at": {"timesteps": GOAL_T, "normalisation": options.normalisation, "reset": config.reset},
        "float_vs_ann_mse": row["mse_float_ann"],
        "float_vs_ann_met": row["mse_float_ann"] <= GOAL_MSE,
        "fixed_vs_float_mse": row["mse_fixed_float"],
        "fixed_vs_float_met": row["mse_fixed_float"] <= GOAL_MSE,
        "synaptic_ops": row["fixed"]["synaptic_ops"],
        "synaptic_ops_limit": macs * E_MAC_PJ / E_AC_PJ,
        "energy_met": row["fixed"]["synaptic_ops"] < macs * E_MAC_PJ / E_AC_PJ,
    }


def markdown(report: dict) -> str:
    """The short Markdown report (also printed at the end of ``make convert``)."""
    c = report["config"]
    lines = [
        "# Conversion report",
        "",
        f"Generator {'-'.join(map(str, c['sizes']))}, {c['weight_bits']}-bit weights, {c['membrane_bits']}-bit "
        f"membrane, leak {'none (IF)' if c['leak_shift'] is None else 'V >> ' + str(c['leak_shift'])}, "
        f"{report['images']} noise vectors, calibration on {report['calibration_vectors']}. "
        f"ANN: {report['ann_macs']:,} MACs = {report['ann_energy_uj']:.2f} uJ per image ({report['energy_note']}).",
        "",
    ]
    if "fid_ann" in report:
        lines += [f"Classifier FID: ANN {report['fid_ann']}, real data of the same size {report['fid_real_floor']}.", ""]
    has_fid = "fid_float" in report["sweep"][0]
    head = "| T | norm | reset | MSE float-ANN | MSE fixed-float | MSE fixed-ANN | MSE float-ANN(input rates) |"
    head += " FID float | FID fixed |" if has_fid else ""
    head += " spikes/neuron L1, L2, L3 | synaptic ops/image | energy uJ (x ANN) |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in report["sweep"]:
        fx = r["fixed"]
        line = (
            f"| {r['timesteps']} | {r['normalisation']} | {r['reset']} | {r['mse_float_ann']:.2e} | "
            f"{r['mse_fixed_float']:.2e} | {r['mse_fixed_ann']:.2e} | {r['mse_float_ann_of_input_rates']:.2e} |"
        )
        line += f" {r['fid_float']} | {r['fid_fixed']} |" if has_fid else ""
        line += (
            f" {', '.join(f'{x:.2f}' for x in fx['spikes_per_neuron'][1:])} | {fx['synaptic_ops']:,.0f} | "
            f"{fx['energy_uj']:.2f} ({fx['energy_uj'] / report['ann_energy_uj']:.2f}) |"
        )
        lines.append(line)
    g = report["goals"]
    if "at" in g:
        yes = {True: "met", False: "NOT met"}
        lines += [
            "",
            f"Goals at T = {GOAL_T} ({g['at']['normalisation']}, reset {g['at']['reset']}): "
            f"float SNN vs ANN MSE {g['float_vs_ann_mse']:.2e} (<= {GOAL_MSE:g}: {yes[g['float_vs_ann_met']]}); "
            f"fixed vs float MSE {g['fixed_vs_float_mse']:.2e} (<= {GOAL_MSE:g}: {yes[g['fixed_vs_float_met']]}); "
            f"synaptic ops {g['synaptic_ops']:,.0f} (< {g['synaptic_ops_limit']:,.0f}: {yes[g['energy_met']]}).",
        ]
    p = report["peer"]
    lines += ["", "## Peer: sinabs", ""]
    if "skipped" in p:
        lines.append(p["skipped"])
    else:
        lines += [
            f"sinabs {p['sinabs_version']}, normalisation {p['normalisation']}. {p['method']}",
            "",
            "Simulation time: CPU seconds on one thread for all images (wall seconds in the JSON).",
            "",
            "| T | ours MSE | sinabs MSE | sinabs on our weights MSE | ours CPU s | sinabs CPU s | sinabs (our weights) CPU s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in p["rows"]:
            lines.append(
                f"| {r['timesteps']} | {r['ours_mse']:.2e} | {r['sinabs_mse']:.2e} | {r['sinabs_on_our_weights_mse']:.2e} | "
                f"{r['ours_cpu_seconds']} | {r['sinabs_cpu_seconds']} | {r['sinabs_on_our_weights_cpu_seconds']} |"
            )
        lines += ["", f"sinabs' normalised ANN alone (no spikes) has image MSE {p['rows'][0]['sinabs_analog_mse']:.2e} vs the ANN."]
    if "export" in report:
        lines += ["", f"Export: {report['export']['manifest']}; {report['export']['golden_check']}."]
    lines += ["", f"Report made in {report['seconds']} s."]
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: Path) -> list[Path]:
    """``conversion.json``, ``report.md``, ``samples.png`` and ``mse_energy_vs_t.png`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    images = report.pop("_images")
    json_path = out_dir / "conversion.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path = out_dir / "report.md"
    md_path.write_text(markdown(report))
    return [json_path, md_path, samples_figure(images, report, out_dir / "samples.png"), curves_figure(report, out_dir / "mse_energy_vs_t.png")]


def samples_figure(images: dict, report: dict, path: Path, n: int = 10) -> Path:
    """ANN / float SNN / fixed SNN images side by side, one row each; last, the ANN fed the SNN's input spike rates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = report["config"]
    rows = [
        ("ANN", images["ann"]),
        ("float SNN", images["float"]),
        ("fixed SNN", images["fixed"]),
        ("ANN of the input\nspike rates", images["ann_rates"]),
    ]
    fig, axes = plt.subplots(len(rows), 1, figsize=(n * 0.9, len(rows) * 1.1))
    for ax, (name, img) in zip(axes, rows):
        strip = img[:n].float().clamp(0, 1).reshape(-1, 28, 28).permute(1, 0, 2).reshape(28, -1)
        ax.imshow(strip.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    fig.suptitle(f"T = {c['timesteps']}, {report['options']['normalisation']}, reset {c['reset']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def curves_figure(report: dict, path: Path) -> Path:
    """Image MSE and estimated energy per image against T, one line per normalisation/reset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    keys = sorted({(r["normalisation"], r["reset"]) for r in report["sweep"]})
    for k, (norm, reset) in enumerate(keys):
        rs = sorted((r for r in report["sweep"] if (r["normalisation"], r["reset"]) == (norm, reset)), key=lambda r: r["timesteps"])
        ts = [r["timesteps"] for r in rs]
        color = f"C{k}"
        ax1.plot(ts, [r["mse_float_ann"] for r in rs], "o-", color=color, label=f"float vs ANN, {norm}, {reset}")
        ax1.plot(ts, [r["mse_fixed_float"] for r in rs], "s--", color=color, label=f"fixed vs float, {norm}, {reset}")
        ax2.plot(ts, [r["fixed"]["energy_uj"] for r in rs], "o-", color=color, label=f"fixed SNN, {norm}, {reset}")
    p = report["peer"]
    if "rows" in p:
        ax1.plot([r["timesteps"] for r in p["rows"]], [r["sinabs_mse"] for r in p["rows"]], "k^:", label="sinabs vs ANN")
    ax1.axhline(GOAL_MSE, color="gray", lw=0.8)
    ax2.axhline(report["ann_energy_uj"], color="k", lw=1, label="ANN (estimate)")
    for ax, ylabel in ((ax1, "image MSE"), (ax2, "energy per image, uJ (45 nm estimate)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("time steps T")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=6)
    ax2.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
