"""The hybrid GANs' measurements: each variant x discriminator trained with the same updates and scored.

Per run: the classifier FID of ``images`` generated images beside the real-data floor of as many
real ones, the confident share, the class entropy and the classes holding at least 5 % of the
images (mode coverage), the spikes per image and synaptic operations of the spiking parts of G
(on the generated images) and of D (on as many real test images), parameters and training time.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import torch

from model import metrics
from model.gan.train import generate, recalibrate_batchnorm
from model.hybrid.train import HybridConfig, TrainedHybrid, train

MODE_SHARE = 0.05


def load_images(dataset: str, split: str, data_dir=None, limit: int | None = None) -> torch.Tensor:
    """``(N, C, H, W)`` images in [0, 1] of ``dataset`` ('mnist', 'fashion' or 'cifar10')."""
    images = metrics.load_split(dataset, split, data_dir).images
    return images[:limit] if limit else images


def spiking_figures(lifs) -> dict:
    """Spikes and synaptic operations per image of spiking modules, from their counters (then reset)."""
    spikes = sum(l.counter.per_image for l in lifs)
    ops = sum(l.counter.synaptic_ops_per_image for l in lifs)
    for l in lifs:
        l.counter.spikes, l.counter.images = 0.0, 0
    return {"spikes_per_image": spikes, "synaptic_ops_per_image": ops}


@torch.no_grad()
def d_spikes(run: TrainedHybrid, real: torch.Tensor, batch: int = 250) -> dict:
    """D's spikes per real image (eval mode); an ANN D has none."""
    if not run.disc.spiking:
        return {"spikes_per_image": 0.0, "synaptic_ops_per_image": 0.0}
    device = next(run.disc.parameters()).device
    run.disc.eval()
    for x in real.split(batch):
        run.disc((x * 2 - 1).to(device))
    run.disc.train()
    return spiking_figures(run.disc.spiking)


def score_run(run: TrainedHybrid, dataset: str, real_test: torch.Tensor, n: int, data_dir=None, seed: int = 0) -> tuple[dict, torch.Tensor]:
    """The run's row (see the module docstring) and its generated images in [0, 1]."""
    gen = run.gen.cpu()
    recalibrate_batchnorm(gen, n=2000, batch=250, seed=seed)
    for l in gen.spiking:
        l.counter.spikes, l.counter.images = 0.0, 0
    images = (generate(gen, n, seed + 5, batch=250) + 1) / 2
    row = {"name": run.config.name, "variant": run.config.variant, "discriminator": run.config.discriminator,
           "g_params": sum(p.numel() for p in gen.parameters()),
           "d_params": sum(p.numel() for p in run.disc.parameters()),
           "train_s": run.train_s, "updates": run.config.updates, "batch": run.config.batch,
           "final_d_error": sum(run.history["d_error"][-50:]) / len(run.history["d_error"][-50:]),
           "g_spiking": spiking_figures(gen.spiking), "d_spiking": d_spikes(run, real_test[:n])}
    s = metrics.evaluate_images(images.clamp(0, 1), dataset, data_dir)
    row.update(fid=s["fid"], confident=s["confident"], entropy=s["entropy"], class_histogram=s["class_histogram"],
               modes=sum(c >= MODE_SHARE * s["n"] for c in s["class_histogram"]))
    return row, images


def run_all(dataset: str, base: HybridConfig, variants, discriminators, images: int, data_dir=None,
            limit: int | None = None, device: str = "cpu") -> tuple[dict, dict]:
    """Train and score every ``variant`` x ``discriminator`` on ``dataset``; ``(results, {name: images})``."""
    train_images = load_images(dataset, "train", data_dir, limit)
    test_images = load_images(dataset, "test", data_dir)
    channels, side, _ = metrics.SHAPES[dataset]
    base = replace(base, shape=replace(base.shape, image_size=side, channels=channels))
    rows, samples = [], {}
    for variant in variants:
        for disc in discriminators:
            config = replace(base, variant=variant, discriminator=disc)
            run = train(train_images, config, device)
            row, generated = score_run(run, dataset, test_images, images, data_dir, base.seed)
            row["history"] = {k: v[:: max(1, len(v) // 200)] for k, v in run.history.items()}
            rows.append(row)
            samples[config.name] = generated[:100]
    results = {"dataset": dataset, "train_images": len(train_images), "rows": rows,
               "lif": {"generator": asdict(base.g_lif), "discriminator": asdict(base.d_lif)},
               "floor": metrics.real_floor(dataset, data_dir, n=images),
               "classifier_accuracy": metrics.get_classifier(dataset, data_dir).accuracy}
    return results, samples
