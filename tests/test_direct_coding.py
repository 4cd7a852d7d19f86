# amaranth: UnusedElaboratable=no
"""Direct input coding: no input spikes, layer 1 driven by the current B_1 + W_1 X once per image."""

import dataclasses

import numpy as np
import pytest
import torch

from model.convert.checkpoint import export_with_check

from model.common.errors import UserError
from model.convert import sweep as convert_sweep
from model.convert.conversion import ConvertOptions, ann_forward, convert
from model.snn.config import IntNetwork, SnnConfig
from model.snn.export import load
from model.snn.float_snn import from_int_network, simulate
from model.snn.golden import direct_current, encode_noise, encode_spikes, random_network, run_network, run_noise
from tests.test_convert import noise, random_generator

DIRECT = SnnConfig(sizes=(6, 5, 4), timesteps=16, lanes=2, coding="direct")


def scaled_network(config=DIRECT, seed=1):
    """A random network whose layer 1 threshold and bias are at the 2^R scale of its current."""
    net = random_network(config, seed=seed, bias_scale=3)
    plain = random_network(dataclasses.replace(config, coding="bernoulli"), seed=seed, bias_scale=3)
    assert net.thresholds[0] == plain.thresholds[0] << config.input_bits
    assert np.array_equal(net.biases[0], plain.biases[0] << config.input_bits)
    return net


def test_the_encoder_sends_no_spikes_and_the_current_is_b_plus_wx():
    net = scaled_network()
    x = encode_noise(np.random.default_rng(0).random((3, 6)), DIRECT)
    assert not encode_spikes(x, DIRECT).any() and encode_spikes(x, DIRECT).shape == (3, 16, 6)
    np.testing.assert_array_equal(direct_current(net, x), net.biases[0] + x @ net.weights[0].T)


