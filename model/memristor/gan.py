"""The memristor spiking GAN (Sec. III) in floating point.

Generator: ``n_latent -> n_pixels`` (12 -> 144), discriminator ``n_pixels -> 2``
(output 0 = 'true', 1 = 'false'); both single layers of LIF neurons behind a
crossbar of 1M4T synapses. A synapse's weight is its memristor's conductance,
normalised by ``1 / R_on``; its state is the VTEAM ``w``.

One layer run over ``steps`` time steps (1 us each), per step ``t``:

1. pre traces: ``last[i] = t`` for every input spiking at ``t``;
2. integrate: ``v[j] = v[j] * (1 - 2^-k) + sum_i spike[i, t] * g(w[i, j])``;
3. fire: ``v[j] >= theta``, then reset ``v[j] = 0``;
4. learn (if enabled): every neuron ``j`` that fired and whose mode is REWARD or
   PUNISH sends one programming pulse to each synapse ``(i, j)`` with a pre spike
   at or before ``t`` (``dt = t - last[i]``), see :mod:`model.memristor.synapse`.

One training iteration (the paper's three stages, Fig. 2):

1. real image spikes -> D; 'true' rewarded, 'false' punished; G fixed;
2. noise -> G (no learning) -> fake spikes -> D; 'true' punished, 'false' rewarded;
3. D fixed; the same noise -> G, each G neuron ``i`` rewarded or punished by
   Eq. 3, ``signal_i = sign(g(W_D[i, true]) - g(W_D[i, false]))`` (0: no change).

The random source (initial states, image and noise spikes) is the xorshift32
generator shared with the fixed-point model and the RTL, so the three see the
same inputs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from model.common.errors import UserError
from model.memristor import synapse as syn
from model.memristor import vteam
from model.memristor.data import EncodingParams, encode_image, encode_noise
from model.snn.xorshift import Xorshift32

TRUE, FALSE = 0, 1


@dataclass(frozen=True)
class LifParams:
    """LIF neuron: threshold in units of ``g_on`` per input spike, leak ``2^-leak_shift``."""

    threshold: float
    leak_shift: int

    def __post_init__(self):
        if self.threshold <= 0 or not 0 <= self.leak_shift <= 15:
            raise UserError("LIF needs threshold > 0 and 0 <= leak_shift <= 15.")


@dataclass(frozen=True)
class GanParams:
    """Everything that defines the network and its learning."""

    n_latent: int = 12
    n_pixels: int = 144
    enc: EncodingParams = field(default_factory=EncodingParams)
    device: vteam.VteamParams = field(default_factory=vteam.VteamParams)
    gen_stdp: syn.StdpParams = field(default_factory=syn.StdpParams)  # pulses of G's synapses
    disc_stdp: syn.StdpParams = field(default_factory=syn.StdpParams)  # pulses of D's synapses
    gen: LifParams = field(default_factory=lambda: LifParams(threshold=10.0, leak_shift=4))
    disc: LifParams = field(default_factory=lambda: LifParams(threshold=2.0, leak_shift=2))
    state_bits: int = 16  # resolution of the random initial states (shared with the fixed model)
    init_lo: float = 0.0  # initial normalised states x = (w - w_on) / (w_off - w_on)
    init_hi: float = 0.3

    def __post_init__(self):
        if self.n_latent < 1 or self.n_pixels < 1:
            raise UserError("n_latent and n_pixels must be positive.")
        if not 0.0 <= self.init_lo <= self.init_hi <= 1.0:
            raise UserError("need 0 <= init_lo <= init_hi <= 1.")
        if not 4 <= self.state_bits <= 24:
            raise UserError("state_bits must lie in 4 .. 24.")

    @property
    def state_max(self) -> int:
        return (1 << self.state_bits) - 1

    def init_codes(self) -> tuple[int, int]:
        """Initial state codes ``lo .. hi`` on the ``state_bits`` grid."""
        return round(self.init_lo * self.state_max), round(self.init_hi * self.state_max)


def init_codes(rng: Xorshift32, p: GanParams) -> tuple[np.ndarray, np.ndarray]:
    """Random initial state codes, G then D, each synapse ``lo + below(hi - lo + 1)``
    in address order (output-major: ``j * n_in + i``); arrays shaped ``(n_in, n_out)``."""
    lo, hi = p.init_codes()

    def draw(n_in: int, n_out: int) -> np.ndarray:
        flat = [lo + rng.below(hi - lo + 1) for _ in range(n_in * n_out)]
        return np.asarray(flat, dtype=np.int64).reshape(n_out, n_in).T.copy()

    g = draw(p.n_latent, p.n_pixels)
    d = draw(p.n_pixels, 2)
    return g, d


@dataclass
class StageRecord:
    """What one training iteration produced."""

    d_real: np.ndarray  # D spike counts (true, false) on the real image, stage 1
    d_fake: np.ndarray  # D spike counts on the fake image, stage 2
    fake_counts: np.ndarray  # G spike counts per pixel, stage 2
    g_modes: np.ndarray  # Eq. 3 signals used in stage 3
    learn_counts: np.ndarray  # G spike counts per pixel in stage 3 (while it learns)

    @property
    def d_correct(self) -> tuple[bool, bool]:
        """D judged the real image real and the fake one fake (strictly more spikes)."""
        return bool(self.d_real[TRUE] > self.d_real[FALSE]), bool(self.d_fake[FALSE] > self.d_fake[TRUE])


class SpikingGan(ABC):
    """The three training stages (Fig. 2) on top of a synapse/neuron arithmetic.

    Subclasses hold the G and D states (``(n_in, n_out)`` arrays, output-major
    addresses ``j * n_in + i``) and implement one layer run and Eq. 3."""

    def __init__(self, p: GanParams, rng: Xorshift32):
        self.p = p
        self.rng = rng

    @abstractmethod
    def run_layer(self, layer: str, raster: np.ndarray, modes: np.ndarray | None) -> np.ndarray:
        """Run ``layer`` ('gen' or 'disc') on ``raster``; learn if ``modes`` is given
        (one mode per output neuron). Returns the output raster ``(n_out, steps)``."""

    @abstractmethod
    def signals(self) -> np.ndarray:
        """Eq. 3 per G neuron: +1 reward, -1 punish, 0 (equal weights) no change."""

    @abstractmethod
    def normalised_states(self, layer: str) -> np.ndarray:
        """States as ``x = (w - w_on) / (w_off - w_on)`` in [0, 1] (0 = ON)."""

    @abstractmethod
    def conductances(self, layer: str) -> np.ndarray:
        """Synaptic weights as conductance times ``R_on`` (1 = ON state)."""

    def generate(self, noise: np.ndarray) -> np.ndarray:
        """G spike counts per pixel for a noise raster (no learning)."""
        return self.run_layer("gen", noise, None).sum(axis=1)

    def step(self, target: np.ndarray) -> StageRecord:
        """One training iteration on the flat binary ``target`` image: draw the real
        spikes, then the noise, then run stages 1, 2 and 3."""
        p = self.p
        real = encode_image(target, self.rng, p.enc)
        noise = encode_noise(p.n_latent, self.rng, p.enc)
        d_real = self.run_layer("disc", real, np.array([syn.REWARD, syn.PUNISH]))
        fake = self.run_layer("gen", noise, None)
        d_fake = self.run_layer("disc", fake, np.array([syn.PUNISH, syn.REWARD]))
        modes = self.signals()
        learned = self.run_layer("gen", noise, modes)
        return StageRecord(d_real.sum(axis=1), d_fake.sum(axis=1), fake.sum(axis=1), modes, learned.sum(axis=1))

    def sample(self, n: int) -> np.ndarray:
        """Spike counts ``(n, n_pixels)`` of ``n`` fresh noise samples (no learning)."""
        return np.stack([self.generate(encode_noise(self.p.n_latent, self.rng, self.p.enc)) for _ in range(n)])


class FloatGan(SpikingGan):
    """Float states ``w`` (VTEAM units), float membranes: the reference model."""

    def __init__(self, p: GanParams, rng: Xorshift32):
        super().__init__(p, rng)
        g, d = init_codes(rng, p)
        span = p.device.w_off - p.device.w_on
        self.w = {
            "gen": p.device.w_on + g / p.state_max * span,
            "disc": p.device.w_on + d / p.state_max * span,
        }

    def _weights(self, w: np.ndarray) -> np.ndarray:
        return vteam.conductance(w, self.p.device) * self.p.device.r_on

    def conductances(self, layer: str) -> np.ndarray:
        return self._weights(self.w[layer])

    def normalised_states(self, layer: str) -> np.ndarray:
        return vteam.normalised(self.w[layer], self.p.device)

    def run_layer(self, layer: str, raster: np.ndarray, modes: np.ndarray | None) -> np.ndarray:
        lif = self.p.gen if layer == "gen" else self.p.disc
        stdp = self.p.gen_stdp if layer == "gen" else self.p.disc_stdp
        w = self.w[layer].copy()
        n_in, n_out = w.shape
        steps = raster.shape[1]
        v = np.zeros(n_out)
        last = np.full(n_in, -1)
        out = np.zeros((n_out, steps), dtype=bool)
        decay = 1.0 - 2.0**-lif.leak_shift
        dt_us = self.p.enc.dt_us
        for t in range(steps):
            spikes = raster[:, t]
            last[spikes] = t
            v = v * decay + spikes.astype(np.float64) @ self._weights(w)
            fire = v >= lif.threshold
            v[fire] = 0.0
            out[:, t] = fire
            if modes is None:
                continue
            learners = np.flatnonzero(fire & (modes != syn.NONE))
            has_pre = last >= 0
            if learners.size and has_pre.any():
                dt = ((t - last[has_pre]) * dt_us)[:, None]
                block = np.ix_(has_pre, learners)
                w[block] = syn.update(w[block], dt, modes[learners][None, :], stdp, self.p.device)
        if modes is not None:
            self.w[layer] = w
        return out

    def signals(self) -> np.ndarray:
        g = self.conductances("disc")
        return np.sign(g[:, TRUE] - g[:, FALSE]).astype(np.int64)


def small_params() -> GanParams:
    """A 4 -> 16 -> 2 network over 16 steps with the paper's device and pulses:
    small enough for the RTL tests, active enough that every block is exercised."""
    return GanParams(
        n_latent=4,
        n_pixels=16,
        enc=EncodingParams(steps=16, noise_mean=4.0, noise_std=1.0, noise_max=8),
        gen=LifParams(threshold=4.0, leak_shift=3),
        disc=LifParams(threshold=2.0, leak_shift=2),
    )


PRESETS = {"paper": GanParams, "small": small_params}
