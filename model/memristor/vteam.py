"""VTEAM voltage-controlled memristor model (Kvatinsky et al., IEEE TCAS-II 2015).

State equation, for the state ``w`` in ``[w_on, w_off]``::

    dw/dt = k_off * (v / v_off - 1) ** alpha_off * f_off(w)   if v > v_off > 0
          = 0                                                 if v_on <= v <= v_off
          = k_on  * (v / v_on  - 1) ** alpha_on  * f_on(w)    if v < v_on < 0

``w = w_on`` is the low-resistance ON state (``R_on``), ``w = w_off`` the OFF
state (``R_off``). A positive voltage above ``v_off`` moves the state towards
OFF (conductance down), a negative one below ``v_on`` towards ON (conductance
up). Current-voltage relations, with ``x = (w - w_on) / (w_off - w_on)``:

* linear:       ``i = v / (R_on + (R_off - R_on) * x)``
* exponential:  ``i = v * exp(-lambda * x) / R_on`` with ``lambda = ln(R_off / R_on)``

Window functions ``f`` (1 when ``window='none'``): Joglekar ``1 - (2x - 1)^(2p)``;
Biolek ``1 - (x - 1)^(2p)`` when the state moves towards ON, ``1 - x^(2p)``
towards OFF. The state is clamped to ``[w_on, w_off]`` after every step.

Integration: classical fourth-order Runge-Kutta with a fixed step
``h = duration / steps`` and the voltage sampled at the RK4 nodes, clamping
after each step; it accumulates the displacement ``w - w0`` (not ``w``) so that
tiny steps keep their relative precision.
For a constant voltage and no window the right-hand side is constant, so this is
exact up to rounding (``closed_form``); the tests check it to 1e-6.

The paper gives ``k``, ``alpha``, ``v`` and ``w`` (Sec. IV-A) but not ``R_on`` and
``R_off``; the defaults below (1 kOhm, 20 kOhm) are this project's choice.
Units: volts, seconds, ohms; ``w`` and ``k`` in the paper's state units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from model.common.errors import UserError

IV_MODELS = ("linear", "exponential")
WINDOWS = ("none", "joglekar", "biolek")


@dataclass(frozen=True)
class VteamParams:
    """Device parameters; the first eight are the paper's (Sec. IV-A)."""

    k_on: float = -1e-4
    k_off: float = 1e-4
    alpha_on: float = 3.0
    alpha_off: float = 3.0
    v_on: float = -0.01
    v_off: float = 0.01
    w_on: float = 0.0
    w_off: float = 3.0
    r_on: float = 1e3
    r_off: float = 20e3
    iv: str = "exponential"
    window: str = "none"
    window_p: int = 2

    def __post_init__(self):
        if not (self.k_on < 0 < self.k_off and self.v_on < 0 < self.v_off):
            raise UserError("VTEAM needs k_on < 0 < k_off and v_on < 0 < v_off.")
        if not (self.w_on < self.w_off and 0 < self.r_on < self.r_off):
            raise UserError("VTEAM needs w_on < w_off and 0 < r_on < r_off.")
        if self.iv not in IV_MODELS:
            raise UserError(f"unknown I-V relation {self.iv!r}; choose one of {', '.join(IV_MODELS)}.")
        if self.window not in WINDOWS:
            raise UserError(f"unknown window {self.window!r}; choose one of {', '.join(WINDOWS)}.")
        if self.window_p < 1:
            raise UserError("window_p must be a positive integer.")


def rate(v, p: VteamParams) -> np.ndarray:
    """``dw/dt`` without window at voltage ``v`` (array or scalar)."""
    v = np.asarray(v, dtype=np.float64)
    off = p.k_off * np.power(np.maximum(v / p.v_off - 1.0, 0.0), p.alpha_off)
    on = p.k_on * np.power(np.maximum(v / p.v_on - 1.0, 0.0), p.alpha_on)
    return np.where(v > p.v_off, off, np.where(v < p.v_on, on, 0.0))


def normalised(w, p: VteamParams) -> np.ndarray:
    """``x = (w - w_on) / (w_off - w_on)`` in [0, 1]."""
    return (np.asarray(w, dtype=np.float64) - p.w_on) / (p.w_off - p.w_on)


def window(w, v, p: VteamParams) -> np.ndarray:
    """Window ``f(w)`` for the direction that voltage ``v`` drives the state."""
    x = normalised(w, p)
    two_p = 2 * p.window_p
    if p.window == "none":
        return np.ones(np.broadcast(x, np.asarray(v)).shape)
    if p.window == "joglekar":
        return np.broadcast_to(1.0 - (2.0 * x - 1.0) ** two_p, np.broadcast(x, np.asarray(v)).shape)
    towards_on = np.asarray(v) < 0
    return np.where(towards_on, 1.0 - (x - 1.0) ** two_p, 1.0 - x**two_p)


def derivative(w, v, p: VteamParams) -> np.ndarray:
    """The state equation ``dw/dt = rate(v) * f(w)``."""
    return rate(v, p) * window(w, v, p)


def clamp(w, p: VteamParams) -> np.ndarray:
    return np.clip(w, p.w_on, p.w_off)


def conductance(w, p: VteamParams) -> np.ndarray:
    """``i / v`` in siemens at state ``w`` (linear or exponential I-V)."""
    x = normalised(w, p)
    if p.iv == "linear":
        return 1.0 / (p.r_on + (p.r_off - p.r_on) * x)
    return np.exp(-math.log(p.r_off / p.r_on) * x) / p.r_on


def current(w, v, p: VteamParams) -> np.ndarray:
    """Device current in amperes."""
    return conductance(w, p) * np.asarray(v, dtype=np.float64)


def integrate(
    w,
    v: float | np.ndarray | Callable[[float], float | np.ndarray],
    duration: float,
    p: VteamParams,
    steps: int = 8,
) -> np.ndarray:
    """State after applying voltage ``v`` (constant, per-device array, or ``v(t)``)
    for ``duration`` seconds: RK4 with ``steps`` fixed steps, clamped after each."""
    if steps < 1 or duration < 0:
        raise UserError("integrate needs steps >= 1 and a non-negative duration.")
    volt = v if callable(v) else (lambda t, _v=np.asarray(v, dtype=np.float64): _v)
    w0 = np.asarray(w, dtype=np.float64)
    d = np.zeros_like(w0)  # the displacement w - w0: small steps keep their precision
    h = duration / steps
    for n in range(steps):
        t = n * h
        k1 = derivative(w0 + d, volt(t), p)
        k2 = derivative(w0 + d + 0.5 * h * k1, volt(t + 0.5 * h), p)
        k3 = derivative(w0 + d + 0.5 * h * k2, volt(t + 0.5 * h), p)
        k4 = derivative(w0 + d + h * k3, volt(t + h), p)
        d = d + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        d = np.clip(d, p.w_on - w0, p.w_off - w0)  # clamp the state
    return w0 + d


def closed_form(w, v, duration: float, p: VteamParams) -> np.ndarray:
    """Exact state after a constant-voltage pulse with no window (then clamped)."""
    return clamp(np.asarray(w, dtype=np.float64) + rate(v, p) * duration, p)
