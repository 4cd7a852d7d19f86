"""What one generated image costs: spikes per layer, synaptic operations, energy, and the
input-coding comparison of Spiking-GAN Sec. 3.2."""

from __future__ import annotations

import torch

from model.snn import energy
from model.snn.config import SnnConfig


def spikes_per_layer(times: list[torch.Tensor], timesteps: int) -> list[float]:
    """Mean spikes per image in each layer (input first); a forced spike at T is no spike."""
    return [float((t < timesteps).double().sum(1).mean()) for t in times]


def synaptic_ops(times: list[torch.Tensor], timesteps: int) -> list[float]:
    """Mean synaptic operations per image into each layer: every spike of the layer below
    updates every neuron of the layer (its fan-out)."""
    spikes = spikes_per_layer(times, timesteps)
    return [s * t.shape[1] for s, t in zip(spikes[:-1], times[1:])]


def macs(sizes) -> int:
    """Multiply-accumulates of the equivalent dense ANN."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def energy_table(ops: float, ann_macs: int, membrane_bits: int, weight_bits: int) -> dict:
    """Energy per image (uJ) of ``ops`` synaptic operations and of the ANN's MACs, per model
    (`model.snn.energy.energy_table`). The ANN's MACs multiply ``weight_bits`` words and accumulate at
    the rate-coded design's membrane width (``SnnConfig().membrane_bits``)."""
    return energy.energy_table(ops, ann_macs, membrane_bits=membrane_bits, weight_bits=weight_bits,
                               accumulator_bits=SnnConfig().membrane_bits)


def input_coding(images: torch.Tensor, timesteps: int, rate_timesteps: int) -> dict:
    """Spikes per image that encode 8-bit images ``(N, 784)`` in [0, 1] (Sec. 3.2): a lossless
    count code (one spike per grey level, the image and its inverse), the project's Bernoulli
    rate code over ``rate_timesteps`` steps (expected count), and TTFS (one spike per lit pixel)."""
    p = torch.round(images.clamp(0, 1) * 255).double()
    return {
        "count_code": float((255 - p).sum(1).mean()),
        "count_code_inverted": float(p.sum(1).mean()),
        "bernoulli_rate": float((p / 255 * rate_timesteps).sum(1).mean()),
        "rate_timesteps": rate_timesteps,
        "ttfs": float((p > 0).sum(1).double().mean()),
        "ttfs_with_forced": images.shape[1],
        "timesteps": timesteps,
    }
