"""Exact ReLU -> TTFS conversion: the trained generator as a ramp network (docs/exact-ttfs-semantics.md).

Each layer ``l`` takes a clip ``X_l`` (a percentile of its ReLU activations on calibration noise, as
`model.convert.conversion.activation_scales` picks it; ``X_0 = X_L = 1``) and a step ``Delta_l = X_l / T``.
The integer network then computes ``q_l = clamp(floor((W_l q_{l-1} + B_l) / R_l), 0, T)`` with

    W_l = round(w_l Delta_{l-1} / Delta_l R_l),   B_l = round(b_l / Delta_l R_l) + floor(R_l / 2),

``R_l`` the largest integer whose largest weight still fits ``q`` bits, ``theta_l = T R_l``, and the membrane
as wide as the largest reach of any layer (unless given). The float reference is the ANN with every
activation quantised to the same ``T`` levels (`fake_quantised`): it and the integer network differ only in
the rounding of weights and biases.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from model.common.errors import UserError
from model.convert.conversion import Affine, activation_scales, check_layers
from model.snn.config import RAMP, IntNetwork, SnnConfig, ramp_membrane_bits
from model.snn import ramp


def ramp_config(sizes, timesteps: int, membrane_bits: int | None = None, **fields) -> SnnConfig:
    """A ramp network's `SnnConfig`; ``membrane_bits`` None: a placeholder `quantise` replaces by the width needed."""
    return SnnConfig(sizes=tuple(sizes), timesteps=timesteps, membrane_bits=membrane_bits or 48, **fields, **RAMP)


def _largest_slope(peak: float, wmax: int, layer: int, weight_bits: int) -> int:
    """The largest ``R >= 1`` with ``round(peak R) <= wmax``."""
    r = int(np.floor((wmax + 0.5) / peak)) if peak > 0 else wmax
    if peak > 0 and round(peak * r) > wmax:  # peak * r == wmax + 0.5 rounds (half to even) to wmax + 1
        r -= 1
    if r < 1:
        raise UserError(f"layer {layer}: a scaled weight of {peak:.3g} does not fit {weight_bits}-bit weights; "
                        "use a smaller T, a larger clip percentile or more weight bits")
    return r


def quantise(layers: list[Affine], clips: list[float], config: SnnConfig, fit_membrane: bool = True) -> IntNetwork:
    """The ramp network of ``layers`` with clips ``X_0 .. X_L`` for ``config``; ``fit_membrane``: its membrane
    width set to the fewest bits every layer's reach needs (else ``config``'s, checked)."""
    t, wmax = config.timesteps, 2 ** (config.weight_bits - 1) - 1
    weights, biases, thresholds, reach = [], [], [], 0
    for l, (w, b) in enumerate(layers, start=1):
        ws, bs = w * (clips[l - 1] / clips[l]), b * (t / clips[l])
        r = _largest_slope(float(ws.abs().max()), wmax, l, config.weight_bits)
        wi = torch.round(ws * r).to(torch.int64).clamp(-wmax, wmax).numpy()
        bi = (torch.round(bs * r).to(torch.int64) + r // 2).numpy()
        weights.append(wi)
        biases.append(bi)
        thresholds.append(t * r)
        reach = max(reach, t * int(np.abs(wi).sum(1).max()) + int(np.abs(bi).max(initial=0)), t * r)
    if fit_membrane:
        config = dataclasses.replace(config, membrane_bits=max(ramp_membrane_bits(reach), config.weight_bits + 1))
    return IntNetwork(config, weights, biases, thresholds)


def fake_quantised(layers: list[Affine], clips: list[float], timesteps: int, u) -> list[torch.Tensor]:
    """The float reference: the ANN with the input and every activation on ``T`` levels,
    ``x_l = Delta_l clamp(round(a_l / Delta_l), 0, T)``; each layer's values ``q_l`` (float, integral)."""
    t = timesteps
    q = [torch.round(torch.as_tensor(u, dtype=torch.float64) * t)]
    for l, (w, b) in enumerate(layers, start=1):
        a = (q[-1] * (clips[l - 1] / t)) @ w.T + b
        q.append(torch.clamp(torch.round(a / (clips[l] / t)), 0, t))
    return q


@dataclass
class ExactConversion:
    """One exact conversion: the clips, the integer ramp network and its configuration."""

    clip: str
    clips: list[float]
    int_net: IntNetwork

    @property
    def config(self) -> SnnConfig:
        return self.int_net.config

    def metadata(self) -> dict:
        """What the manifest records about how the integers were made."""
        return {"conversion": {"method": "exact ReLU -> TTFS (ramp neuron)", "clip": self.clip},
                "clips": self.clips, "slopes": ramp.slopes(self.int_net)}


def convert(layers: list[Affine], u_calib, config: SnnConfig, clip: str = "p99.9",
            fit_membrane: bool = True) -> ExactConversion:
    """Clip at the ``clip`` percentile of each hidden layer's activations on ``u_calib`` and quantise."""
    layers = check_layers(layers)
    if config.neuron != "ramp":
        raise UserError(f"the exact conversion makes ramp networks, not {config.neuron!r} ones")
    clips = activation_scales(layers, torch.as_tensor(u_calib, dtype=torch.float64), clip)
    return ExactConversion(clip, clips, quantise(layers, clips, config, fit_membrane))


def check_step_form(net: IntNetwork, x) -> str:
    """Run the golden model's step form on spike times ``x`` and hold it equal to the closed form, every layer."""
    from model.snn.golden import run_noise

    gold = run_noise(net, x)
    closed = ramp.values(net, x)
    for l, (s, q) in enumerate(zip(gold.spikes, closed)):
        if not np.array_equal(net.config.timesteps - ramp.spike_times(s), q):
            raise RuntimeError(f"bug: the ramp network's step form and closed form differ in layer {l}")
    return f"step form == closed form on the {len(x)} test vectors (every layer's spike times)"