def test_a_constant_current_fires_floor_of_t_c_over_theta_times():
    """IF with reset by subtraction under a constant current C in [0, theta): exactly floor(T C / theta) spikes."""
    net = scaled_network(seed=4)
    th = net.thresholds[0]
    x = encode_noise(np.random.default_rng(2).random((40, 6)), DIRECT)
    c = direct_current(net, x)
    counts = run_noise(net, x).counts[1]
    inside = (c >= 0) & (c < th)
    assert inside.sum() > 20
    np.testing.assert_array_equal(counts[inside], (DIRECT.timesteps * c[inside]) // th)
    assert (counts[c < 0] == 0).all()


@pytest.mark.parametrize("reset,leak", [("subtract", None), ("zero", 3)])
def test_the_integer_simulator_equals_the_golden_model(reset, leak):
    config = SnnConfig(sizes=(6, 5, 4), timesteps=16, lanes=2, coding="direct", reset=reset, leak_shift=leak)
    net = scaled_network(config, seed=6)
    x = encode_noise(np.random.default_rng(3).random((8, 6)), config)
    gold = run_noise(net, x)
    fast = simulate(from_int_network(net), encode_spikes(x, config), drive=x)
    for g, f in zip(gold.counts, fast.counts):
        np.testing.assert_array_equal(g, f.numpy().astype(np.int64))
    assert fast.macs == 6 * 5 and fast.synaptic_ops_into()[0].eq(0).all()


def test_a_direct_network_needs_its_current():
    net = scaled_network()
    with pytest.raises(UserError, match="driven by layer 1's current"):
        run_network(net, np.zeros((16, 6), dtype=np.uint8))
    with pytest.raises(UserError, match="no input spikes"):
        run_network(net, np.ones((16, 6), dtype=np.uint8), current=np.zeros(5, dtype=np.int64))


def test_a_current_that_could_overflow_the_membrane_is_refused():
    config = SnnConfig(sizes=(6, 5), timesteps=16, lanes=2, coding="direct", membrane_bits=14)
    w = np.full((5, 6), 10, dtype=np.int64)  # 6 x 10 x 256 = 15,360 > 2^13 - 1
    with pytest.raises(UserError, match="direct current B_1 \\+ W_1 X can reach 15360"):
        IntNetwork(config, [w], [np.zeros(5, dtype=np.int64)], [100])


def test_conversion_scales_layer_one_and_beats_rate_coding():
    """Direct coding's float SNN is closer to the ANN than Bernoulli coding's, and the fixed one tracks it."""
    sizes = (12, 20, 16, 10)
    layers = random_generator(sizes, seed=5)
    u_cal, u = noise(300, 12, seed=6), noise(60, 12, seed=7)
    ann = ann_forward(layers, u)
    mse = {}
    for coding in ("bernoulli", "direct"):
        cfg = SnnConfig(sizes=sizes, timesteps=32, lanes=4, coding=coding)
        conv = convert(layers, u_cal, cfg, ConvertOptions())
        x = encode_noise(u.numpy(), cfg)
        s0 = torch.as_tensor(encode_spikes(x, cfg))
        drive = lambda v: v if coding == "direct" else None  # noqa: E731
        fl = simulate(conv.float_params, s0, drive=drive(u))
        fx = convert_sweep.simulate_fixed(conv.int_net, s0, drive(x))
        mse[coding] = float(((fl.image - ann) ** 2).mean())
        assert float(((fl.image - fx.image) ** 2).mean()) < 2e-3
        if coding == "direct":
            plain = convert(layers, u_cal, SnnConfig(sizes=sizes, timesteps=32, lanes=4), ConvertOptions()).int_net
            assert conv.int_net.thresholds[0] == plain.thresholds[0] << cfg.input_bits
            assert conv.int_net.thresholds[1:] == plain.thresholds[1:]
    assert mse["direct"] < mse["bernoulli"] / 2, mse


def test_the_sweep_prices_layer_one_as_macs_and_exports_a_direct_network(tmp_path):
    sizes = (12, 20, 16, 10)
    layers = random_generator(sizes, seed=8)
    cfg = SnnConfig(sizes=sizes, timesteps=16, lanes=4, coding="direct")
    report = convert_sweep.build_report(layers, noise(100, 12), noise(8, 12, seed=3), cfg, ConvertOptions(), (16,),
                                        fid=False, with_peer=False)
    row = next(r for r in report["sweep"] if r["normalisation"] == "p99.9" and r["reset"] == "subtract")
    fx = row["fixed"]
    assert fx["macs"] == 12 * 20 and fx["synaptic_ops_by_layer"][0] == 0
    assert fx["energy_uj"] == pytest.approx((fx["synaptic_ops"] * 0.9 + 240 * 4.6) * 1e-6)
    conv = convert(layers, noise(100, 12), cfg, ConvertOptions())
    manifest, check = export_with_check(conv, tmp_path, noise(2, 12, seed=9), conv.metadata())
    assert "golden" in check
    export = load(manifest)
    assert export.net.config.coding == "direct" and not export.vectors[0].spikes.any()
    gold = run_noise(export.net, export.vectors[0].noise_x)
    np.testing.assert_array_equal(gold.counts[-1], export.vectors[0].counts[-1])


def test_a_direct_coded_conversion_report_calls_its_input_what_it_is(tmp_path, png_title):
    """No "spike rates" where the input is a current: the last reference ANN is fed the quantised input X / 2^R."""
    from model.convert.report import write_report

    sizes = (12, 20, 784)  # the figures show 28 x 28 images
    cfg = SnnConfig(sizes=sizes, timesteps=16, lanes=4, coding="direct")
    report = convert_sweep.build_report(random_generator(sizes, seed=8), noise(100, 12), noise(8, 12, seed=3), cfg,
                                        ConvertOptions(), (16,), fid=False, with_peer=False)
    write_report(report, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "spike rates" not in md and "MSE float vs ANN of the quantised input X / 2^R" in md
    assert "12-20-784 network, direct coding, T = 16" in png_title(tmp_path / "samples.png")
    assert "12-20-784 generator, direct coding" in png_title(tmp_path / "mse_energy_vs_t.png")


def test_the_rtl_of_a_direct_network_stores_no_input_spikes(tmp_path):
    from hw.build import build_generator, read_rtl_info
    from hw.direct_input import DirectInput

    net = scaled_network()
    build = build_generator(net, np.zeros((2, 6), dtype=np.int64), tmp_path, run_lint=False)
    assert not (tmp_path / "spike_rom.mem").exists() and (tmp_path / "noise_rom.mem").exists()
    verilog = build.sources[-1].read_text()
    assert "\\source.weight_rom.rom " in verilog and "spike_rom" not in verilog  # its input is no Spike ROM
    assert read_rtl_info(tmp_path).stored_trains is False
    with pytest.raises(ValueError, match="not a 'bernoulli'-coded one"):
        DirectInput(dataclasses.replace(DIRECT, coding="bernoulli"), 1)


def test_the_energy_goal_leaves_room_for_layer_one_macs():
    row = {"timesteps": 64, "normalisation": "p99.9", "reset": "subtract", "mse_float_ann": 0.0, "mse_fixed_float": 0.0,
           "fixed": {"synaptic_ops": 1100.0, "macs": 300}}
    g = convert_sweep.goals([row], SnnConfig(sizes=(3, 100, 4), coding="direct"), ConvertOptions(), macs=500)
    assert g["synaptic_ops_limit"] == pytest.approx(200 * 4.6 / 0.9) and not g["energy_met"]


@pytest.mark.parametrize("flags, coding, timesteps", [([], "ttfs", 32), (["--neuron", "rate"], "direct", 32),
                                                      (["--paper"], "bernoulli", 64),
                                                      (["--paper", "--timesteps", "16"], "bernoulli", 16)])
def test_convert_defaults_to_exact_ttfs_the_rate_converter_to_direct_coding_and_paper_gives_the_papers(
        tmp_path, flags, coding, timesteps):
    from model.__main__ import main as model_main
    from model.gan.config import TrainConfig
    from model.gan.train import init_state, save_checkpoint

    ckpt = tmp_path / "checkpoint.pt"
    save_checkpoint(init_state(TrainConfig(noise_dim=12, hidden=(9, 7), seed=3)), ckpt)
    assert model_main(["convert", "--checkpoint", str(ckpt), "--vectors", "1", "--calib", "64", "--no-report",
                       *flags]) == 0
    config = load(tmp_path / "snn" / "manifest.json").config
    assert (config.coding, config.timesteps) == (coding, timesteps)
