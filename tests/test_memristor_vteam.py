"""VTEAM device model and the 1M4T synapse's timing -> pulse mapping."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from model.common.errors import UserError
from model.memristor import synapse as syn
from model.memristor import vteam

P = vteam.VteamParams()


def test_paper_parameters_are_the_defaults():
    assert (P.k_on, P.k_off, P.alpha_on, P.alpha_off) == (-1e-4, 1e-4, 3.0, 3.0)
    assert (P.v_on, P.v_off, P.w_on, P.w_off) == (-0.01, 0.01, 0.0, 3.0)


def test_integration_matches_closed_form_for_constant_pulses():
    """Goal: RK4 vs the exact state change of a constant-voltage pulse, no window, < 1e-6 relative."""
    rng = np.random.default_rng(0)
    w0 = rng.uniform(0.5, 2.5, 400)
    v = rng.uniform(-8, 8, 400)
    v[np.abs(v) < 0.05] = 0.05
    duration = 2e-6
    for steps in (1, 8, 64):
        num = vteam.integrate(w0, v, duration, P, steps) - w0
        exact = vteam.closed_form(w0, v, duration, P) - w0
        moved = np.abs(exact) > 0
        assert moved.sum() > 300
        assert np.max(np.abs(num[moved] - exact[moved]) / np.abs(exact[moved])) < 1e-6
    # the closed form itself: dw = k (v / v_th - 1)^alpha * T
    assert vteam.closed_form(1.0, 2.0, 1e-6, P) == pytest.approx(1.0 + 1e-4 * (2.0 / 0.01 - 1) ** 3 * 1e-6, rel=1e-12)


def test_no_change_between_thresholds_and_sign_of_change():
    w = np.full(5, 1.5)
    assert np.all(vteam.integrate(w, np.array([-0.01, -0.005, 0.0, 0.005, 0.01]), 1e-3, P) == 1.5)
    assert vteam.integrate(1.5, 1.0, 1e-6, P) > 1.5  # RESET: towards w_off
    assert vteam.integrate(1.5, -1.0, 1e-6, P) < 1.5  # SET: towards w_on


def test_state_is_clamped():
    assert vteam.integrate(2.99, 8.0, 1e-3, P) == P.w_off
    assert vteam.integrate(0.01, -8.0, 1e-3, P) == P.w_on


@pytest.mark.parametrize("iv", vteam.IV_MODELS)
def test_conductance_endpoints_and_monotone(iv):
    p = vteam.VteamParams(iv=iv)
    w = np.linspace(p.w_on, p.w_off, 101)
    g = vteam.conductance(w, p)
    assert g[0] == pytest.approx(1 / p.r_on) and g[-1] == pytest.approx(1 / p.r_off)
    assert np.all(np.diff(g) < 0)
    assert vteam.current(1.0, 0.2, p) == pytest.approx(0.2 * vteam.conductance(1.0, p))


def test_windows_vanish_at_the_bounds_they_move_towards():
    j = vteam.VteamParams(window="joglekar")
    assert vteam.window(0.0, 1.0, j) == pytest.approx(0.0) and vteam.window(3.0, -1.0, j) == pytest.approx(0.0)
    assert vteam.window(1.5, 1.0, j) == pytest.approx(1.0)
    b = vteam.VteamParams(window="biolek")
    assert vteam.window(3.0, 1.0, b) == pytest.approx(0.0)  # moving up, at w_off
    assert vteam.window(3.0, -1.0, b) == pytest.approx(1.0)  # moving down from w_off: free
    assert vteam.window(0.0, -1.0, b) == pytest.approx(0.0)


def test_windowed_integration_agrees_with_an_adaptive_solver():
    p = vteam.VteamParams(window="joglekar")
    v, duration, w0 = 4.0, 20e-6, 1.0
    ref = solve_ivp(lambda t, w: vteam.derivative(w, v, p), (0, duration), [w0], rtol=1e-10, atol=1e-12).y[0, -1]
    assert vteam.integrate(w0, v, duration, p, steps=64) == pytest.approx(ref, rel=1e-8)


def test_bad_device_parameters_are_user_errors():
    with pytest.raises(UserError):
        vteam.VteamParams(k_on=1e-4)
    with pytest.raises(UserError):
        vteam.VteamParams(iv="quadratic")
    with pytest.raises(UserError):
        vteam.VteamParams(window="hann")


S = syn.StdpParams()


def test_pulse_voltage_mapping():
    """|V| = v_peak exp(-dt / tau); reward -> negative (SET), punish -> positive (RESET)."""
    dt = np.array([0.0, 5.0, 10.0])
    mag = S.v_peak * np.exp(-dt / S.tau_us)
    assert np.allclose(syn.pulse_voltage(dt, syn.REWARD, S), -mag)
    assert np.allclose(syn.pulse_voltage(dt, syn.PUNISH, S), mag)
    assert np.all(syn.pulse_voltage(dt, syn.NONE, S) == 0)
    assert syn.pulse_voltage(-1.0, syn.REWARD, S) == 0  # no pre spike before the post spike


def test_r_stdp_only_acts_for_causal_pairs_and_decays_with_dt():
    """Fig. 3b: reward raises the conductance (state down), punish lowers it, both
    shrinking with dt and ending at the STDP window."""
    w = np.full(81, 1.5)
    dt = np.arange(81.0)
    up = syn.update(w, dt, syn.REWARD, S, P)
    down = syn.update(w, dt, syn.PUNISH, S, P)
    reach = syn.stdp_window_us(S, P)
    inside = dt < reach
    assert reach == pytest.approx(S.tau_us * math.log(S.v_peak / 0.01))
    assert np.all(up[inside] < 1.5) and np.all(down[inside] > 1.5)
    assert np.all(np.diff(1.5 - up[inside]) < 0) and np.all(np.diff(down[inside] - 1.5) < 0)
    assert (~inside).sum() > 10 and np.all(up[~inside] == 1.5) and np.all(down[~inside] == 1.5)
    assert np.all(syn.update(w, dt, syn.NONE, S, P) == 1.5)
    assert np.all(syn.update(w, -np.ones(81), syn.REWARD, S, P) == 1.5)
