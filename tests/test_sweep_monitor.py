"""The sweep monitor (`verify.sweep_monitor`): every membrane after every step, checked against the golden model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from model.snn.config import TTFS, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import random_network, run_network
from model.snn.layout import pack_lanes
from verify.mutate import Mutant, mutant_build
from verify.sim import SIMULATORS
from verify.sweep_monitor import check_sweeps
from verify.system import run_generator, sim_build

CONFIG = SnnConfig(sizes=(6, 5, 3), timesteps=6, lanes=2, weight_bits=6, membrane_bits=10, input_bits=4)


def _rows(config, membranes, start=10):
    """The lines the monitor would write for ``membranes`` (per layer ``(T, N)``), one cycle per group."""
    rows = {}
    for l in range(1, config.layers + 1):
        G, P = config.groups(l), config.lanes
        padded = np.zeros((config.timesteps, G * P), dtype=np.int64)
        padded[:, : config.sizes[l]] = membranes[l]
        words = pack_lanes(padded.reshape(-1, P), config.membrane_bits)
        rows[l] = [(start + k, k % G, w) for k, w in enumerate(words)]
    return rows


def _golden(config=CONFIG, seed=0):
    net = random_network(config, seed=seed, weight_scale=0.5, bias_scale=3)
    spikes = (np.random.default_rng(seed).random((config.timesteps, config.sizes[0])) < 0.5).astype(np.uint8)
    return run_network(net, spikes, record_membranes=True)


def test_the_golden_membranes_pass_and_each_step_end_is_the_cycle_of_its_last_group():
    gold = _golden()
    problem, ends = check_sweeps(CONFIG, gold, _rows(CONFIG, gold.membranes))
    assert problem is None
    G1 = CONFIG.groups(1)
    assert ends[1] == [10 + t * G1 + G1 - 1 for t in range(CONFIG.timesteps)]


def test_one_membrane_off_by_one_is_named_by_layer_neuron_and_step():
    gold = _golden()
    bad = [m if m is None else m.copy() for m in gold.membranes]
    bad[2][4, 1] += 1
    problem, _ = check_sweeps(CONFIG, gold, _rows(CONFIG, bad))
    assert problem.startswith("layer 2's membrane of neuron 1 after step 4 is")
    assert f"{gold.membranes[2][4, 1]} in the golden model" in problem


def test_a_missing_a_misordered_and_an_unknown_group_are_named():
    gold = _golden()
    rows = _rows(CONFIG, gold.membranes)
    short = {**rows, 1: rows[1][:-1]}
    assert "layer 1 swept 17 groups in the image, not S x G = 6 x 3 = 18" in check_sweeps(CONFIG, gold, short)[0]
    swapped = {**rows, 1: [rows[1][1], rows[1][0], *rows[1][2:]]}
    assert "layer 1's sweep of step 0 wrote group 1 where group 0 was due" in check_sweeps(CONFIG, gold, swapped)[0]
    unknown = {**rows, 2: [*rows[2][:3], (0, 1, None), *rows[2][4:]]}
    assert "layer 2's sweep of step 1 wrote unknown (x/z) bits in group 1" in check_sweeps(CONFIG, gold, unknown)[0]


def test_a_ttfs_layer_is_expected_to_sweep_only_at_steps_with_input_events():
    config = SnnConfig(sizes=(6, 5, 3), timesteps=6, lanes=2, weight_bits=6, membrane_bits=10, input_bits=4, **TTFS)
    spikes = np.zeros((6, 6), dtype=np.uint8)
    spikes[1, 0] = spikes[4, 3] = 1
    gold = run_network(random_network(config, seed=2, weight_scale=0.5), spikes, record_membranes=True)
    swept = {l: [t for t in range(6) if gold.spikes[l - 1][t].any()] for l in (1, 2)}
    rows = _rows(config, gold.membranes)
    rows = {l: [r for k, r in enumerate(rows[l]) if k // config.groups(l) in swept[l]] for l in rows}
    problem, ends = check_sweeps(config, gold, rows)
    assert problem is None and len(ends[1]) == 2
    every = _rows(config, gold.membranes)
    assert "layer 1 swept 18 groups in the image, not S x G = 2 x 3 = 6" in check_sweeps(config, gold, every)[0]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_a_fault_that_changes_membranes_and_no_spike_is_caught(sim, tmp_path):
    """The output layer's threshold is out of the membranes' reach, so it never fires; a fault in its
    integration (lane 0 subtracts its weights) changes its membranes and no spike or count."""
    net = random_network(CONFIG, seed=1, weight_scale=0.4)
    net = dataclasses.replace(net, thresholds=[net.thresholds[0], CONFIG.membrane_range[1]])
    manifest = export_network(net, tmp_path / "snn", np.random.default_rng(0).random((1, 6)))
    export = load(manifest)
    images = [{"vector": 0, "encode": 0}]
    base = sim_build(export, tmp_path / "base")
    result, _ = run_generator(export, sim, base, images, optimize=False)
    assert not result["error"] and result["images"][0]["sweep_ends"]["2"]
    gold = run_network(net, export.vectors[0].spikes)
    assert gold.counts[2].sum() == 0 and gold.counts[1].sum() > 0

    verilog = base.rtl.sources[-1].read_text().splitlines()
    add = "$signed(\\layer2.r_v [9:0]) + $signed(\\layer2.r_w [5:0])"
    line = next(n for n, t in enumerate(verilog, start=1) if t.lstrip().startswith("assign") and add in t)
    before = verilog[line - 1]
    mutant = Mutant(0, "arithmetic", line, before, before.replace(" + ", " - "))
    bad, _ = run_generator(export, sim, mutant_build(base, mutant, tmp_path / "mutant"), images, optimize=False)
    image = bad["images"][0]
    assert image["mismatched_neurons"] == [0, 0] and set(image["mismatched_spikes"].values()) == {0}
    assert not image["ok"] and "layer 2's membrane of neuron" in image["first_divergence"]["text"]
    assert bad["error"]


def test_every_generator_build_carries_the_probes(tmp_path):
    from verify.system import random_export

    export = load(random_export(tmp_path / "snn", dataclasses.replace(CONFIG, lanes=1), seed=1, vectors=1))
    build = sim_build(export, tmp_path / "b")
    assert [p.layer for p in build.sweeps] == [1, 2]
    assert "$fwrite(sweep_fd" in Path(build.wrapper).read_text()
