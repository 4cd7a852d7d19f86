"""Conversion: normalisation (Eq. 6-7), rate coding, quantisation, and convert -> export -> golden end to end."""

import argparse
import json

import numpy as np
import pytest
import torch

from model.convert import cli as convert_cli
from model.convert.checkpoint import export_with_check

from model.convert import sweep as convert_sweep

from model.common.errors import UserError
from model.convert import peer
from model.convert.conversion import (
    ConvertOptions,
    activation_scales,
    ann_activations,
    check_layers,
    convert,
    float_snn,
    normalise,
    percentile,
    quantise,
)
from model.snn.config import SnnConfig
from model.snn.export import load
from model.snn.float_snn import from_int_network, simulate
from model.snn.golden import encode_noise, encode_spikes, run_network


def random_generator(sizes=(12, 20, 16, 10), seed=0):
    """A random ReLU MLP with the generator's contract (clamped output), scaled so a good share of pixels lie in (0, 1)."""
    g = torch.Generator().manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        w = torch.randn(b, a, generator=g, dtype=torch.float64) * (1.6 / a**0.5)
        layers.append((w, 0.1 * torch.randn(b, generator=g, dtype=torch.float64)))
    layers[-1] = (layers[-1][0] * 0.3, layers[-1][1] * 0.3 + 0.4)
    return layers


