"""The conversion sweep behind ``make convert``'s report: T x normalisation x reset, the peer, the goals.

Each point converts the generator anew and runs the float SNN and the
fixed-point SNN on the same input spikes: image MSE against the ANN and each
other, classifier FID, spikes per neuron, synaptic operations and a 45 nm
energy estimate; the sinabs peer runs on the same spikes.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from model.common.runinfo import machine
from model.convert import peer
from model.convert.conversion import ConvertOptions, ann_forward, convert
from model.snn.config import RATE_RESETS, SnnConfig
from model.snn.energy import E_AC_PJ, E_MAC_PJ, energy_table, energy_uj
from model.snn.float_snn import SaturationPossible, SnnResult, from_int_network, simulate
from model.snn.golden import direct_current, encode_noise, encode_spikes, run_network

SWEEP_T = (16, 32, 64, 128, 256)
SWEEP_NORMS = ("max", "p99.9")
GOAL_MSE = 1e-4
GOAL_T = SnnConfig().timesteps  # the goals are stated at the default T


@dataclass(frozen=True)
class Inputs:
    """What drives the converted networks for noise ``u``: the input trains ``spikes`` ``(B, T, N_0)`` and,
    for direct coding, the encoder integers ``x`` (the fixed network's drive; the float one's is ``u``)."""

    u: torch.Tensor
    spikes: torch.Tensor
    x: np.ndarray | None
    rates: torch.Tensor  # the input as the ANN sees it: the realised spike rates, or X / 2^R (direct)

    @classmethod
    def of(cls, u: torch.Tensor, config: SnnConfig) -> "Inputs":
        x = encode_noise(u.numpy(), config)
        s = torch.as_tensor(encode_spikes(x, config))
        if config.direct:
            return cls(u, s, x, torch.as_tensor(x / (1 << config.input_bits), dtype=torch.float64))
        return cls(u, s, None, s.double().mean(dim=1))


def simulate_fixed(net, spike_0: torch.Tensor, x: np.ndarray | None = None) -> SnnResult:
    """The integer network on the fast matrix simulator, or on the golden model where saturation is possible;
    ``x``: the encoder integers that drive a direct-coded network."""
    try:
        return simulate(from_int_network(net), spike_0, drive=x)
    except SaturationPossible:
        start, cpu = time.perf_counter(), time.process_time()
        gold = run_network(net, np.asarray(spike_0), current=None if x is None else direct_current(net, x))
        return SnnResult(
            counts=[torch.as_tensor(c, dtype=torch.float64) for c in gold.counts],
            timesteps=gold.timesteps,
            macs=0 if x is None else net.config.sizes[0] * net.config.sizes[1],
            seconds=time.perf_counter() - start,
            cpu_seconds=time.process_time() - cpu,
            engine="golden",
        )


def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a.double() - b.double()) ** 2).mean())


def ann_macs(sizes) -> int:
    """Multiply-accumulates of one ANN forward pass: ``sum N_{l-1} N_l`` (2,500,800 for 100-1200-1200-784)."""
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def _widths(config: SnnConfig) -> dict:
    """The widths the integer energy model prices: the ANN accumulates at the SNN's membrane width."""
    return dict(membrane_bits=config.membrane_bits, weight_bits=config.weight_bits, accumulator_bits=config.membrane_bits)


def _snn_stats(result: SnnResult, config: SnnConfig) -> dict:
    """Spikes, operations and energy per image; a direct-coded layer 1's multiply-accumulates priced as MACs."""
    ops = float(result.synaptic_ops().double().mean())
    return {
        "spikes_per_neuron": [round(r, 4) for r in result.mean_rates()],
        "synaptic_ops": ops,
        "synaptic_ops_by_layer": [float(o.double().mean()) for o in result.synaptic_ops_into()],
        "macs": result.macs,
        "energy_uj": (ops * E_AC_PJ + result.macs * E_MAC_PJ) * 1e-6,
        "energy_uj_integer_memory": energy_uj(ops, result.macs, "integer_memory", **_widths(config)),
        "seconds": round(result.seconds, 3),
        "cpu_seconds": round(result.cpu_seconds, 3),
        "engine": result.engine,
    }


