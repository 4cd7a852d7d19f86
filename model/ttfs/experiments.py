"""The experiments of Spiking-GAN Sec. 3, each returning a JSON-ready dict: the classifier
comparison (both targets, both norms, the ANN row) and the GANs (TTFS and ANN, all digits
at once and one per digit), with FID, spikes, operations and energy."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch

from model import metrics
from model.data.mnist import load_dataset
from model.ttfs import ann
from model.ttfs.accounting import energy_table, input_coding, macs, spikes_per_layer, synaptic_ops
from model.ttfs.classify import ClassifierConfig, evaluate, split_validation, train as train_classifier
from model.ttfs.coding import encode_images, noise_times
from model.ttfs.gan import FAKE, REAL, GanConfig, generate, generate_times, train as train_gan
from model.ttfs.golden import quantise, run_times
from model.ttfs.neuron import fired, forward


def classifier_rows(dataset: str, epochs: int, batch: int, norms=("l2", "l1"), data_dir=None, limit: int | None = None,
                    seed: int = 0, validation: int = 1000) -> list[dict]:
    """TTFS 784-400-10 with both targets (and the second norm for Aggressive TTFS) and the ANN, all
    trained on the same images (the training split less the TTFS runs' ``validation`` images)."""
    train, test = load_dataset(dataset, "train", data_dir), load_dataset(dataset, "test", data_dir)
    x, y = train.flat()[:limit], train.labels[:limit]
    rows = []
    runs = [("aggressive", norms[0]), ("relative", norms[0])] + [("aggressive", n) for n in norms[1:]]
    for target, norm in runs:
        cfg = ClassifierConfig(target=target, norm=norm, epochs=epochs, batch=batch, seed=seed, validation=validation)
        t0 = time.time()
        run = train_classifier(x, y, cfg, desc=f"TTFS {dataset} {target} {norm}")
        rows.append({"dataset": dataset, "model": f"TTFS, {target} targets", "norm": norm, "train_s": time.time() - t0,
                     **evaluate(run.weights, test.flat(), test.labels, cfg),
                     "dead_reset": run.history["dead_reset"], "train_images": len(y) - cfg.validation,
                     "validation_images": cfg.validation, "validation": run.history["validation"],
                     "best_update": run.history["best_update"], "updates": len(run.history["loss"]),
                     "train_source": train.source, "epochs": epochs, "batch": batch})
    keep, _ = split_validation(len(y), cfg)
    t0 = time.time()
    net = ann.train_classifier(x[keep], y[keep], epochs=epochs, batch=batch, seed=seed)
    rows.append({"dataset": dataset, "model": "ANN (ReLU, Adam, cross-entropy)", "norm": "-", "train_s": time.time() - t0,
                 "accuracy": ann.classifier_accuracy(net, test.flat(), test.labels), "n": len(test.labels),
                 "train_images": len(keep), "train_source": train.source, "epochs": epochs, "batch": batch})
    return rows


def _fid(images: torch.Tensor, dataset: str, data_dir) -> dict:
    return metrics.evaluate_images(images, dataset, data_dir)


def spike_table(gan, fixed, n: int, seed: int, real_images: torch.Tensor) -> dict:
    """Spikes and operations of the TTFS generator (and of G + D on its images) per image; energy
    at the widths of ``fixed``, its quantised network."""
    c = gan.config
    z = noise_times(n, c.g_sizes[0], c.timesteps, torch.Generator().manual_seed(seed))
    g_times = generate_times(gan, z)
    d_times = forward(g_times[-1], gan.d, c.params)
    g_spikes = spikes_per_layer(g_times, c.timesteps)
    d_spikes = spikes_per_layer(d_times, c.timesteps)  # D's input layer replays G's output spikes
    ops = synaptic_ops(g_times, c.timesteps)
    ann_macs = macs(c.g_sizes)
    return {
        "g_spikes_per_layer": g_spikes, "g_spikes": sum(g_spikes), "g_neurons": sum(c.g_sizes),
        "gd_spikes": sum(g_spikes) + sum(d_spikes), "gd_neurons": c.neurons,
        "synaptic_ops_per_layer": ops, "synaptic_ops": sum(ops), "ann_macs": ann_macs,
        "ops_vs_macs": sum(ops) / ann_macs,
        "weight_bits": fixed.config.weight_bits, "membrane_bits": fixed.config.membrane_bits,
        "energy": energy_table(sum(ops), ann_macs, fixed.config.membrane_bits, fixed.config.weight_bits),
        "input_coding": input_coding(real_images, c.timesteps, rate_timesteps=64),
        "n": n,
    }


def fixed_point_check(gan, net, n: int, seed: int) -> dict:
    """The golden model of the quantised ``net`` against the float TTFS generator: spike times and images."""
    c = gan.config
    z = noise_times(n, c.g_sizes[0], c.timesteps, torch.Generator().manual_seed(seed))
    fl = generate_times(gan, z)
    fx = run_times(net, z.numpy())
    out_f, out_x = fl[-1].numpy(), fx[-1]
    return {
        "same_output_times": float((out_f == out_x).mean()),
        "mean_abs_time_diff": float(np.abs(out_f - out_x).mean()),
        "image_mse": float((((out_f - out_x) / c.timesteps) ** 2).mean()),
        "thresholds": [int(t) for t in net.thresholds], "membrane_bits": net.config.membrane_bits, "n": n,
    }


def spread(images: torch.Tensor) -> float:
    """Mean over pixels of each pixel's standard deviation across ``images`` ``(N, P)``: how much
    the samples differ (0 when a generator draws one image whatever its noise)."""
    return float(images.std(0).mean())


def lit_times(images: torch.Tensor, timesteps: int) -> dict:
    """When the pixels of ``images`` ``(N, P)`` in [0, 1] fire under TTFS coding: the share that
    fires inside the window (``t < T``) and the median step of those (None if none fires): a D can
    tell real from fake by when the pixels fire, not only by which."""
    t = encode_images(images, timesteps)
    spiked = fired(t, timesteps)
    lit = t[spiked]
    return {"lit": float(spiked.double().mean()), "median_lit_step": float(lit.median()) if len(lit) else None}


def gan_runs(dataset: str, config: GanConfig, per_digit_updates: int, images: int, data_dir=None) -> tuple[dict, dict]:
    """Train the TTFS GAN of ``config`` and the ANN GAN with the same updates, batch and seed on all
    classes (and per class when ``per_digit_updates``); score ``images`` samples of each.
    Returns (results, sample tensors)."""
    train = load_dataset(dataset, "train", data_dir)
    x = train.flat()
    updates, batch = config.updates, config.batch
    results, samples = {}, {}
    t0 = time.time()
    gan = train_gan(x, config, desc=f"TTFS GAN {dataset}")
    results["ttfs_all"] = {"train_s": time.time() - t0, "updates": updates, "batch": batch, "history": _tail(gan.history)}
    samples["ttfs_all"] = generate(gan, images, seed=1)
    t0 = time.time()
    samples["ann_all"] = ann.train_gan(x, updates, batch, config.timesteps, seed=config.seed).generate(images, seed=1)
    results["ann_all"] = {"train_s": time.time() - t0, "updates": updates, "batch": batch}
    if per_digit_updates:
        per_digit(train, replace(config, updates=per_digit_updates), images, results, samples)
    for key, imgs in samples.items():
        results[key]["score"] = _fid(imgs, dataset, data_dir)
        results[key]["mean_pixel"] = float(imgs.mean())
        results[key]["spread"] = spread(imgs)
        results[key]["timing"] = lit_times(imgs, config.timesteps)
    results["real_mean_pixel"] = float(x.mean())
    results["real_spread"] = spread(x)
    results["real_timing"] = lit_times(x, config.timesteps)
    results["floor"] = metrics.real_floor(dataset, data_dir, n=images)
    fixed = quantise(gan.g, config.theta, config.timesteps)
    results["spikes"] = spike_table(gan, fixed, images, seed=1, real_images=load_dataset(dataset, "test", data_dir).flat())
    results["fixed_point"] = fixed_point_check(gan, fixed, min(images, 100), seed=1)
    results["d_on_fakes"] = _d_verdict(gan, samples["ttfs_all"])
    results["config"] = dict(config.__dict__)
    results["dataset"] = dataset
    return results, {"gan": gan, "fixed": fixed, **samples}


def per_digit(train, config: GanConfig, images: int, results: dict, samples: dict) -> None:
    """One TTFS and one ANN GAN per digit (the paper's setting); ``images`` samples of each kind,
    an equal share from every digit's GAN."""
    x, per = train.flat(), -(-images // 10)
    pooled, seconds = {"ttfs_per_digit": [], "ann_per_digit": []}, {"ttfs_per_digit": 0.0, "ann_per_digit": 0.0}
    for digit in range(10):
        xd = x[train.labels == digit]
        t0 = time.time()
        gd = train_gan(xd, replace(config, seed=config.seed + digit), desc=f"TTFS GAN digit {digit}")
        pooled["ttfs_per_digit"].append(generate(gd, per, seed=1))
        seconds["ttfs_per_digit"] += time.time() - t0
        t0 = time.time()
        ad = ann.train_gan(xd, config.updates, config.batch, config.timesteps, seed=config.seed + digit)
        pooled["ann_per_digit"].append(ad.generate(per, seed=1))
        seconds["ann_per_digit"] += time.time() - t0
    for key, parts in pooled.items():
        samples[key] = torch.cat(parts)[:images]
        results[key] = {"train_s": seconds[key], "updates": config.updates, "batch": config.batch, "per": "digit"}


def _tail(history: dict, last: int = 100) -> dict:
    """Mean of each training statistic over the last ``last`` updates."""
    return {k: float(np.mean(v[-last:])) for k, v in history.items() if v}


def _d_verdict(gan, images: torch.Tensor) -> dict:
    """Share of G's samples the final D calls real (its real neuron fires first)."""
    out = forward(encode_images(images, gan.config.timesteps), gan.d, gan.config.params)[-1]
    return {"called_real": float((out[:, REAL] < out[:, FAKE]).double().mean())}
