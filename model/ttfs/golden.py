"""The TTFS network in fixed point: quantisation to the integer network of the hardware TTFS
mode, run by the project's one golden model (`model.snn.golden`, reset ``floor``, coding ``ttfs``;
``docs/ttfs-semantics.md``), and its export for the RTL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from model.snn.config import TTFS, IntNetwork, SnnConfig
from model.snn.export import export_network
from model.snn.golden import encode_spikes, first_spike_times, run_network


def ttfs_config(sizes, timesteps: int, weight_bits: int, membrane_bits: int, lanes: int = 16) -> SnnConfig:
    """The SnnConfig of a TTFS network: spike times of 0..T stored in ``R + 1`` bits, ``2^R >= T``."""
    input_bits = max(1, (timesteps - 1).bit_length())
    return SnnConfig(sizes=tuple(sizes), timesteps=timesteps, weight_bits=weight_bits, membrane_bits=membrane_bits,
                     input_bits=input_bits, lanes=lanes, **TTFS)


def quantise(weights: list[torch.Tensor], theta: float, timesteps: int, weight_bits: int = 8, lanes: int = 16) -> IntNetwork:
    """Scale each layer so its largest weight is the largest code and round weights and threshold
    alike. The membrane is as wide as the largest row sum needs, so nothing saturates before a
    spike and the floor reset cannot fire again."""
    top = (1 << (weight_bits - 1)) - 1
    ws, ths = [], []
    for w in weights:
        scale = top / max(float(w.abs().max()), 1e-12)
        ws.append(np.round(w.double().numpy() * scale).astype(np.int64))
        ths.append(max(1, int(round(theta * scale))))
    worst = max(max(int(np.abs(w).sum(1).max()), th) for w, th in zip(ws, ths))
    membrane_bits = max(weight_bits + 1, worst.bit_length() + 1)
    sizes = (ws[0].shape[1], *(w.shape[0] for w in ws))
    config = ttfs_config(sizes, timesteps, weight_bits, membrane_bits, lanes)
    return IntNetwork(config, ws, [np.zeros(len(w), dtype=np.int64) for w in ws], ths)


def run_times(net: IntNetwork, times_in) -> list[np.ndarray]:
    """Every layer's spike times (input first) from the golden model, for input times ``(B, N_0)``."""
    x = np.asarray(times_in, dtype=np.int64)
    result = run_network(net, encode_spikes(x, net.config))
    return [x] + [first_spike_times(s) for s in result.spikes[1:]]


def export(net: IntNetwork, out_dir: str | Path, times_in, extra: dict | None = None, directed: bool = True) -> Path:
    """Export ``net`` with test vectors at the input spike times ``(n, N_0)`` (``u = t / T``) and, ``directed``,
    the vectors that close its coverage."""
    u = np.asarray(times_in, dtype=np.float64) / net.config.timesteps
    return export_network(net, out_dir, u, extra={"design": "ttfs", **(extra or {})}, directed=directed)
