"""The fixed-point TTFS network and its golden model: the integer semantics of the hardware
TTFS mode (``docs/ttfs-semantics.md``), executed step by step.

Per layer ``l``: signed ``weight_bits`` weights ``W`` and a threshold ``theta_l >= 1``. At
each step ``t = 0 .. T-1`` a neuron that has not fired and whose membrane ``V >= theta_l``
fires at ``t`` (never at 0, since ``V(0) = 0``); then every input that fired at ``t`` adds
its weight column. A neuron never fired by ``T - 1`` reads out as ``T``. The membrane is
wide enough for any sum (``membrane_bits``), so nothing saturates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class TtfsIntNetwork:
    """Integer weights ``(N_out, N_in)`` per layer, one threshold per layer, ``T``, the word widths."""

    weights: tuple[np.ndarray, ...]
    thresholds: tuple[int, ...]
    timesteps: int
    weight_bits: int

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.thresholds):
            raise ValueError(f"{len(self.weights)} weight matrices but {len(self.thresholds)} thresholds")
        lim = 1 << (self.weight_bits - 1)
        for l, (w, th) in enumerate(zip(self.weights, self.thresholds)):
            if w.size and (w.min() < -lim or w.max() >= lim):
                raise ValueError(f"layer {l + 1}: weights outside [{-lim}, {lim - 1}] ({self.weight_bits}-bit signed)")
            if th < 1:
                raise ValueError(f"layer {l + 1}: threshold must be >= 1, not {th}")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def membrane_bits(self) -> int:
        """Signed width that holds any partial sum of any layer."""
        worst = max(int(np.abs(w).sum(1).max()) for w in self.weights)
        return max(2, int(worst).bit_length() + 1)


def quantise(weights: list[torch.Tensor], theta: float, timesteps: int, weight_bits: int = 8) -> TtfsIntNetwork:
    """Scale each layer so its largest weight is the largest code, round weights and threshold alike."""
    top = (1 << (weight_bits - 1)) - 1
    ws, ths = [], []
    for w in weights:
        scale = top / max(float(w.abs().max()), 1e-12)
        ws.append(np.round(w.double().numpy() * scale).astype(np.int64))
        ths.append(max(1, int(round(theta * scale))))
    return TtfsIntNetwork(tuple(ws), tuple(ths), timesteps, weight_bits)


def run_layer(times_in: np.ndarray, w: np.ndarray, theta: int, timesteps: int) -> np.ndarray:
    """Fire times ``(B, N_out)`` of one layer, stepping through ``t = 0 .. T-1``."""
    v = np.zeros((len(times_in), w.shape[0]), dtype=np.int64)
    out = np.full(v.shape, timesteps, dtype=np.int64)
    for t in range(timesteps):
        fire = (out == timesteps) & (v >= theta)
        out[fire] = t
        arrive = (times_in == t).astype(np.int64)
        if arrive.any():
            v += arrive @ w.T
    return out


def run_network(net: TtfsIntNetwork, times_in: np.ndarray) -> list[np.ndarray]:
    """Every layer's fire times, input first."""
    times = [np.asarray(times_in, dtype=np.int64)]
    for w, th in zip(net.weights, net.thresholds):
        times.append(run_layer(times[-1], w, th, net.timesteps))
    return times