def _point(layers, u_calib, ann, inputs: Inputs, config: SnnConfig, options: ConvertOptions, fid_fn=None):
    """One sweep point on ``inputs``: its report row, and the float, fixed and input-rate images."""
    conv = convert(layers, u_calib, config, options)
    fl = simulate(conv.float_params, inputs.spikes, drive=None if inputs.x is None else inputs.u)
    fx = simulate_fixed(conv.int_net, inputs.spikes, inputs.x)
    ann_rates = ann_forward(layers, inputs.rates)
    row = {
        "timesteps": config.timesteps,
        "normalisation": options.normalisation,
        "reset": config.reset,
        "activation_scales": [round(x, 5) for x in conv.lambdas],
        "thresholds": [int(x) for x in conv.int_net.thresholds],
        "mse_float_ann": _mse(fl.image, ann),
        "mse_fixed_float": _mse(fx.image, fl.image),
        "mse_fixed_ann": _mse(fx.image, ann),
        "mse_float_ann_of_input_rates": _mse(fl.image, ann_rates),
        "float": _snn_stats(fl, config),
        "fixed": _snn_stats(fx, config),
    }
    if fid_fn is not None:
        row["fid_float"] = fid_fn(fl.image)
        row["fid_fixed"] = fid_fn(fx.image)
    return row, fl.image, fx.image, ann_rates


PILOT_IMAGES = 256


def announce(layers, u_calib, u_eval, base: SnnConfig, options: ConvertOptions, ts, points: int, fid_fn=None) -> str:
    """How long the sweep will take, from a pilot point (the longest T) on up to 256 of its images scaled
    by images and by T (a point's work grows with T), and the memory of its largest input trains; printed
    before it starts, so a large ``--images`` is no surprise."""
    config = replace(base, timesteps=max(ts))
    pilot = u_eval[:PILOT_IMAGES]
    start = time.perf_counter()
    _point(layers, u_calib, ann_forward(layers, pilot), Inputs.of(pilot, config), config, options, fid_fn)
    per_t = (time.perf_counter() - start) / max(ts) * len(u_eval) / len(pilot)
    seconds = per_t * sum(ts) * points / len(ts)
    trains_mb = len(u_eval) * max(ts) * base.sizes[0] / 1e6
    text = (f"report sweep: {points} configurations x {len(u_eval):,} images: about {seconds / 60:.1f} min "
            f"(from a pilot of {len(pilot)} images at T = {max(ts)}), {trains_mb:,.0f} MB of spike trains at a time")
    print(text, file=sys.stderr, flush=True)
    return text


def sweep(layers, u_calib, u_eval, base: SnnConfig, options: ConvertOptions, ts, norms, resets, fid_fn=None):
    """One row per (T, normalisation, reset); also the images of the base configuration."""
    from model.common.progress import progress_bar

    ann = ann_forward(layers, u_eval)
    rows, images = [], {"ann": ann}
    points = [(t, n, r) for t in ts for n in norms for r in resets]
    bar = progress_bar(points, desc="sweep T x norm x reset", unit="config")
    inputs, inputs_t = None, None
    for t, norm, reset in bar:
        config = replace(base, timesteps=t, reset=reset)
        if t != inputs_t:  # the points go T by T: one T's input trains in memory at a time
            inputs, inputs_t = Inputs.of(u_eval, config), t
        row, fl, fx, ann_rates = _point(layers, u_calib, ann, inputs, config, replace(options, normalisation=norm), fid_fn)
        rows.append(row)
        if (t, norm, reset) == (base.timesteps, options.normalisation, base.reset):
            images.update(float=fl, fixed=fx, ann_rates=ann_rates)
        bar.set_postfix(T=t, mse=f"{row['mse_float_ann']:.2e}", refresh=False)
    return rows, images


