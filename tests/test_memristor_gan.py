"""The spiking GAN: layer semantics, Eq. 3, the integer model's tables and how it
tracks the float one, training to the per-image goal, and the CLI."""

import dataclasses
import json
import math

import numpy as np
import pytest

from model.__main__ import main
from model.common.errors import UserError
from model.memristor import synapse as syn
from model.memristor import vteam
from model.memristor.data import load_binary, mix_seed
from model.memristor.fixed import FixedGan, build_spec, run_layer, synapse_update
from model.memristor.gan import FALSE, TRUE, FloatGan, GanParams, small_params
from model.memristor.tracking import lockstep, single_run
from model.memristor.train import evaluate, train
from model.snn.xorshift import Xorshift32

P = GanParams()
SPEC = build_spec(P)


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return load_binary("mnist", "train", classes=(0,)).images[0].reshape(-1)


def test_tables_follow_the_device():
    g = np.asarray(SPEC.g_rom)
    assert g[0] == pytest.approx(1 << SPEC.g_frac_bits, rel=0.02) and np.all(np.diff(g) <= 0)
    assert g[-1] == pytest.approx((1 << SPEC.g_frac_bits) * P.device.r_on / P.device.r_off, rel=0.03)
    volt = np.asarray(SPEC.gen.volt)
    assert volt[0] == round(P.gen_stdp.v_peak * 32) and np.all(np.diff(volt) <= 0)
    scale = SPEC.state_max / (P.device.w_off - P.device.w_on)
    for code in (0, 1, 50, 192):
        v = code / 32
        exact = vteam.rate(v, P.device) * P.gen_stdp.pulse_us * 1e-6 * scale
        assert SPEC.gen.dw_off[code] == math.floor(exact + 0.5)
        assert SPEC.gen.dw_on[code] == SPEC.gen.dw_off[code]  # the paper's device is symmetric
    assert SPEC.gen.dw_on[0] == 0  # below the 10 mV threshold nothing happens


def test_fixed_model_rejects_a_window():
    with pytest.raises(UserError):
        build_spec(GanParams(device=vteam.VteamParams(window="joglekar")))


def test_integer_layer_semantics_by_hand():
    """One input spiking at steps 0, 1, 2, 5, 6 ... into one neuron: v = v - (v >> k) + G[c];
    fire at v >= Theta, reset to 0; each rewarded spike lowers the state by DW_on[V[age]]."""
    spec = SPEC
    layer = dataclasses.replace(spec.gen, threshold=1500, leak_shift=2)
    raster = np.zeros((1, spec.steps), dtype=bool)
    raster[0, [0, 1, 2, 5, 6, 9, 10, 20]] = True
    v, fired, c, last = 0, [], 3000, -1
    for t in range(spec.steps):
        if raster[0, t]:
            last = t
        v = v - (v >> 2) + (spec.g_rom[c >> spec.g_shift] if raster[0, t] else 0)
        fired.append(v >= 1500)
        if fired[-1]:
            v = 0
            c = max(c - spec.gen.dw_on[spec.gen.volt[t - last]], 0)
    out, codes = run_layer(np.array([[3000]]), raster, spec, layer, np.array([syn.REWARD]))
    assert sum(fired) >= 3 and out[0].tolist() == fired and codes[0, 0] == c < 3000
    assert synapse_update(100, 0, syn.REWARD, layer, spec) == 0  # clamped at the ON state
    assert synapse_update(spec.state_max - 1, 0, syn.PUNISH, layer, spec) == spec.state_max
    assert synapse_update(500, -1, syn.PUNISH, layer, spec) == 500  # no pre spike


def test_eq3_signal_from_discriminator_states():
    for model in (FloatGan(P, Xorshift32(5)), FixedGan(P, Xorshift32(5))):
        states = model.normalised_states("disc")
        sig = model.signals()
        expect = np.sign(states[:, FALSE] - states[:, TRUE])  # higher state = lower conductance
        assert np.array_equal(sig, expect) and set(np.unique(sig)) <= {-1, 0, 1}


def test_float_and_fixed_start_from_the_same_states():
    fl, fx = FloatGan(P, Xorshift32(9)), FixedGan(P, Xorshift32(9))
    for layer in ("gen", "disc"):
        assert np.allclose(fl.normalised_states(layer), fx.normalised_states(layer), atol=1e-12)
    assert fx.codes["gen"].shape == (12, 144) and fx.codes["disc"].shape == (144, 2)


def test_fixed_tracks_float_within_the_stated_tolerance(digit):
    """One learning run from equal states: >= 95 % of spike slots equal and, where a
    neuron's spikes agree, states within 5e-4 of the range; lock-step training:
    generated images agree in >= 98 % of pixels on average."""
    r = single_run(P, digit, seed=mix_seed(2))
    for layer in ("gen", "disc"):
        assert r[layer]["spike_slots_equal"] >= 0.95
        assert r[layer]["max_state_error_where_equal"] <= 5e-4
    assert lockstep(P, digit, iterations=25, seed=mix_seed(2))["pixel_agreement_mean"] >= 0.98


@pytest.mark.parametrize("model_cls", [FloatGan, FixedGan])
def test_per_image_training_reaches_the_goal(model_cls, digit):
    model = model_cls(P, Xorshift32(mix_seed(0)))
    hist = train(model, digit[None, :], iterations=60)
    ev = evaluate(model, digit, samples=10)
    assert hist.first_reaching(0.95) is not None
    assert ev.mean >= 0.95
    assert 0.0 <= hist.d_accuracy() <= 1.0 and len(hist.d_real_ok) == 60


def test_small_network_learns_too():
    p = small_params()
    target = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0], dtype=bool)
    model = FixedGan(p, Xorshift32(mix_seed(1)))
    train(model, target[None, :], iterations=60)
    assert evaluate(model, target, samples=10).mean >= 0.95


def test_cli_writes_figures_and_reports(tmp_path, capsys, png_title):
    rc = main(["memristor", "--dataset", "mnist", "--classes", "2", "--iterations", "40", "--eval-samples", "3",
               "--out", str(tmp_path)])
    assert rc == 0
    out = tmp_path / "mnist-image"
    for f in ("grid.png", "curves.png", "conductance.png", "report.md"):
        assert (out / f).stat().st_size > 0
    for f in ("grid.png", "curves.png", "conductance.png"):
        assert "mnist 12x12, float model, G 12-144, D 144-2, 40 iterations of image training" in png_title(out / f)
    report = json.loads((out / "report.json").read_text())
    assert [n["class"] for n in report["networks"]] == [0, 1]
    assert report["goal"] == 0.95 and isinstance(report["goal_met_all"], bool)
    assert "mean pixel match" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["--classes", "11"], ["--iterations", "0"], ["--seed", "-1"]],
)
def test_cli_rejects_bad_options(argv, capsys):
    assert main(["memristor", *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")
