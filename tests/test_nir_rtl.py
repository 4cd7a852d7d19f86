"""Bring your own network: an snnTorch classifier trained here -> NIR -> this project -> RTL, bit-exact on
Icarus and Verilator, with the golden model's class decisions beside snnTorch's own."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
import torch

from model.interop import nir_export

from model.interop import nir_peers
from model.snn.export import load
from model.snn.golden import encode_noise, encode_spikes, run_network
from spikegan import api
from verify.sim import SIMULATORS
from verify.system import run_generator, sim_build

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "nir"
N_IN, HIDDEN, CLASSES, T, VECTORS = 16, 12, 4, 16, 3


def clusters(n: int, seed: int):
    """Inputs in [0, 1]: each class lights its own quarter of the inputs, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = torch.rand(n, N_IN, generator=g) * 0.3
    for k in range(CLASSES):
        x[y == k, k * 4:(k + 1) * 4] += 0.6
    return x.clamp(0, 1), y


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    x, y = clusters(800, 0)
    net = nir_peers.train_classifier(x, y, HIDDEN, T, beta=1 - 2 ** -3, epochs=10, seed=0, lr=1e-2, batch=32)
    path = tmp_path_factory.mktemp("nir") / "classifier.nir"
    nir.write(path, nir_peers.export_snntorch(net, N_IN))
    return net, path


def test_golden_decisions_match_snntorch_s_own(classifier):
    net, path = classifier
    imp = api.load_nir(path, dt=nir_export.DT, reset="subtract", timesteps=T, weight_bits=8, lanes=4)
    assert imp.config.leak_shift == 3 and imp.config.reset == "subtract"
    x, y = clusters(400, 1)
    c = imp.config
    spikes = encode_spikes(encode_noise(x.double().numpy(), c), c)
    golden = run_network(imp.net, spikes).counts[-1].argmax(1)
    theirs = nir_peers.run_snntorch(net, spikes).argmax(1)
    acc_g, acc_s = (golden == y.numpy()).mean(), (theirs == y.numpy()).mean()
    assert acc_s > 0.9  # a trained network, not chance
    assert abs(acc_g - acc_s) <= 0.02 and (golden == theirs).mean() >= 0.95


@pytest.fixture(scope="module")
def manifest(classifier, tmp_path_factory):
    imp = api.load_nir(classifier[1], dt=nir_export.DT, reset="subtract", timesteps=T, weight_bits=8, lanes=4)
    return api.export(imp, tmp_path_factory.mktemp("nir") / "snn", clusters(VECTORS, 2)[0].double().numpy()).path


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_the_imported_classifier_runs_bit_exact_in_rtl(manifest, sim):
    ex = load(manifest)
    images = [{"vector": v, "encode": e} for v in range(VECTORS) for e in (0, 1)]
    result, arrays = run_generator(ex, sim, sim_build(ex, ROOT / sim), images)
    assert not result["error"], result["error"]
    assert len(result["images"]) == len(images)
    for k, im in enumerate(result["images"]):
        assert im["ok"] and im["mse_vs_golden"] == 0.0, im
        gold = run_network(ex.net, ex.vectors[im["vector"]].spikes)
        for l in (1, 2):
            assert np.array_equal(arrays[f"image{k}_spikes{l}"], gold.spikes[l])
        assert gold.counts[2].sum() > 0 and gold.counts[1].sum() > 0  # not vacuous: both layers fire


def test_the_api_builds_rtl_simulates_and_writes_nir(manifest, tmp_path):
    ex = api.load(manifest)
    rtl = api.build_rtl(ex, tmp_path / "rtl", lint=False)
    assert all(p.is_file() for p in rtl.sources + rtl.mem_files) and rtl.mem_files
    inputs = clusters(5, 3)[0].double().numpy()
    result = api.simulate(ex, inputs)
    c = ex.config
    assert np.array_equal(result.counts[-1], run_network(ex.net, encode_spikes(encode_noise(inputs, c), c)).counts[-1])
    back = api.load_nir(api.save_nir(ex, tmp_path / "net.nir"))
    assert back.config == c and back.net.thresholds == ex.net.thresholds


def test_the_api_converts_a_torch_module():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(N_IN, 8), torch.nn.ReLU(), torch.nn.Linear(8, CLASSES))
    imp = api.load_torch(mlp, clusters(200, 4)[0].double().numpy(), timesteps=32, lanes=4)
    assert imp.config.sizes == (N_IN, 8, CLASSES) and imp.source["conversion"]["output"] == "scores"
