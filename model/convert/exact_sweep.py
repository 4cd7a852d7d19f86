"""The exact-TTFS conversion report's data: T x clip percentile on the trained generator.

Every point converts the generator anew (`model.convert.exact`) and runs the integer ramp network in its
closed form (`model.snn.ramp.values`, equal to the step form by the tests) and the float reference on the
same noise: classifier FID beside the ANN's and the real-data floor, image MSE, spikes per neuron, synaptic
additions, neuron updates and energy per image under both energy models (`model.snn.energy`). Beside them:
the ANN, an ANN that skips zero activations (it reads the same weights), and the rate-coded converter's
direct-coded default and the paper's Bernoulli configuration on the same noise.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch

from model.common.runinfo import machine
from model.convert import exact
from model.convert.checkpoint import DEFAULT, PAPER
from model.convert.conversion import ConvertOptions, ann_activations
from model.convert.sweep import Inputs, _point, ann_macs
from model.snn import ramp
from model.snn.config import SnnConfig
from model.snn.energy import MODELS, energy_uj
from model.snn.golden import encode_noise, run_noise

SWEEP_T = (8, 16, 32, 64, 128, 256)
SWEEP_CLIPS = ("p99", "p99.9", "p99.99", "max")
GOAL_FID_RATIO = 1.03  # within 3 % of the ANN's FID
GOAL_T = 64  # at some T at most this
GOAL_OPS_RATIO = 0.55
GOAL_ENERGY = {"literature": 0.15, "integer_memory": 0.6}
STEP_IMAGES = 16  # images of each point also run in the step form: spikes per neuron counted there


def _widths(config: SnnConfig) -> dict:
    """The widths both designs are priced at: the ANN accumulates at the ramp network's membrane width."""
    return dict(membrane_bits=config.membrane_bits, weight_bits=config.weight_bits, accumulator_bits=config.membrane_bits)


def op_count_energy(config: SnnConfig, synaptic: float = 0, macs: float = 0, updates: float = 0) -> dict:
    """Energy per image (uJ) under each op-count model (`model.snn.energy`), priced at the ramp network's widths."""
    return {m: energy_uj(synaptic, macs, m, updates=updates, **_widths(config)) for m in MODELS}


def zero_skipping_macs(layers, u) -> float:
    """Mean multiply-accumulates per image of the ANN when it skips the zero activations of each layer's input."""
    acts = [torch.as_tensor(u, dtype=torch.float64)] + ann_activations(layers, u)[:-1]
    return float(sum((a != 0).double().sum(1).mean() * w.shape[0] for a, (w, _) in zip(acts, layers)))


def _mse(a, b) -> float:
    return float(((torch.as_tensor(a, dtype=torch.float64) - torch.as_tensor(b, dtype=torch.float64)) ** 2).mean())


def exact_point(layers, u_calib, u_eval, ann, sizes, t: int, clip: str, fid_fn=None) -> tuple[dict, torch.Tensor]:
    """One point: its report row and the integer network's images."""
    conv = exact.convert(layers, u_calib, exact.ramp_config(sizes, t), clip)
    c = conv.config
    x = encode_noise(u_eval.numpy(), c)
    q = ramp.values(conv.int_net, x)
    stepped = run_noise(conv.int_net, x[:STEP_IMAGES])  # the step form, held equal to the closed form
    if not all(np.array_equal(t - ramp.spike_times(s), v[:STEP_IMAGES]) for s, v in zip(stepped.spikes, q)):
        raise RuntimeError(f"bug: the ramp network's step form and closed form differ (T = {t}, {clip})")
    image = torch.as_tensor(q[-1] / t)
    reference = exact.fake_quantised(layers, conv.clips, t, u_eval)[-1] / t
    spikes = [(v > 0).sum(axis=1).mean() for v in q]  # at most one spike per neuron: value > 0
    ops = ramp.Operations.of(c, spikes)
    row = {
        "timesteps": t, "clip": clip, "clips": [round(x, 5) for x in conv.clips], "slopes": ramp.slopes(conv.int_net),
        "membrane_bits": c.membrane_bits,
        "mse_fixed_ann": _mse(image, ann), "mse_fixed_float": _mse(image, reference), "mse_float_ann": _mse(reference, ann),
        "spikes_per_neuron": [round(float((v > 0).mean()), 4) for v in q],
        "max_spikes_per_neuron": int(max(s.sum(axis=1).max() for s in stepped.spikes[1:])),
        "synaptic_ops": float(sum(ops.synaptic)), "synaptic_ops_by_layer": ops.synaptic,
        "neuron_updates": ops.neuron_updates,
        "energy_uj": op_count_energy(c, synaptic=sum(ops.synaptic), updates=ops.neuron_updates),
    }
    if fid_fn is not None:
        row["fid_fixed"], row["fid_float"] = fid_fn(image), fid_fn(reference)
    return row, image


