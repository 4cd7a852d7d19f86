"""Fixed-point memristor spiking GAN: the exact integer semantics the RTL implements.

``docs/memristor-semantics.md`` states these rules in words; this module is their
executable form and ``hw/memristor`` their hardware form (the cocotb tests prove
the two identical). Everything float is folded into integer tables at build time
(:func:`build_spec`); at run time only integer adds, shifts, compares and table
look-ups remain:

* state code ``c`` in ``0 .. 2^S - 1`` per synapse, ``w = w_on + c / (2^S - 1) * (w_off - w_on)``;
* weight ``G[c >> (S - A)]``: conductance times ``R_on`` in ``F`` fraction bits, at the
  middle of each of the ``2^A`` state bins;
* LIF: ``v = v - (v >> k) + sum_i spike[i, t] * G[c_ij >> (S - A)]``; fire when
  ``v >= Theta`` (``Theta = round(theta * 2^F)``), then ``v = 0``;
* pre trace: ``age = t - (latest spike step <= t)`` of each input;
* programming pulse: voltage code ``V[age]`` (the decaying pre waveform in steps of
  ``volt_lsb`` volts), then the VTEAM state change of one pulse at that voltage,
  ``DW_on[V]`` (reward, SET, ``c = max(c - DW_on[V], 0)``) or ``DW_off[V]`` (punish,
  RESET, ``c = min(c + DW_off[V], 2^S - 1)``);
* Eq. 3: ``signal_i = sign(c_D[i, false] - c_D[i, true])`` (higher state = lower conductance).

VTEAM without a window gives a state change that depends on the voltage only, which
is what makes the ``DW`` tables exact; a window function is float-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.common.errors import UserError
from model.memristor import synapse as syn
from model.memristor import vteam
from model.memristor.gan import FALSE, TRUE, GanParams, LifParams, SpikingGan, init_codes
from model.snn.xorshift import Xorshift32


def _round(x: float) -> int:
    """Nearest integer, halves up (the tables' one rounding rule)."""
    return int(math.floor(x + 0.5))


@dataclass(frozen=True)
class FixedConfig:
    """Bit widths of the integer model."""

    gaddr_bits: int = 8  # A: conductance table address = top A bits of the state
    g_frac_bits: int = 10  # F: fraction bits of conductance and membrane
    volt_bits: int = 8  # magnitude bits of the pulse voltage code
    volt_lsb: float = 1.0 / 32.0  # volts per voltage code step

    def __post_init__(self):
        if not 1 <= self.gaddr_bits <= 12 or not 1 <= self.g_frac_bits <= 16:
            raise UserError("gaddr_bits must lie in 1 .. 12 and g_frac_bits in 1 .. 16.")
        if not 1 <= self.volt_bits <= 12 or self.volt_lsb <= 0:
            raise UserError("volt_bits must lie in 1 .. 12 and volt_lsb must be positive.")


@dataclass(frozen=True)
class LayerSpec:
    """Integer tables and constants of one layer."""

    n_in: int
    n_out: int
    threshold: int  # Theta, in 2^-F units of g_on
    leak_shift: int  # k
    volt: tuple[int, ...]  # V[age], age = 0 .. steps - 1
    dw_on: tuple[int, ...]  # state decrease of a SET pulse at voltage code V
    dw_off: tuple[int, ...]  # state increase of a RESET pulse at voltage code V

    def dw_reward(self, age: np.ndarray) -> np.ndarray:
        return np.asarray(self.dw_on, dtype=np.int64)[np.asarray(self.volt, dtype=np.int64)[age]]

    def dw_punish(self, age: np.ndarray) -> np.ndarray:
        return np.asarray(self.dw_off, dtype=np.int64)[np.asarray(self.volt, dtype=np.int64)[age]]


@dataclass(frozen=True)
class FixedSpec:
    """Everything the integer model and the RTL need, derived from :class:`GanParams`."""

    state_bits: int
    gaddr_bits: int
    g_frac_bits: int
    volt_bits: int
    steps: int
    g_rom: tuple[int, ...]  # G[a], a = 0 .. 2^A - 1
    gen: LayerSpec
    disc: LayerSpec
    init_lo: int
    init_hi: int

    @property
    def state_max(self) -> int:
        return (1 << self.state_bits) - 1

    @property
    def g_shift(self) -> int:
        return self.state_bits - self.gaddr_bits

    def layer(self, name: str) -> LayerSpec:
        return self.gen if name == "gen" else self.disc


def voltage_table(stdp: syn.StdpParams, steps: int, dt_us: float, cfg: FixedConfig) -> tuple[int, ...]:
    """``V[age] = round(v_peak * exp(-age * dt / tau) / volt_lsb)``, the pre waveform."""
    top = (1 << cfg.volt_bits) - 1
    codes = [_round(stdp.v_peak * math.exp(-a * dt_us / stdp.tau_us) / cfg.volt_lsb) for a in range(steps)]
    if codes[0] > top:
        raise UserError(
            f"v_peak {stdp.v_peak} V exceeds the voltage code range ({top} x {cfg.volt_lsb} V); "
            "raise volt_bits or volt_lsb."
        )
    return tuple(codes)


def pulse_tables(
    stdp: syn.StdpParams, device: vteam.VteamParams, state_bits: int, cfg: FixedConfig
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``DW_on[V]``, ``DW_off[V]``: the state change (in codes) of one programming pulse
    of ``pulse_us`` at ``-V * volt_lsb`` and ``+V * volt_lsb`` volts (VTEAM, no window)."""
    scale = ((1 << state_bits) - 1) / (device.w_off - device.w_on)
    volts = np.arange(1 << cfg.volt_bits) * cfg.volt_lsb
    seconds = stdp.pulse_us * 1e-6
    on = [_round(-vteam.rate(-v, device) * seconds * scale) for v in volts]
    off = [_round(vteam.rate(v, device) * seconds * scale) for v in volts]
    return tuple(on), tuple(off)


def conductance_table(p: GanParams, cfg: FixedConfig) -> tuple[int, ...]:
    """``G[a] = round(g(w_a) * R_on * 2^F)`` at the middle state ``w_a`` of bin ``a``."""
    bins = 1 << cfg.gaddr_bits
    x = (np.arange(bins) + 0.5) / bins
    w = p.device.w_on + x * (p.device.w_off - p.device.w_on)
    g = vteam.conductance(w, p.device) * p.device.r_on
    return tuple(_round(v * (1 << cfg.g_frac_bits)) for v in g)


def build_spec(p: GanParams, cfg: FixedConfig = FixedConfig()) -> FixedSpec:
    """Fold the float parameters into the integer tables."""
    if p.device.window != "none":
        raise UserError(
            f"the fixed-point model and the RTL implement VTEAM without a window; "
            f"window={p.device.window!r} is float-only."
        )
    if cfg.gaddr_bits > p.state_bits:
        raise UserError("gaddr_bits cannot exceed state_bits.")
    steps = p.enc.steps

    def layer(n_in: int, n_out: int, lif: LifParams, stdp: syn.StdpParams) -> LayerSpec:
        on, off = pulse_tables(stdp, p.device, p.state_bits, cfg)
        return LayerSpec(
            n_in=n_in,
            n_out=n_out,
            threshold=max(1, _round(lif.threshold * (1 << cfg.g_frac_bits))),
            leak_shift=lif.leak_shift,
            volt=voltage_table(stdp, steps, p.enc.dt_us, cfg),
            dw_on=on,
            dw_off=off,
        )

    lo, hi = p.init_codes()
    return FixedSpec(
        state_bits=p.state_bits,
        gaddr_bits=cfg.gaddr_bits,
        g_frac_bits=cfg.g_frac_bits,
        volt_bits=cfg.volt_bits,
        steps=steps,
        g_rom=conductance_table(p, cfg),
        gen=layer(p.n_latent, p.n_pixels, p.gen, p.gen_stdp),
        disc=layer(p.n_pixels, 2, p.disc, p.disc_stdp),
        init_lo=lo,
        init_hi=hi,
    )


def run_layer(
    codes: np.ndarray, raster: np.ndarray, spec: FixedSpec, layer: LayerSpec, modes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """One layer over all steps in integers; pure. ``codes`` ``(n_in, n_out)``,
    ``raster`` ``(n_in, steps)``, ``modes`` per output or None (no learning).
    Returns the output raster ``(n_out, steps)`` and the new codes."""
    c = codes.astype(np.int64).copy()
    n_in, n_out = c.shape
    steps = raster.shape[1]
    g_rom = np.asarray(spec.g_rom, dtype=np.int64)
    v = np.zeros(n_out, dtype=np.int64)
    last = np.full(n_in, -1, dtype=np.int64)
    out = np.zeros((n_out, steps), dtype=bool)
    for t in range(steps):
        spikes = raster[:, t]
        last[spikes] = t
        acc = g_rom[c[spikes] >> spec.g_shift].sum(axis=0)
        v = v - (v >> layer.leak_shift) + acc
        fire = v >= layer.threshold
        v[fire] = 0
        out[:, t] = fire
        if modes is None:
            continue
        has_pre = np.flatnonzero(last >= 0)
        age = t - last[has_pre]
        for mode, apply in ((syn.REWARD, _set), (syn.PUNISH, _reset)):
            cols = np.flatnonzero(fire & (modes == mode))
            if cols.size and has_pre.size:
                block = np.ix_(has_pre, cols)
                c[block] = apply(c[block], age, layer, spec)
    return out, c


def _set(c: np.ndarray, age: np.ndarray, layer: LayerSpec, spec: FixedSpec) -> np.ndarray:
    return np.maximum(c - layer.dw_reward(age)[:, None], 0)


def _reset(c: np.ndarray, age: np.ndarray, layer: LayerSpec, spec: FixedSpec) -> np.ndarray:
    return np.minimum(c + layer.dw_punish(age)[:, None], spec.state_max)


def synapse_update(code: int, age: int, mode: int, layer: LayerSpec, spec: FixedSpec) -> int:
    """One synapse, one post spike: the scalar form of the learning rule (``age < 0``: no pre spike)."""
    if age < 0 or mode == syn.NONE:
        return code
    volt = layer.volt[age]
    if mode == syn.REWARD:
        return max(code - layer.dw_on[volt], 0)
    return min(code + layer.dw_off[volt], spec.state_max)


class FixedGan(SpikingGan):
    """Integer states and membranes; bit-exact with ``hw/memristor``."""

    def __init__(self, p: GanParams, rng: Xorshift32, cfg: FixedConfig = FixedConfig()):
        super().__init__(p, rng)
        self.spec = build_spec(p, cfg)
        g, d = init_codes(rng, p)
        self.codes = {"gen": g, "disc": d}

    def run_layer(self, layer: str, raster: np.ndarray, modes: np.ndarray | None) -> np.ndarray:
        out, codes = run_layer(self.codes[layer], raster, self.spec, self.spec.layer(layer), modes)
        if modes is not None:
            self.codes[layer] = codes
        return out

    def signals(self) -> np.ndarray:
        d = self.codes["disc"]
        return np.sign(d[:, FALSE] - d[:, TRUE]).astype(np.int64)

    def normalised_states(self, layer: str) -> np.ndarray:
        return self.codes[layer] / self.spec.state_max

    def conductances(self, layer: str) -> np.ndarray:
        g_rom = np.asarray(self.spec.g_rom, dtype=np.float64) / (1 << self.spec.g_frac_bits)
        return g_rom[self.codes[layer] >> self.spec.g_shift]
