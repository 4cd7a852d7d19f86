"""Run-time noise: encoder inputs loaded through the generator's ``noise`` port, or drawn by the on-chip source
from a seed, give the golden model's outputs of that noise, bit for bit, for every coding and design on Icarus
and Verilator; the stored trains stay as exported."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from model.snn import ramp
from model.snn.config import RAMP, TTFS, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import draw_noise, encode_noise, noise_levels, random_network, run_noise
from model.snn.xorshift import xorshift32_stream
from model.ttfs.golden import export as ttfs_export
from model.ttfs.golden import quantise as ttfs_quantise
from verify.sim import SIMULATORS
from verify.system import run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "runtime_noise"
RATE = SnnConfig(sizes=(12, 9, 7), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)
SEED = 0x2545F491
CASES = {  # name: (config, design)
    "bernoulli": (RATE, "snn"),
    "stratified": (dataclasses.replace(RATE, coding="stratified"), "snn"),
    "direct": (dataclasses.replace(RATE, coding="direct", membrane_bits=18), "snn"),
    "ttfs": (None, "snn"),
    "exact-ttfs": (SnnConfig(sizes=(10, 9, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP), "snn"),
    "ann-dense": (SnnConfig(sizes=(10, 9, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP), "ann-dense"),
    "ann-skip": (SnnConfig(sizes=(10, 9, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP), "ann-skip"),
}


def _export(name: str, folder: Path):
    """The case's network with two stored vectors."""
    config, _ = CASES[name]
    u = np.random.default_rng(1).random((2, 12 if config is None else config.sizes[0]))
    if name == "ttfs":
        g = torch.Generator().manual_seed(3)
        sizes = (12, 9, 7)
        weights = [torch.rand(b, a, generator=g) * 1.3 - 0.3 for a, b in zip(sizes[:-1], sizes[1:])]
        net = ttfs_quantise(weights, theta=1.6, timesteps=16, weight_bits=6, lanes=4)
        return load(ttfs_export(net, folder, encode_noise(u, net.config)))
    net = (ramp.random_network(config, seed=5, weight_scale=0.4, bias_scale=0.5) if config.neuron == "ramp"
           else random_network(config, seed=11, weight_scale=0.35, bias_scale=2 if config.direct else 0))
    return load(export_network(net, folder, u))


def test_the_noise_source_is_the_rounded_fraction_of_each_xorshift_state():
    """``draw_noise`` = ``(r full + 2^31) >> 32`` in integers (``full - x`` for the ramp neuron)."""
    for config in (RATE, CASES["exact-ttfs"][0], dataclasses.replace(RATE, timesteps=7, **TTFS)):
        r = xorshift32_stream(SEED, config.sizes[0]).astype(object)
        full = noise_levels(config)
        x = [(int(v) * full + (1 << 31)) >> 32 for v in r]
        expected = [full - v for v in x] if config.neuron == "ramp" else x
        assert draw_noise(SEED, config).tolist() == expected
        assert 0 <= min(expected) and max(expected) <= full


@pytest.mark.sim
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sim", SIMULATORS)
def test_loaded_and_drawn_noise_give_the_golden_models_images(tmp_path, sim, name):
    ex = _export(name, tmp_path / "snn")
    c, design = ex.config, CASES[name][1]
    loaded = np.random.default_rng(7).integers(0, noise_levels(c) + 1, c.sizes[0])
    drawn = draw_noise(SEED, c)
    for x, v in ((loaded, ex.vectors[0]), (drawn, ex.vectors[1])):  # not vacuous: the slot's stored noise gives other spikes
        gold, stored = run_noise(ex.net, x), run_noise(ex.net, v.noise_x)
        assert any(not np.array_equal(gold.spikes[l], stored.spikes[l]) for l in range(1, c.layers + 1))
    images = [{"vector": 0, "encode": 1, "noise": {"load": loaded.tolist()}},
              {"vector": 1, "encode": 1, "noise": {"seed": SEED}},
              {"vector": 1, "encode": 0},  # the stored trains of vector 1, or its drawn noise if the design has none
              {"vector": 0, "encode": 1}]  # the loaded noise stays
    build = sim_build(ex, ROOT / name / sim, design=design)  # lint: tests/test_hw_build.py, tests/test_ann_twin.py
    result, arrays = run_generator(ex, sim, build, images)
    assert not result["error"], result["error"]
    reads_noise = c.direct or design != "snn"
    inputs = [loaded, drawn, drawn if reads_noise else ex.vectors[1].noise_x, loaded]
    for k, (im, x) in enumerate(zip(result["images"], inputs)):
        assert im["ok"], im
        gold = run_noise(ex.net, x)
        for l in range(1, c.layers + 1):
            np.testing.assert_array_equal(arrays[f"image{k}_counts{l}"], gold.counts[l])
            np.testing.assert_array_equal(arrays[f"image{k}_spikes{l}"], gold.spikes[l])
    assert [im["noise"] for im in result["images"]] == ["load", "seed", None, None]
