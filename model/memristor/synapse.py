"""Behavioural 1M4T R-STDP synapse (Sec. IV-A, Fig. 3): spike timing -> voltage pulse
across a VTEAM memristor whose conductance is the synaptic weight.

Timing -> voltage mapping. Every pre-synaptic spike starts a decaying waveform
on the memristor's pre terminal; a post-synaptic spike closes the 1M4T path for
one programming pulse of ``pulse_us`` microseconds. The pulse amplitude is the
pre waveform at that moment, held for the pulse::

    dt  = t_post - t_pre >= 0         (us; t_pre = latest pre spike at or before t_post)
    |V| = v_peak * exp(-dt / tau_us)  (volts)
    V   = -|V|  if rewarded  (normal STDP: SET, state -> w_on, conductance up)
        = +|V|  if punished  (anti-STDP:  RESET, state -> w_off, conductance down)

The four transistors only swap the polarity (the R-STDP mode switch). Without a
pre spike before the post spike nothing happens: this is the paper's
approximation ``a_r^- = a_p^+ = 0`` (Fig. 3b), only ``t_post - t_pre >= 0`` acts.
Through VTEAM (no window) the state change is
``dw = k * (|V| / |v_th| - 1)^alpha * pulse`` while ``|V| > |v_th|``, i.e. an
STDP curve that falls roughly like ``exp(-alpha * dt / tau)`` and ends where the
waveform drops below the device threshold (``dt_max = tau * ln(v_peak / |v_th|)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.common.errors import UserError
from model.memristor import vteam

REWARD, NONE, PUNISH = 1, 0, -1


@dataclass(frozen=True)
class StdpParams:
    """Programming-pulse shape of the 1M4T synapse."""

    v_peak: float = 6.0  # volts, pre waveform right after the pre spike
    tau_us: float = 10.0  # decay of the pre waveform
    pulse_us: float = 2.0  # programming pulse length
    rk4_steps: int = 4  # RK4 steps per pulse (matters only with a window)

    def __post_init__(self):
        if self.v_peak <= 0 or self.tau_us <= 0 or self.pulse_us <= 0 or self.rk4_steps < 1:
            raise UserError("STDP pulse needs v_peak, tau_us, pulse_us > 0 and rk4_steps >= 1.")


def pulse_voltage(dt_us, mode, s: StdpParams) -> np.ndarray:
    """Signed pulse voltage for spike-time differences ``dt_us >= 0`` (array) and
    modes REWARD / PUNISH / NONE; 0 V where ``mode`` is NONE or ``dt_us`` is negative."""
    dt_us = np.asarray(dt_us, dtype=np.float64)
    mode = np.asarray(mode)
    magnitude = np.where(dt_us >= 0, s.v_peak * np.exp(-np.maximum(dt_us, 0.0) / s.tau_us), 0.0)
    return -np.sign(mode) * magnitude


def update(w, dt_us, mode, s: StdpParams, p: vteam.VteamParams) -> np.ndarray:
    """New memristor states after one post spike: the pulse of :func:`pulse_voltage`
    integrated through VTEAM (``dt_us < 0`` marks 'no pre spike': unchanged)."""
    v = pulse_voltage(dt_us, mode, s)
    # With no window the right-hand side is constant over the pulse: one RK4 step is exact.
    steps = 1 if p.window == "none" else s.rk4_steps
    return vteam.integrate(w, v, s.pulse_us * 1e-6, p, steps)


def stdp_window_us(s: StdpParams, p: vteam.VteamParams) -> float:
    """Largest ``dt`` that still changes the state (the pulse exceeds the threshold)."""
    v_th = min(p.v_off, -p.v_on)
    return s.tau_us * math.log(s.v_peak / v_th) if s.v_peak > v_th else 0.0
