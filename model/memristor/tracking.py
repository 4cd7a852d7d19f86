"""How closely the fixed-point model tracks the float one.

Two measures, both from the same seed (so the same initial states and the same
spike inputs):

* ``single_run``: both models start from the fixed model's states and run one
  learning layer on one raster; compares spike trains and, for the output
  neurons whose trains agree, the final states (normalised ``x``).
* ``lockstep``: both models train side by side on one image; compares their
  decoded stage-2 fake images iteration by iteration.
"""

from __future__ import annotations

import numpy as np

from model.memristor.data import decode, encode_image, encode_noise
from model.memristor.fixed import FixedGan
from model.memristor.gan import FloatGan, GanParams
from model.snn.xorshift import Xorshift32


def _sync(fl: FloatGan, fx: FixedGan) -> None:
    """Give the float model the fixed model's states exactly."""
    d = fl.p.device
    for layer in ("gen", "disc"):
        fl.w[layer] = d.w_on + fx.codes[layer] / fx.spec.state_max * (d.w_off - d.w_on)


def single_run(p: GanParams, target: np.ndarray, seed: int) -> dict:
    """One G run (alternating reward/punish modes) on noise and one D run on the image."""
    fl, fx = FloatGan(p, Xorshift32(seed)), FixedGan(p, Xorshift32(seed))
    _sync(fl, fx)
    rng = Xorshift32(seed)
    noise = encode_noise(p.n_latent, rng, p.enc)
    real = encode_image(target, rng, p.enc)
    result = {}
    g_modes = np.where(np.arange(p.n_pixels) % 2 == 0, 1, -1)
    for layer, raster, modes in (("gen", noise, g_modes), ("disc", real, np.array([1, -1]))):
        out_f, out_x = fl.run_layer(layer, raster, modes), fx.run_layer(layer, raster, modes)
        same = (out_f == out_x).all(axis=1)
        dx = np.abs(fl.normalised_states(layer) - fx.normalised_states(layer))
        result[layer] = {
            "spike_slots_equal": float((out_f == out_x).mean()),
            "neurons_equal": float(same.mean()),
            "max_state_error_where_equal": float(dx[:, same].max()) if same.any() else None,
            "spikes_float": int(out_f.sum()),
            "spikes_fixed": int(out_x.sum()),
        }
    return result


def lockstep(p: GanParams, target: np.ndarray, iterations: int, seed: int) -> dict:
    """Train both models on ``target``; pixel agreement of their fakes per iteration."""
    fl, fx = FloatGan(p, Xorshift32(seed)), FixedGan(p, Xorshift32(seed))
    agree = []
    for _ in range(iterations):
        rf, rx = fl.step(target), fx.step(target)
        agree.append(float((decode(rf.fake_counts, p.enc) == decode(rx.fake_counts, p.enc)).mean()))
    return {"iterations": iterations, "pixel_agreement_mean": float(np.mean(agree)), "pixel_agreement_min": float(np.min(agree))}
