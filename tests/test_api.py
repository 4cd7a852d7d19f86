"""The Python API on exports of every input coding: `api.simulate` is the golden model's own entry point."""

import numpy as np
import pytest

from model.snn.config import CODINGS, TTFS, SnnConfig
from model.snn.export import export_network
from model.snn.golden import encode_noise, random_network, run_noise
from spikegan import api


@pytest.mark.parametrize("coding", CODINGS)
def test_simulate_runs_every_coding_as_the_golden_model_does(coding, tmp_path):
    fields = TTFS if coding == "ttfs" else {"coding": coding}
    config = SnnConfig(sizes=(6, 5, 4), timesteps=16, lanes=2, **fields)
    net = random_network(config, seed=1, weight_scale=0.5, bias_scale=0 if coding == "ttfs" else 3)
    noise = np.random.default_rng(0).random((3, 6))
    export = api.load(export_network(net, tmp_path / "snn", noise[:1]))
    result = api.simulate(export, noise)
    expected = run_noise(export.net, encode_noise(noise, config))
    assert np.array_equal(result.counts[-1], expected.counts[-1])
    assert all(np.array_equal(a, b) for a, b in zip(result.spikes, expected.spikes))