def rate_points(layers, u_calib, u_eval, ann, sizes, fid_fn=None) -> list[dict]:
    """The rate converter's direct-coded default and the paper's Bernoulli configuration on the same noise."""
    rows = []
    for name, base in (("direct", DEFAULT), ("bernoulli (paper)", PAPER)):
        config = dataclasses.replace(base, sizes=tuple(sizes))
        row, _, _, _ = _point(layers, u_calib, ann, Inputs.of(u_eval, config), config, ConvertOptions(), fid_fn)
        fx = row["fixed"]
        rows.append({
            "name": name, "coding": config.coding, "timesteps": config.timesteps, "membrane_bits": config.membrane_bits,
            "fid_fixed": row.get("fid_fixed"), "mse_fixed_ann": row["mse_fixed_ann"],
            "spikes_per_neuron": fx["spikes_per_neuron"], "synaptic_ops": fx["synaptic_ops"], "macs": fx["macs"],
            "energy_uj": {"literature": fx["energy_uj"], "integer_memory": fx["energy_uj_integer_memory"]},
            "ann_energy_uj": op_count_energy(config, macs=ann_macs(sizes)),
        })
    return rows


def goals_at(report: dict, r: dict) -> dict:
    """The issue's goals at sweep row ``r``: spikes per neuron, synaptic operations and energy against the ANN's."""
    energy = {m: r["energy_uj"][m] / r["ann_energy_uj"][m] for m in MODELS}
    out = {
        "at": {"timesteps": r["timesteps"], "clip": r["clip"]},
        "fid_ratio": r["fid_fixed"] / report["fid_ann"],
        "max_spikes_per_neuron": r["max_spikes_per_neuron"],
        "synaptic_ops_ratio": r["synaptic_ops"] / report["ann"]["macs"],
        "energy_ratio": energy,
        "energy_ratio_to_zero_skipping_ann": {m: r["energy_uj"][m] / r["zero_skipping_ann_energy_uj"][m] for m in MODELS},
    }
    out["met"] = (out["fid_ratio"] <= GOAL_FID_RATIO and out["max_spikes_per_neuron"] <= 1
                  and out["synaptic_ops_ratio"] <= GOAL_OPS_RATIO and all(energy[m] <= GOAL_ENERGY[m] for m in MODELS))
    return out


def goals(report: dict, exported: tuple[int, str] | None = None) -> dict:
    """The goals at the first point (smallest T, then the sweep's clip order) at ``T <= GOAL_T`` whose FID is at
    most ``GOAL_FID_RATIO`` times the ANN's, and at the ``exported`` ``(T, clip)`` when it is in the sweep."""
    if report.get("fid_ann") is None:
        return {"note": "no FID (--no-fid): the goals are stated on the classifier FID"}
    out = {}
    near = [r for r in report["sweep"] if r["timesteps"] <= GOAL_T and r["fid_fixed"] <= GOAL_FID_RATIO * report["fid_ann"]]
    if near:
        out["first"] = goals_at(report, near[0])
    else:
        best = min(report["sweep"], key=lambda r: r["fid_fixed"])
        out["note"] = (f"no point at T <= {GOAL_T} within {GOAL_FID_RATIO - 1:.0%} of the ANN's FID; best FID "
                       f"{best['fid_fixed']} at T = {best['timesteps']}, {best['clip']}")
    row = next((r for r in report["sweep"] if (r["timesteps"], r["clip"]) == exported), None)
    if row is not None:
        out["exported"] = goals_at(report, row)
    return out


def build_report(layers, u_calib, u_eval, sizes, ts=SWEEP_T, clips=SWEEP_CLIPS, fid: bool = True,
                 exported: tuple[int, str] | None = None) -> dict:
    """Everything the exact-TTFS report shows, as JSON-ready data (images kept aside under ``_images``);
    ``exported``: the ``(T, clip)`` of the export, whose goals are stated too."""
    from model.common.progress import progress_bar
    from model.convert.sweep import _classifier_fid

    start = time.perf_counter()
    fid_fn = _classifier_fid if fid else None
    ann = ann_activations(layers, u_eval)[-1]
    widths_of = exact.ramp_config(sizes, max(ts))
    report = {"sizes": list(sizes), "images": len(u_eval), "calibration_vectors": len(u_calib)}
    if fid:
        from model.metrics import real_floor

        report["fid_ann"] = fid_fn(ann)
        report["fid_real_floor"] = round(float(real_floor(n=len(u_eval))["fid"]), 3)
    rows, images = [], {"ann": ann}
    for t, clip in progress_bar([(t, c) for t in ts for c in clips], desc="exact TTFS: T x clip", unit="point"):
        row, images[(t, clip)] = exact_point(layers, u_calib, u_eval, ann, sizes, t, clip, fid_fn)
        rows.append(row)
    report["sweep"] = rows
    macs, skip = ann_macs(sizes), zero_skipping_macs(layers, u_eval)
    report["ann"] = {"macs": macs, "zero_skipping_macs": skip}
    report["rate"] = rate_points(layers, u_calib, u_eval, ann, sizes, fid_fn)
    for r in rows:  # each point against the ANN priced at its own widths
        c = dataclasses.replace(widths_of, timesteps=r["timesteps"], membrane_bits=r["membrane_bits"])
        r["ann_energy_uj"] = op_count_energy(c, macs=macs)
        r["zero_skipping_ann_energy_uj"] = op_count_energy(c, macs=skip)
    report["goals"] = goals(report, exported)
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["machine"] = machine()
    report["_images"] = images
    return report
