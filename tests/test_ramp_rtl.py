"""The hardware ramp mode (`hw.ramp_layer.RampLayer`, docs/exact-ttfs-semantics.md) on Icarus and Verilator:
spike trains, counts and every membrane after every integrating step equal the golden model's, on a tiny
random network, on the firing phase's boundaries, and on the regression's ramp cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.snn import ramp
from model.snn.config import RAMP, IntNetwork, SnnConfig
from model.snn.export import export_network, load
from verify.perf import below_bound
from verify.regress import draw, run_case
from verify.sim import SIMULATORS
from verify.system import run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "ramp"


def _run(net: IntNetwork, u, folder: Path, sim: str):
    ex = load(export_network(net, folder / "snn", u))
    images = [{"vector": v, "encode": e} for v in range(len(u)) for e in (0, 1)]
    result, arrays = run_generator(ex, sim, sim_build(ex, ROOT / folder.name / sim), images)
    assert not result["error"], result["error"]
    assert len(result["images"]) == len(images) and below_bound(result["images"]) is None
    assert all(im["ok"] and im["mse_vs_golden"] == 0.0 for im in result["images"])
    return ex, result, arrays


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_tiny_ramp_generator_equals_golden_model(tmp_path, sim):
    config = SnnConfig(sizes=(10, 9, 7, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP)
    net = ramp.random_network(config, seed=5, weight_scale=0.4, bias_scale=0.5)
    u = np.random.default_rng(0).random((3, 10))
    u[-1] = 0.0  # no input spike at all: every slope stays 0
    ex, result, arrays = _run(net, u, tmp_path / "tiny", sim)
    values = ramp.values(net, ex.noise_x)
    for k, im in enumerate(result["images"]):
        for l in range(1, config.layers + 1):
            trains = arrays[f"image{k}_spikes{l}"]
            assert trains.sum(axis=0).max() <= 1
            np.testing.assert_array_equal(config.timesteps - ramp.spike_times(trains), values[l][im["vector"]])
    assert all(values[l].any() and not values[l].all() for l in range(1, 4))  # every layer fires, not every neuron


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_boundaries_in_one_word(tmp_path, sim):
    """One word per layer (``G = 1``: every forwarding path in use) and membranes at theta, above it, at R, at
    R - 1, at 0 and below: the layer fires at step 0 (a burst), at the last step, and not at all."""
    t, r = 8, 3
    theta = t * r
    b = np.array([theta, theta + 5, r, r - 1, 0, -4, 2 * r, 2 * r - 1])
    config = SnnConfig(sizes=(3, 8, 8), timesteps=t, membrane_bits=16, lanes=8, **RAMP)
    w2 = np.eye(8, dtype=np.int64) * 3  # layer 2 copies layer 1's values: 3 q = (T - k) R ... at its own steps
    net = IntNetwork(config, [np.zeros((8, 3), dtype=np.int64), w2], [b, np.zeros(8, dtype=np.int64)], [theta, theta])
    u = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]])
    _, result, arrays = _run(net, u, tmp_path / "boundaries", sim)
    times = ramp.spike_times(arrays["image0_spikes1"])
    np.testing.assert_array_equal(times, [0, 0, t - 1, t, t, t, t - 2, t - 1])
    np.testing.assert_array_equal(ramp.spike_times(arrays["image0_spikes2"]), times)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 33, 74])
def test_regression_ramp_cases_pass_on_both_simulators(tmp_path, seed):
    assert draw(seed).neuron == "ramp"
    row = run_case(seed, SIMULATORS, str(tmp_path))
    assert row["verdict"] == "pass", row
