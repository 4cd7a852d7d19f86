"""The hardware TTFS mode: a tiny exported TTFS generator on Icarus and Verilator fires every
neuron at most once, at the golden model's step, from the stored trains and from the on-chip
TTFS encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.snn.export import load
from model.snn.golden import first_spike_times, run_network
from model.ttfs.golden import export, quantise
from verify.sim import SIMULATORS
from verify.perf import below_bound
from verify.system import run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "ttfs"
SIZES, T, VECTORS = (12, 9, 7, 10), 16, 3


@pytest.fixture(scope="module")
def ttfs_manifest(tmp_path_factory) -> Path:
    g = torch.Generator().manual_seed(3)
    weights = [torch.rand(b, a, generator=g) * 1.3 - 0.3 for a, b in zip(SIZES[:-1], SIZES[1:])]
    net = quantise(weights, theta=1.6, timesteps=T, weight_bits=6, lanes=4)
    times = torch.randint(0, T + 1, (VECTORS, SIZES[0]), generator=g).numpy()
    times[-1] = T  # no input spike: no layer is swept in that image, yet its counters must read 0
    return export(net, tmp_path_factory.mktemp("ttfs") / "snn", times)


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_tiny_ttfs_generator_equals_golden_model(ttfs_manifest, sim):
    ex = load(ttfs_manifest)
    images = [{"vector": v, "encode": e} for v in range(VECTORS) for e in (0, 1)]
    result, arrays = run_generator(ex, sim, sim_build(ex, ROOT / sim), images)
    assert not result["error"], result["error"]
    assert len(result["images"]) == len(images) and below_bound(result["images"]) is None
    fired, silent = set(), 0
    for k, im in enumerate(result["images"]):
        assert im["ok"] and im["mse_vs_golden"] == 0.0, im
        gold = run_network(ex.net, ex.vectors[im["vector"]].spikes)
        for l in range(1, len(SIZES)):
            trains = arrays[f"image{k}_spikes{l}"]
            assert np.array_equal(trains, gold.spikes[l])
            assert trains.sum(axis=0).max() <= 1  # at most one spike per neuron
            times = first_spike_times(trains)
            fired |= {l} if (times < T).any() else set()
            silent += int((times == T).sum())
    assert fired == set(range(1, len(SIZES))) and silent > 0  # not vacuous: every layer fires, some neurons never do
