"""The random regression: every drawn case is a network the project supports, the draw is reproducible,
the coverage bins read what happened, and a small run on Dask passes on both simulators."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.snn.config import SnnConfig
from model.snn.golden import encode_noise, encode_spikes, random_network, run_network
from verify.regress import BINS, CONFIG_BINS, bins_of, case_network, config_bins, covering_cases, draw, regress


def test_every_drawn_case_is_a_valid_configuration_and_the_draw_is_reproducible():
    configs = [draw(seed) for seed in range(300)]
    assert configs == [draw(seed) for seed in range(300)]
    assert {c.neuron for c in configs} == {"rate", "ttfs", "ramp"} and {c.reset for c in configs} == {"zero", "subtract", "floor"}
    assert {c.layers for c in configs} == {1, 2, 3} and any(c.max_groups == 1 for c in configs)
    assert any(c.lanes == 1 for c in configs) and any(c.leak_shift for c in configs)
    assert any(c.sizes[0] == 1 for c in configs)  # a single input: the encoder's one-bit words
    assert {c.coding for c in configs} == {"bernoulli", "stratified", "direct", "ttfs"}


def test_every_drawn_ttfs_and_direct_case_makes_a_network():
    """No case of the codings and neurons with constraints of their own (no bias; room for the current; room
    for the ramp's reach) is skipped."""
    seeds = [s for s in range(100) if draw(s).coding in ("ttfs", "direct")]
    assert len(seeds) > 20
    for s in seeds:
        case_network(draw(s), s, np.random.default_rng(s))


def test_a_few_covering_cases_hit_every_bin_a_configuration_can_hit():
    seeds = covering_cases(6, 0)
    assert len(seeds) == 6 and seeds == covering_cases(6, 0)
    by_config = set().union(*(config_bins(draw(s)) for s in range(200)))
    assert set().union(*(config_bins(draw(s)) for s in seeds)) == by_config
    assert "one input (N_0 = 1)" in by_config and by_config <= set(CONFIG_BINS)


def test_the_bins_read_the_configuration_and_the_run():
    c = SnnConfig(sizes=(6, 5), timesteps=8, weight_bits=3, membrane_bits=5, lanes=1, reset="zero")
    net = random_network(c, seed=0, weight_scale=0.6, bias_scale=1)
    u = np.zeros((1, 6))
    gold = run_network(net, encode_spikes(encode_noise(u, c), c), record_membranes=True)
    hit = bins_of(c, gold)
    assert {"reset zero", "depth 1", "P = 1", "narrow weights (q <= 3)", "an empty time step", "leak none"} <= hit
    assert hit <= set(BINS)


@pytest.mark.sim
@pytest.mark.slow
def test_a_small_regression_passes_on_both_simulators(tmp_path):
    report = regress(2, 0, ("icarus", "verilator"), tmp_path / "report", root=tmp_path / "builds", workers=2)
    assert report["cases"] == 2 and report["passed"] + report["skipped"] == 2 and not report["failed"]
    saved = json.loads((tmp_path / "report" / "regress.json").read_text())
    assert saved["bins"] == len(BINS) and saved["bins_hit"] >= 5
    assert saved["semantic_closed"] == 2 and all(r["semantic_missed"] == [] for r in saved["rows"])  # closure per case


@pytest.mark.sim
def test_a_passing_case_leaves_no_build_folder_unless_asked(tmp_path):
    from verify.regress import run_case

    row = run_case(3, ("icarus",), str(tmp_path))
    assert row["verdict"] == "pass" and not (tmp_path / "case3").exists()
    assert run_case(3, ("icarus",), str(tmp_path), keep=True)["verdict"] == "pass" and (tmp_path / "case3").exists()
