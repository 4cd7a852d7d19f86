"""The ramp neuron of ``docs/exact-ttfs-semantics.md``: exact ReLU -> TTFS, one window per layer.

Two forms of the same semantics, both integer:

* `values`, the closed form ``q_l = clamp(floor((W_l q_{l-1} + B_l) / R_l), 0, T)``;
* `run_layer`, the step form the hardware runs: an integrating window (``S += W`` for each input
  spike, then ``V += S``) and a firing window (fire once where ``V >= theta - k R``).

`model.snn.golden` runs a ramp network through `run_layer`; the tests hold the two forms equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.snn.config import IntNetwork, SnnConfig


def slopes(net: IntNetwork) -> list[int]:
    """``R_l = theta_l / T`` of every layer."""
    return [int(th) // net.config.timesteps for th in net.thresholds]


def input_values(x, config: SnnConfig) -> np.ndarray:
    """The values ``q_0 = T - X`` of the input spike times ``X`` (``X = T``: no spike, 0)."""
    return config.timesteps - np.asarray(x, dtype=np.int64)


def spike_times(spikes) -> np.ndarray:
    """Each neuron's spike step in its window, ``(..., T, N)`` trains -> ``(..., N)``; ``T`` where it did not fire."""
    s = np.asarray(spikes)
    return np.where(s.any(axis=-2), s.argmax(axis=-2), s.shape[-2])


def fire(v, theta: int, timesteps: int) -> np.ndarray:
    """The value ``clamp(floor(V / R), 0, T)`` of held membranes ``v``, with ``R = theta / T``."""
    return np.clip(np.floor_divide(np.asarray(v, dtype=np.int64), theta // timesteps), 0, timesteps)


def _exact_matmul(a, w) -> np.ndarray:
    """``a @ w.T`` of integers in float64, exact: `IntNetwork.validate` bounds every partial sum by the
    membrane range (at most 48 bits), below 2^53."""
    return (np.asarray(a, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T).astype(np.int64)


def values(net: IntNetwork, x) -> list[np.ndarray]:
    """The closed form: each layer's values ``q_l`` (``l = 0..L``) for input spike times ``x`` ``(..., N_0)``."""
    return _closed_form(net, x)[0]


def membranes(net: IntNetwork, x) -> list[np.ndarray]:
    """The closed form's membranes ``V_l = W_l q_{l-1} + B_l`` at the end of each layer's integrating window
    (``l = 1..L``) for input spike times ``x`` ``(..., N_0)``."""
    return _closed_form(net, x)[1]


def _closed_form(net: IntNetwork, x) -> tuple[list[np.ndarray], list[np.ndarray]]:
    t = net.config.timesteps
    q, v = [input_values(x, net.config)], []
    for w, b, theta in zip(net.weights, net.biases, net.thresholds):
        v.append(_exact_matmul(q[-1], w) + np.asarray(b, dtype=np.int64))
        q.append(fire(v[-1], int(theta), t))
    return q, v


def run_layer(w, bias, theta: int, spikes_in) -> tuple[np.ndarray, np.ndarray]:
    """One layer, step by step: input trains ``(B, T, N_in)`` of window ``l - 1`` -> its trains ``(B, T, N)``
    in window ``l`` and its membranes ``(B, T, N)`` at the end of each integrating step.

    All spikes of step ``k`` enter ``S`` before ``V += S``; the membrane is then held, and step ``k`` of the
    firing window compares it with the falling threshold ``theta - k R``.
    """
    w = np.asarray(w, dtype=np.int64)
    s_in = np.asarray(spikes_in)
    nb, nt, _ = s_in.shape
    slope_step = _exact_matmul(s_in.reshape(nb * nt, -1), w).reshape(nb, nt, -1)  # sum of W_j over each step's inputs
    v = np.broadcast_to(np.asarray(bias, dtype=np.int64), (nb, w.shape[0])).copy()
    s = np.zeros_like(v)
    membranes = np.empty((nb, nt, w.shape[0]), dtype=np.int64)
    for k in range(nt):
        s += slope_step[:, k]
        v += s
        membranes[:, k] = v
    r = int(theta) // nt
    fired = np.zeros(v.shape, dtype=bool)
    out = np.zeros((nb, nt, w.shape[0]), dtype=np.uint8)
    for k in range(nt):
        now = ~fired & (v >= int(theta) - k * r)
        out[:, k] = now
        fired |= now
    return out, membranes


@dataclass(frozen=True)
class Operations:
    """What a ramp network does per image, per layer ``l = 1..L`` (docs/exact-ttfs-semantics.md, Operation counts).

    ``synaptic``: ``S += W`` additions, each with a weight read (spikes of layer ``l - 1`` times ``N_l``);
    ``updates``: ``V += S``, one per neuron and integrating step; ``comparisons``: one per neuron and firing step.
    """

    synaptic: list[float]
    updates: list[int]
    comparisons: list[int]

    @classmethod
    def of(cls, config: SnnConfig, spikes_per_layer) -> "Operations":
        """From the mean spikes per image of layers ``0 .. L-1`` (the inputs of layers ``1 .. L``)."""
        n, t = config.sizes, config.timesteps
        return cls(
            synaptic=[float(s) * n[l + 1] for l, s in enumerate(spikes_per_layer[: config.layers])],
            updates=[n[l] * t for l in range(1, config.layers + 1)],
            comparisons=[n[l] * t for l in range(1, config.layers + 1)],
        )

    @property
    def neuron_updates(self) -> int:
        """Membrane updates and threshold comparisons together: the additions that read no weight."""
        return sum(self.updates) + sum(self.comparisons)


def random_network(config: SnnConfig, seed: int = 0, weight_scale: float = 0.25, bias_scale: float = 1.0) -> IntNetwork:
    """A random ramp network of ``config``'s shape (for tests and the regression, not a model): Gaussian weights
    with ``sigma = weight_scale * (2^(q-1) - 1)``, clipped; ``R_l`` such that inputs at half their range put a
    neuron near mid-range, at least 1; biases uniform in ``+-bias_scale theta_l``. The membrane must hold the
    reach (`IntNetwork.validate` refuses it otherwise)."""
    rng = np.random.default_rng(seed)
    wlo, whi = config.weight_range
    t, weights, biases, thresholds = config.timesteps, [], [], []
    for l in range(1, config.layers + 1):
        n_in, n_out = config.sizes[l - 1], config.sizes[l]
        w = np.clip(np.round(rng.normal(0, weight_scale * whi, (n_out, n_in))), wlo, whi).astype(np.int64)
        r = max(1, int(weight_scale * whi * np.sqrt(n_in) / 2))
        theta = t * r
        weights.append(w)
        biases.append(rng.integers(-int(bias_scale * theta), int(bias_scale * theta) + 1, n_out).astype(np.int64))
        thresholds.append(theta)
    return IntNetwork(config, weights, biases, thresholds)