def noise(n, n0, seed=1):
    return torch.rand(n, n0, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_percentile_names():
    assert percentile("max") == 100.0
    assert percentile("p99.9") == 99.9
    for bad in ("p0", "p101", "99.9", "median", "p"):
        with pytest.raises(UserError, match="normalisation"):
            percentile(bad)


def test_unit_normalisation_keeps_layers_that_come_normalised():
    layers = check_layers(random_generator())
    assert activation_scales(layers, noise(50, 12), "unit") == [1.0] * (len(layers) + 1)
    assert ConvertOptions("unit").normalisation == "unit"
    with pytest.raises(UserError, match="'unit'"):
        ConvertOptions("units")


def test_scales_and_normalisation_keep_the_function():
    layers = check_layers(random_generator())
    u = noise(500, 12)
    lam = activation_scales(layers, u, "max")
    acts = ann_activations(layers, u)
    assert lam[0] == 1.0 and lam[-1] == 1.0
    assert lam[1:-1] == pytest.approx([float(a.max()) for a in acts[:-1]])
    p = activation_scales(layers, u, "p99")
    assert all(a <= b for a, b in zip(p, lam)) and p[1] < lam[1]
    norm_acts = ann_activations(normalise(layers, lam), u)
    for l in range(len(layers) - 1):  # hidden layers: relu(a) / lambda, at most 1 for 'max'
        torch.testing.assert_close(norm_acts[l], acts[l] / lam[l + 1])
        assert float(norm_acts[l].max()) == pytest.approx(1.0)
    torch.testing.assert_close(norm_acts[-1], acts[-1])  # the image is unchanged


def test_snn_rates_approach_normalised_activations_as_t_grows():
    """ReLU(a_l)/lambda_l == the SNN's rate of layer l, within a rate-coding error that shrinks with T."""
    layers = check_layers(random_generator(seed=3))
    u_cal, u = noise(500, 12, seed=2), noise(40, 12, seed=4)
    errors = []
    for t in (16, 64, 256, 1024):
        cfg = SnnConfig(sizes=(12, 20, 16, 10), timesteps=t)
        opts = ConvertOptions("max")
        lam = activation_scales(layers, u_cal, "max")
        params = float_snn(normalise(layers, lam), cfg, opts)
        s0 = encode_spikes(encode_noise(u.numpy(), cfg), cfg)
        res = simulate(params, s0)
        target = [a / l for a, l in zip(ann_activations(layers, u), lam[1:])]
        errors.append([float((c / t - a).abs().mean()) for c, a in zip(res.counts[1:], target)])
    errors = np.array(errors)  # (T, layer)
    assert (np.diff(errors, axis=0) < 0).all(), errors
    assert (errors[-1] < 0.02).all() and (errors[-1] < errors[0] / 4).all(), errors


def test_round_offset_rounds_instead_of_floors():
    """One IF neuron, constant drive 0.3 per step, T = 10: floor(3.0 - eps) vs round."""
    cfg = SnnConfig(sizes=(1, 1), timesteps=10)
    layer = [(torch.zeros(1, 1, dtype=torch.float64), torch.tensor([0.34], dtype=torch.float64))]
    s0 = torch.zeros(1, 10, 1)
    floor = simulate(float_snn(layer, cfg, ConvertOptions("max", round_offset=False)), s0).counts[1].item()
    rnd = simulate(float_snn(layer, cfg, ConvertOptions("max", round_offset=True)), s0).counts[1].item()
    assert (floor, rnd) == (3.0, 3.0)
    layer = [(layer[0][0], torch.tensor([0.37], dtype=torch.float64))]  # 3.7 -> floor 3, round 4
    floor = simulate(float_snn(layer, cfg, ConvertOptions("max", round_offset=False)), s0).counts[1].item()
    rnd = simulate(float_snn(layer, cfg, ConvertOptions("max", round_offset=True)), s0).counts[1].item()
    assert (floor, rnd) == (3.0, 4.0)


@pytest.mark.parametrize("bits", [4, 8, 12])
def test_quantisation_fills_the_weight_range(bits):
    layers = check_layers(random_generator())
    lam = activation_scales(layers, noise(300, 12), "p99.9")
    norm = normalise(layers, lam)
    cfg = SnnConfig(sizes=(12, 20, 16, 10), weight_bits=bits, membrane_bits=bits + 12, timesteps=32)
    net = quantise(norm, cfg, ConvertOptions())
    top = 2 ** (bits - 1) - 1
    for (w, b), wi, bi, th in zip(norm, net.weights, net.biases, net.thresholds):
        peak = float(w.abs().max())
        assert np.abs(wi).max() <= top < round(peak * (th + 1))  # the largest threshold at which the weights fit
        assert np.abs(wi - w.numpy() * th).max() <= 0.5 + 1e-9  # rounding, never clipping
        assert np.abs(bi - (b.numpy() * th + th / (2 * cfg.timesteps))).max() <= 0.5 + 1e-9
        assert 1 <= th <= 2 ** (cfg.membrane_bits - 1) - 1
    net.validate()


def test_quantisation_refuses_a_bias_that_does_not_fit():
    layers = [(torch.ones(2, 3, dtype=torch.float64) * 0.01, torch.tensor([1e6, 0.0], dtype=torch.float64))]
    with pytest.raises(UserError, match="membrane_bits"):
        quantise(layers, SnnConfig(sizes=(3, 2), membrane_bits=16), ConvertOptions())


def test_fixed_point_tracks_float_snn():
    """With 12-bit weights the fixed SNN's image is close to the float SNN's (same input spikes)."""
    sizes = (12, 20, 16, 10)
    layers = random_generator(sizes, seed=5)
    u_cal, u = noise(300, 12, seed=6), noise(30, 12, seed=7)
    mse = {}
    for bits in (4, 12):
        cfg = SnnConfig(sizes=sizes, timesteps=128, weight_bits=bits, membrane_bits=bits + 12)
        conv = convert(layers, u_cal, cfg, ConvertOptions())
        s0 = encode_spikes(encode_noise(u.numpy(), cfg), cfg)
        fl, fx = simulate(conv.float_params, s0), simulate(from_int_network(conv.int_net), s0)
        mse[bits] = float(((fl.image - fx.image) ** 2).mean())
    assert mse[12] < mse[4] and mse[12] < 1e-3, mse


def test_convert_export_golden_end_to_end(tmp_path):
    sizes = (12, 20, 16, 10)
    layers = random_generator(sizes, seed=8)
    cfg = SnnConfig(sizes=sizes, timesteps=24, lanes=4, weight_bits=8, membrane_bits=20)
    conv = convert(layers, noise(300, 12), cfg, ConvertOptions("p99.9"))
    u_vec = noise(3, 12, seed=9)
    manifest, check = export_with_check(conv, tmp_path, u_vec, conv.metadata())
    assert "golden" in check
    export = load(manifest)
    net, man = export.net, export.manifest
    for a, b in zip(net.weights + net.biases, conv.int_net.weights + conv.int_net.biases):
        np.testing.assert_array_equal(a, b)
    assert list(net.thresholds) == list(conv.int_net.thresholds)
    assert man["extra"]["activation_scales"] == pytest.approx(conv.lambdas)
    vectors = export.vectors
    fast = simulate(from_int_network(net), np.stack([v.spikes for v in vectors]), record_output=True)
    for n, v in enumerate(vectors):
        np.testing.assert_array_equal(v.out_spikes, fast.out_spikes[n].numpy())
        for l in range(cfg.layers):
            np.testing.assert_array_equal(v.counts[l], fast.counts[l + 1][n].numpy().astype(np.int64))
    gold = run_network(net, vectors[0].spikes)
    np.testing.assert_array_equal(gold.image, vectors[0].image)


def test_cli_convert_report(tmp_path, monkeypatch, png_title):
    """`spikegan convert --neuron rate` on a tiny trained-format checkpoint: export, report files, goals and table."""
    from model.gan.config import TrainConfig
    from model.gan.train import init_state, save_checkpoint

    torch.manual_seed(0)
    save_checkpoint(init_state(TrainConfig(hidden=(16, 16), d_hidden=(8,))), tmp_path / "checkpoint.pt")
    parser = argparse.ArgumentParser()
    convert_cli.add_arguments(parser)
    args = parser.parse_args(
        ["--neuron", "rate", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--images", "6", "--calib", "50", "--vectors", "2"]
        + ["--sweep-t", "8,64", "--timesteps", "64", "--no-fid", "--no-peer", "--lanes", "8"]
    )
    assert convert_cli.run(args) == 0
    out = tmp_path / "snn"
    assert (out / "manifest.json").exists() and (out / "vector1_spikes.mem").exists()
    report = json.loads((out / "report" / "conversion.json").read_text())
    assert len(report["sweep"]) == 2 * 2 * 2  # T x norm x reset
    assert report["ann_macs"] == 100 * 16 + 16 * 16 + 16 * 784
    assert set(report["goals"]) >= {"float_vs_ann_met", "fixed_vs_float_met", "energy_met"}
    for name in ("report.md", "samples.png", "mse_energy_vs_t.png"):
        assert (out / "report" / name).stat().st_size > 0
    assert "| 64 | p99.9 | subtract |" in (out / "report" / "report.md").read_text()
    title = png_title(out / "report" / "samples.png")
    assert "100-16-16-784 network, direct coding, T = 64" in title and "checkpoint.pt" in title
    # energy under both models (`model.snn.energy`), the SNN's and the ANN's
    row = report["sweep"][0]["fixed"]
    assert row["energy_uj_integer_memory"] > 0 and report["ann_energy_uj_integer_memory"] > 0
    assert "integer + memory" in (out / "report" / "report.md").read_text()


def test_cli_missing_checkpoint(tmp_path):
    parser = argparse.ArgumentParser()
    convert_cli.add_arguments(parser)
    with pytest.raises(UserError, match="make train"):
        convert_cli.run(parser.parse_args(["--checkpoint", str(tmp_path / "none.pt")]))


def test_ann_macs_of_the_paper_network():
    assert convert_sweep.ann_macs((100, 1200, 1200, 784)) == 2_500_800


def test_peer_skipped_cleanly_without_sinabs(monkeypatch):
    monkeypatch.setattr(peer, "available", False)
    layers = check_layers(random_generator())
    out = convert_sweep.peer_benchmark(layers, noise(50, 12), noise(4, 12), SnnConfig(sizes=(12, 20, 16, 10)), ConvertOptions(), (8,))
    assert out == {"skipped": peer.SKIP_MESSAGE}


@pytest.mark.skipif(not peer.available, reason=peer.SKIP_MESSAGE)
def test_peer_sinabs_runs_on_the_same_spikes():
    sizes = (12, 20, 16, 10)
    layers = check_layers(random_generator(sizes))
    u_cal, u = noise(200, 12), noise(8, 12, seed=3)
    cfg = SnnConfig(sizes=sizes, timesteps=32)
    s0 = torch.as_tensor(encode_spikes(encode_noise(u.numpy(), cfg), cfg))
    ours = peer.sinabs_network(layers, u_cal, "p99.9", 32, mode="ours")
    assert peer.analog_error(layers, ours, u) < 1e-10  # our normalisation keeps the ANN's function
    img, seconds, cpu = peer.simulate_sinabs(ours, s0)
    assert img.shape == (8, 10) and 0 <= float(img.min()) and float(img.max()) <= 1 and seconds > 0 and cpu > 0
    # same neuron model up to MultiSpike/min_v_mem: close to our float SNN without the rounding offset
    ref = simulate(float_snn(normalise(layers, activation_scales(layers, u_cal, "p99.9")), cfg, ConvertOptions(round_offset=False)), s0)
    assert float((img - ref.image).abs().mean()) < 0.05
    theirs = peer.sinabs_network(layers, u_cal, "p99.9", 32, mode="sinabs")
    assert peer.analog_error(layers, theirs, u) > 0  # its bias scaling changes the function


def test_fixed_simulation_falls_back_to_golden_when_saturation_is_possible():
    from model.snn.golden import random_network

    cfg = SnnConfig(sizes=(8, 4), timesteps=20, weight_bits=8, membrane_bits=10)
    net = random_network(cfg, seed=1, weight_scale=1.0)
    net.weights[0][:] = 100  # 8 inputs x 100 > 2^9: a step may saturate
    net.thresholds[0] = 511
    spikes = np.ones((2, 20, 8), dtype=np.uint8)
    res = convert_sweep.simulate_fixed(net, torch.as_tensor(spikes))
    assert res.engine == "golden"
    gold = run_network(net, spikes)
    for a, b in zip(res.counts, gold.counts):
        np.testing.assert_array_equal(a.numpy(), b)


@pytest.mark.parametrize("sizes", [(12, 10), (12, 8, 10), (12, 9, 8, 7, 10)])
def test_report_names_one_spike_column_per_layer(sizes):
    from model.convert.report import markdown

    layers = check_layers(random_generator(sizes))
    cfg = SnnConfig(sizes=sizes, timesteps=8, lanes=4)
    report = convert_sweep.build_report(layers, noise(50, 12), noise(4, 12, seed=3), cfg, ConvertOptions(), (8,),
                                        fid=False, with_peer=False)
    text = markdown(report)
    names = ", ".join(f"L{l}" for l in range(1, len(sizes)))
    assert f"spikes/neuron {names} |" in text
    row = next(line for line in text.splitlines() if line.startswith("| 8 | p99.9 | subtract"))
    assert len(row.split("|")[-5].split(",")) == len(sizes) - 1


def test_the_sweep_estimates_its_time_and_memory_before_it_starts(capsys):
    sizes = (12, 8, 10)
    layers = check_layers(random_generator(sizes))
    cfg = SnnConfig(sizes=sizes, timesteps=8, lanes=4)
    convert_sweep.build_report(layers, noise(50, 12), noise(300, 12, seed=3), cfg, ConvertOptions(), (4, 8),
                               fid=False, with_peer=False)
    err = capsys.readouterr().err
    assert "report sweep: 8 configurations x 300 images: about" in err and "MB of spike trains" in err