def peer_benchmark(layers, u_calib, u_eval, base: SnnConfig, options: ConvertOptions, ts) -> dict:
    """Our float SNN against sinabs (its normalisation, and its simulator on our weights) at each T."""
    if not peer.available:
        return {"skipped": peer.SKIP_MESSAGE}
    import sinabs
    from model.common.progress import progress_bar

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
    """Ours vs sinabs at one T, on input spikes (sinabs takes no direct current: Bernoulli for direct coding)."""
    config = replace(base, timesteps=t, reset="subtract", leak_shift=None,
                     coding="bernoulli" if base.direct else base.coding)
    s0 = Inputs.of(u_eval, config).spikes
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


def _classifier_fid(images) -> float:
    """The project's classifier FID of generated images (`model.metrics`)."""
    from model.metrics import evaluate_images

    return round(float(evaluate_images(images.float())["fid"]), 3)


def build_report(layers, u_calib, u_eval, config, options, ts, fid: bool = True, with_peer: bool = True) -> dict:
    """Everything the report shows, as JSON-ready data (images kept aside under ``_images``)."""
    start = time.perf_counter()
    fid_fn, fid_info = (_classifier_fid if fid else None), {}
    if fid:
        from model.metrics import real_floor

        ann = ann_forward(layers, u_eval)
        fid_info = {"fid_ann": fid_fn(ann), "fid_real_floor": round(float(real_floor(n=len(u_eval))["fid"]), 3)}
    norms = SWEEP_NORMS + (() if options.normalisation in SWEEP_NORMS else (options.normalisation,))
    announce(layers, u_calib, u_eval, config, options, ts, len(ts) * len(norms) * len(RATE_RESETS), fid_fn)
    rows, images = sweep(layers, u_calib, u_eval, config, options, ts, norms, RATE_RESETS, fid_fn)
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
        "ann_energy_uj_integer_memory": energy_table(0, macs, **_widths(config))["integer_memory"]["ann_uj"],
        "energy_note": (
            f"estimate at 45 nm (Horowitz, ISSCC 2014), two models (`model.snn.energy`): literature, {E_AC_PJ} pJ per "
            f"accumulate (SNN synaptic op) vs {E_MAC_PJ} pJ per multiply-accumulate (ANN), 32-bit float; integer + "
            f"memory, an add at the {config.membrane_bits}-bit membrane width vs a {config.weight_bits}-bit multiply and "
            f"an add at that width, each with one {config.weight_bits}-bit weight read from SRAM; counts synaptic "
            "operations only (spikes x fan-out), not bias additions or neuron updates"
        ),
        **fid_info,
        "sweep": rows,
        "goals": goals(rows, config, options, macs),
        "peer": peer_benchmark(layers, u_calib, u_eval, config, options, ts) if with_peer else {"skipped": "--no-peer"},
        "torch_threads": torch.get_num_threads(),
    }
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["machine"] = machine()
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
    # the ANN's energy in accumulates, less what a direct-coded layer 1's own MACs spend of it
    ops_limit = (macs - row["fixed"]["macs"]) * E_MAC_PJ / E_AC_PJ
    return {
        "at": {"timesteps": GOAL_T, "normalisation": options.normalisation, "reset": config.reset},
        "float_vs_ann_mse": row["mse_float_ann"],
        "float_vs_ann_met": row["mse_float_ann"] <= GOAL_MSE,
        "fixed_vs_float_mse": row["mse_fixed_float"],
        "fixed_vs_float_met": row["mse_fixed_float"] <= GOAL_MSE,
        "synaptic_ops": row["fixed"]["synaptic_ops"],
        "synaptic_ops_limit": ops_limit,
        "energy_met": row["fixed"]["synaptic_ops"] < ops_limit,
    }
