"""The float SNN's and the ANN's images for the test vectors, to set the RTL beside the paper's figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def float_references(manifest: dict, vectors, config) -> tuple[dict, str]:
    """``({"float_snn": (n, N_L), "ann": (n, N_L)}, note)`` for exported test ``vectors``.

    Rebuilt from what the converter recorded in the manifest (``extra``: the
    generator checkpoint, the activation scales and the conversion options),
    on the same input spike trains as the RTL (direct coding: driven by the
    noise ``u`` itself). Returns ``({}, reason)`` when
    the manifest does not come from `model.convert.conversion` (e.g. a random test
    network) or the checkpoint is gone.
    """
    extra = manifest.get("extra", {})
    if config.neuron == "ramp" and extra.get("clips") and extra.get("checkpoint"):
        return _exact_references(extra, vectors, config)
    ckpt, lambdas, options = extra.get("checkpoint"), extra.get("activation_scales"), extra.get("conversion")
    if not (ckpt and lambdas and options):
        return {}, "no float SNN / ANN reference: the manifest does not come from `python -m model convert`"
    if not Path(ckpt).is_file():
        return {}, f"no float SNN / ANN reference: checkpoint {ckpt} not found"
    import torch

    from model.convert.conversion import ConvertOptions, ann_forward, check_layers, float_snn, normalise
    from model.gan.train import load_generator
    from model.snn.float_snn import simulate

    layers = check_layers(load_generator(ckpt).affine_layers())
    params = float_snn(normalise(layers, lambdas), config, ConvertOptions(**options))
    spikes = np.stack([v.spikes for v in vectors])
    u = torch.as_tensor(np.stack([v.noise_u for v in vectors]), dtype=torch.float64)
    snn = simulate(params, spikes, drive=u if config.direct else None).image.double().numpy()
    ann = ann_forward(layers, u).numpy()
    return {"float_snn": snn, "ann": ann}, f"float SNN and ANN rebuilt from {ckpt}"


def _exact_references(extra: dict, vectors, config) -> tuple[dict, str]:
    """A ramp network's references: the ANN, and as its "float SNN" the ANN with every activation on the same
    ``T`` levels (`model.convert.exact.fake_quantised`), from the clips the exact converter recorded."""
    ckpt = extra["checkpoint"]
    if not Path(ckpt).is_file():
        return {}, f"no float reference / ANN: checkpoint {ckpt} not found"
    import torch

    from model.convert.conversion import ann_forward, check_layers
    from model.convert.exact import fake_quantised
    from model.gan.train import load_generator

    layers = check_layers(load_generator(ckpt).affine_layers())
    u = torch.as_tensor(np.stack([v.noise_u for v in vectors]), dtype=torch.float64)
    ref = (fake_quantised(layers, extra["clips"], config.timesteps, u)[-1] / config.timesteps).numpy()
    return {"float_snn": ref, "ann": ann_forward(layers, u).numpy()}, (
        f"ANN, and as float SNN the ANN on {config.timesteps} activation levels, rebuilt from {ckpt}")
