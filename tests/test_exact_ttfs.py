"""The ramp neuron (docs/exact-ttfs-semantics.md): step form == closed form, boundaries, widths, the
exact conversion, its export and its command."""

import argparse
import json

import numpy as np
import pytest
import torch

from model.common.errors import UserError
from model.convert import cli as convert_cli
from model.convert import exact
from model.snn import ramp
from model.snn.config import RAMP, IntNetwork, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import encode_noise, run_noise


def _config(sizes, t, m=24, **kw):
    return SnnConfig(sizes=tuple(sizes), timesteps=t, membrane_bits=m, lanes=4, **RAMP, **kw)


def _random_net(sizes, t, seed, slopes=None):
    rng = np.random.default_rng(seed)
    c = _config(sizes, t, m=30)
    w = [rng.integers(-127, 128, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    r = slopes or [int(x) for x in rng.integers(1, 300, len(w))]
    b = [rng.integers(-40 * t * ri, 40 * t * ri, n) for ri, n in zip(r, sizes[1:])]
    return IntNetwork(c, w, b, [t * ri for ri in r])


@pytest.mark.parametrize("t", [1, 2, 7, 32])
@pytest.mark.parametrize("seed", range(4))
def test_step_form_equals_closed_form(t, seed):
    net = _random_net((9, 13, 6, 5), t, seed)
    x = np.random.default_rng(seed + 100).integers(0, t + 1, (6, 9))
    gold = run_noise(net, x, record_membranes=True)
    closed = ramp.values(net, x)
    for l in range(net.config.layers + 1):
        np.testing.assert_array_equal(t - ramp.spike_times(gold.spikes[l]), closed[l])
        assert gold.spikes[l].sum(axis=1).max() <= 1  # at most one spike per neuron
    for l in range(1, net.config.layers + 1):  # the membrane at the end of the integrating window
        expected = closed[l - 1] @ np.asarray(net.weights[l - 1]).T + net.biases[l - 1]
        np.testing.assert_array_equal(gold.membranes[l][:, -1], expected)
    np.testing.assert_array_equal(gold.image, closed[-1] / t)


def test_boundaries_of_the_firing_phase():
    """``V`` at theta, above it, at R, at R - 1, at 0 and below: no input spikes, so ``V = B``."""
    t, r = 8, 5
    theta = t * r
    b = np.array([theta, theta + 7, r, r - 1, 0, -3, 3 * r, 3 * r - 1])
    net = IntNetwork(_config((2, len(b)), t), [np.zeros((len(b), 2), dtype=np.int64)], [b], [theta])
    gold = run_noise(net, np.full((1, 2), t))  # X = T: no input spikes
    times = ramp.spike_times(gold.spikes[1])[0]
    np.testing.assert_array_equal(times, [0, 0, t - 1, t, t, t, t - 3, t - 2])


def test_every_neuron_at_step_zero_and_a_silent_layer():
    t = 16
    w = np.ones((5, 3), dtype=np.int64)
    burst = IntNetwork(_config((3, 5), t), [w], [np.zeros(5, dtype=np.int64)], [t])
    gold = run_noise(burst, np.zeros((1, 3), dtype=np.int64))  # every input at step 0, value T each: V = 3T >= theta
    assert gold.spikes[1][0, 0].all() and gold.spikes[1][0, 1:].sum() == 0
    silent = IntNetwork(_config((3, 5), t), [-w], [np.zeros(5, dtype=np.int64)], [t])
    assert run_noise(silent, np.zeros((1, 3), dtype=np.int64)).spikes[1].sum() == 0


def test_all_spikes_of_a_step_enter_the_slope_before_the_membrane_update():
    """Two inputs at the same step count ``T - k`` times each: an order that added one after ``V += S`` would
    count it once less."""
    t = 4
    net = IntNetwork(_config((2, 1), t), [np.array([[3, 5]])], [np.array([0])], [t])
    gold = run_noise(net, np.array([[1, 1]]), record_membranes=True)
    np.testing.assert_array_equal(gold.membranes[1][0, :, 0], [0, 8, 16, 24])


def test_ramp_networks_are_checked():
    c = _config((2, 3), 8, m=12)
    w, b = [np.full((3, 2), 100)], [np.zeros(3, dtype=np.int64)]
    with pytest.raises(UserError, match="not a multiple of T"):
        IntNetwork(c, w, b, [12])
    with pytest.raises(UserError, match="use 13 membrane bits"):  # reach 16 x 200 = 3200 needs 13 signed bits
        IntNetwork(_config((2, 3), 16, m=12), w, b, [16])
    with pytest.raises(UserError, match="ramp network needs"):
        SnnConfig(neuron="ramp", coding="bernoulli")


def test_noise_is_coded_as_spike_times_of_its_value():
    c = _config((3, 2), 8)
    np.testing.assert_array_equal(encode_noise(np.array([[0.0, 0.5, 1.0]]), c), [[8, 4, 0]])


def _ann(sizes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(b, a, generator=g, dtype=torch.float64) / a**0.5, 0.1 * torch.randn(b, generator=g, dtype=torch.float64))
            for a, b in zip(sizes[:-1], sizes[1:])]


def test_conversion_fits_the_fewest_membrane_bits():
    sizes, t = (20, 30, 25, 16), 32
    u = torch.rand(300, sizes[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    conv = exact.convert(_ann(sizes), u, exact.ramp_config(sizes, t), "p99.9")
    m = conv.config.membrane_bits
    with pytest.raises(UserError, match="membrane"):
        IntNetwork(exact.ramp_config(sizes, t, m - 1), conv.int_net.weights, conv.int_net.biases, conv.int_net.thresholds)
    assert all(np.abs(w).max() == 127 for w in conv.int_net.weights)  # R_l: the largest weight fills q bits


def test_conversion_is_exact_where_the_weights_are_representable():
    """An ANN made from integers ``W, B`` and odd slopes ``R`` (no rounding ties) on clips ``X``: the converter
    recovers the integers, and the integer network equals the float reference value for value."""
    sizes, t, slopes, clips = (12, 20, 9), 16, [5, 9], [1.0, 3.0, 1.0]
    rng = np.random.default_rng(3)
    ints = [rng.integers(-127, 128, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    for w in ints:
        w[0, 0] = 127
    biases = [rng.integers(-200, 200, n) for n in sizes[1:]]
    layers = []
    for l, (w, b, r) in enumerate(zip(ints, biases, slopes), start=1):
        step_in, step_out = clips[l - 1] / t, clips[l] / t
        layers.append((torch.tensor(w / r * step_out / step_in), torch.tensor((b - r // 2) / r * step_out)))
    net = exact.quantise(layers, clips, exact.ramp_config(sizes, t))
    assert ramp.slopes(net) == slopes
    for w, b, got_w, got_b in zip(ints, biases, net.weights, net.biases):
        np.testing.assert_array_equal(got_w, w)
        np.testing.assert_array_equal(got_b, b)
    u = torch.rand(200, sizes[0], generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    q = ramp.values(net, encode_noise(u.numpy(), net.config))
    for got, ref in zip(q, exact.fake_quantised(layers, clips, t, u)):
        np.testing.assert_array_equal(got, ref.numpy().astype(np.int64))


def test_export_and_load_a_ramp_network(tmp_path):
    net = _random_net((8, 12, 10), 16, 0)
    u = np.random.default_rng(0).random((3, 8))
    manifest = export_network(net, tmp_path, u)
    loaded = load(manifest)
    assert loaded.config.neuron == "ramp" and loaded.net.thresholds == net.thresholds
    closed = ramp.values(net, encode_noise(u, net.config))
    for v in loaded.vectors:
        np.testing.assert_array_equal(v.image, closed[-1][v.index] / 16)


def test_cli_convert_ramp(tmp_path, png_title):
    """`spikegan convert` (the exact conversion is the default) on a tiny checkpoint: export, report, goals,
    figures."""
    from model.gan.config import TrainConfig
    from model.gan.train import init_state, save_checkpoint

    torch.manual_seed(0)
    save_checkpoint(init_state(TrainConfig(hidden=(16, 16), d_hidden=(8,))), tmp_path / "checkpoint.pt")
    parser = argparse.ArgumentParser()
    convert_cli.add_arguments(parser)
    args = parser.parse_args(["--checkpoint", str(tmp_path / "checkpoint.pt"), "--images", "20",
                              "--calib", "50", "--vectors", "2", "--sweep-t", "8,16", "--timesteps", "12", "--no-fid"])
    assert convert_cli.run(args) == 0
    out = tmp_path / "snn"
    assert (load(out).config.neuron, load(out).config.timesteps) == ("ramp", 12)
    report = json.loads((out / "report" / "exact.json").read_text())
    assert [(r["timesteps"], r["clip"]) for r in report["sweep"]][:2] == [(8, "p99"), (8, "p99.9")]
    assert {r["timesteps"] for r in report["sweep"]} == {8, 12, 16}  # the exported T joins the sweep
    assert all(r["max_spikes_per_neuron"] <= 1 for r in report["sweep"])
    assert report["ann"]["macs"] == 100 * 16 + 16 * 16 + 16 * 784
    assert "exact TTFS" in png_title(out / "report" / "samples.png")
    assert "![the ANN's and the exact TTFS generator's images](samples.png)" in (out / "report" / "report.md").read_text()
    with pytest.raises(UserError, match="--paper"):
        convert_cli.run(parser.parse_args(["--neuron", "ramp", "--paper", "--checkpoint", str(tmp_path / "checkpoint.pt")]))
    with pytest.raises(UserError, match=r"use \d+ membrane bits \(the converter picks them when not told\)"):
        convert_cli.run(parser.parse_args(["--neuron", "ramp", "--membrane-bits", "10", "--no-report",
                                           "--checkpoint", str(tmp_path / "checkpoint.pt"), "--out", str(tmp_path / "x")]))


def test_cycle_budget_of_a_ramp_network():
    """Windows one after another; in each the larger of the two layers' work (`verify.perf.cycle_budget`)."""
    from verify.perf import cycle_budget

    c = _config((4, 8, 4), 10)  # P = 4: G_1 = 2, G_2 = 1
    spikes = [np.zeros((10, 4)), np.zeros((10, 8)), np.zeros((10, 4))]
    spikes[0][0, :3], spikes[1][2, :5] = 1, 1  # E_0 = 3, E_1 = 5
    b = cycle_budget(c, spikes)
    # window 0: (3 + 10) 2 = 26; window 1: max(10 x 2, (5 + 10) x 1) = 20; window 2: 10 x 1
    assert b["lower_bound"] == 26 + 20 + 10 and b["per_layer"] == [26 + 20, 15 + 10] and b["events"] == [3, 5]


@pytest.mark.parametrize("options, neuron", [
    ({}, "ramp"), ({"neuron": "rate"}, "rate"), ({"paper": True}, "rate"), ({"coding": "direct"}, "rate"),
    ({"reset": "zero"}, "rate"), ({"leak_shift": 4}, "rate"), ({"round_offset": False}, "rate"),
    ({"neuron": "ramp", "timesteps": 8}, "ramp")])
def test_the_exact_conversion_is_the_default_unless_a_rate_option_is_given(options, neuron):
    from model.convert.checkpoint import conversion_neuron
    from model.convert.conversion import ConvertOptions

    fields = {k: v for k, v in options.items() if k not in ("neuron", "paper", "round_offset")}
    assert conversion_neuron(options.get("neuron"), options.get("paper", False),
                             ConvertOptions(round_offset=options.get("round_offset", True)), fields) == neuron


def test_the_ramp_converter_refuses_the_rate_converters_options():
    from model.convert.checkpoint import conversion_neuron
    from model.convert.conversion import ConvertOptions

    with pytest.raises(UserError, match=r"--coding, --leak-shift: options of the rate converter.*--neuron rate"):
        conversion_neuron("ramp", False, ConvertOptions(), {"coding": "direct", "leak_shift": 3})
    with pytest.raises(UserError, match="neuron 'lif'"):
        conversion_neuron("lif", False, ConvertOptions(), {})


def test_an_export_names_its_make_target():
    from pathlib import Path

    from model.snn.export import export_command

    assert export_command(Path("weights/gan-mnist-fpga/snn-ramp/manifest.json")) == "`make exact`"
    assert export_command(Path("weights/gan-mnist-fpga/snn-direct/manifest.json")) == "`make exact`"
    assert export_command(Path("weights/gan-mnist/snn-direct/manifest.json")) == "`make rate`"
    assert export_command(Path("weights/gan-mnist/snn/manifest.json")) == "`make convert`"


def test_the_api_simulates_a_ramp_export_with_its_golden_model(tmp_path):
    from spikegan import api

    net = _random_net((8, 12, 16), 16, 2)
    manifest = export_network(net, tmp_path, np.random.default_rng(0).random((2, 8)))
    u = np.random.default_rng(1).random((3, 8))
    result = api.simulate(manifest, u)
    np.testing.assert_array_equal(api.images(result).reshape(3, -1), ramp.values(net, encode_noise(u, net.config))[-1] / 16)
