"""Coverage closure per export: the sound bounds, the distances a search follows, the directed vectors the
exporter adds and `spikegan verify` runs, and the single-lane threshold faults they catch on both simulators."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.common.errors import UserError
from model.snn import ramp
from model.snn.bins import distances, per_image, ramp_ranges, semantic_bins, subset_sums, universe
from model.snn.closure import candidate_noise, close, subset_with_sum
from model.snn.exhaustive import semantic_applicable
from model.snn.config import SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import encode_noise, random_network, run_noise

RAMP_NET = SnnConfig(sizes=(12, 6, 10), timesteps=8, lanes=2, weight_bits=6, membrane_bits=16, neuron="ramp",
                     coding="ttfs", reset="floor")
LIF_NET = SnnConfig(sizes=(12, 6, 10), timesteps=8, lanes=2, weight_bits=6, membrane_bits=16, reset="subtract")


def _ramp(seed=0):
    return ramp.random_network(RAMP_NET, seed=seed, weight_scale=0.6, bias_scale=0.5)


def _lif(seed=0):
    return random_network(LIF_NET, seed=seed, weight_scale=0.5, bias_scale=3)


@pytest.mark.parametrize("make", [_ramp, _lif])
def test_a_distance_is_zero_exactly_where_the_golden_run_hits_the_bin(make):
    net = make()
    x = encode_noise(candidate_noise(12, 32, np.random.default_rng(1)), net.config)
    d = distances(net, x)
    gold = run_noise(net, x, record_membranes=True)
    names = universe(net.config)
    for k in range(len(x)):
        assert {n for n, z in zip(names, d[k] == 0) if z} == semantic_bins(net, per_image(gold.traces, k))
    assert (d >= 0).all()


def test_the_ramp_bound_holds_every_membrane_random_inputs_reach():
    for seed in range(10):
        net = _ramp(seed)
        x = encode_noise(candidate_noise(12, 64, np.random.default_rng(seed)), net.config)
        for (lo, hi), v in zip(ramp_ranges(net), ramp.membranes(net, x)):
            assert (lo <= v).all() and (v <= hi).all()


def test_a_ramp_bin_outside_the_bound_is_proven_unreachable():
    net = _ramp()
    net.biases[1][:] = -(1 << 14)  # layer 2 far below zero: it never fires, its membranes are never at a threshold
    wanted = set(semantic_applicable(net))
    assert "L2 lane 0 at a step's threshold" not in wanted and "L2 lane 0 negative" in wanted
    found = close(net)
    assert "L2 lane 0 at a step's threshold" in found.unreachable and not found.missed


@pytest.mark.parametrize("make", [_ramp, _lif])
def test_the_exporter_adds_directed_vectors_that_hit_every_bin_not_proven_unreachable(make, tmp_path):
    net = make()
    ex = load(export_network(net, tmp_path / "snn", np.zeros((1, 12))))
    record = ex.manifest["directed"]["coverage"]
    assert len(ex.directed) == record["vectors"] >= 1
    gold = run_noise(net, ex.directed, record_membranes=True)
    hit = semantic_bins(net, gold.traces)
    assert record["hit"] == len(hit & set(semantic_applicable(net))) == record["reachable"] - len(record["missed"])
    assert record["proven_unreachable"] == len(universe(net.config)) - len(semantic_applicable(net))
    if make is _ramp:
        assert not record["missed"] and hit >= set(semantic_applicable(net))


def test_a_corrupt_directed_entry_is_refused_with_how_to_export_again(tmp_path):
    path = export_network(_ramp(), tmp_path / "snn", np.zeros((1, 12)))
    manifest = json.loads(path.read_text())
    manifest["directed"]["coverage"]["vectors"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="directed_noise.mem.*re-export"):
        load(path)


def test_an_export_without_directed_vectors_loads_with_none(tmp_path):
    ex = load(export_network(_ramp(), tmp_path / "snn", np.zeros((1, 12)), directed=False))
    assert ex.directed.shape == (0, 12) and "directed" not in ex.manifest


def test_subset_sums_and_a_subset_with_a_sum_agree_with_every_subset():
    import itertools

    rng = np.random.default_rng(0)
    for _ in range(200):
        w = rng.integers(-9, 10, rng.integers(0, 7))
        sums = {sum(c) for r in range(len(w) + 1) for c in itertools.combinations(w.tolist(), r)}
        bits, offset = subset_sums(w)
        for target in range(-60, 61):
            mask = subset_with_sum(w, target)
            assert (mask is not None) == (target in sums) == bool(target >= offset and (bits >> (target - offset)) & 1)
            assert mask is None or w[mask].sum() == target


def test_a_ttfs_threshold_no_subset_of_weights_reaches_is_proven_unreachable_and_one_that_is_solved():
    """Lane 0's neuron has even weights and an odd threshold: never at it, though its interval holds it. Lane 1's
    neuron reaches theta - 1 only with three inputs spiking together (10 + 9 - 7)."""
    config = SnnConfig(sizes=(6, 2, 3), timesteps=4, lanes=2, weight_bits=6, membrane_bits=22, neuron="ttfs",
                       coding="ttfs", reset="floor", leak_shift=None)
    net = random_network(config, seed=0, weight_scale=0.5)
    net.weights[0][0] = [4, 4, 8, -6, 2, 2]
    net.weights[0][1] = [10, 9, -7, 13, 20, 30]
    net.thresholds[0] = 13
    wanted = set(semantic_applicable(net))
    assert "L1 lane 0 at threshold" not in wanted and "L1 lane 0 one below threshold" in wanted
    found = close(net)
    net.validate()
    assert {"L1 lane 1 at threshold", "L1 lane 1 one below threshold"} <= set(found.hit)
    assert "L1 lane 0 at threshold" in found.unreachable
    assert not [b for b in found.missed if b.startswith("L1")]


@pytest.mark.parametrize("make", [_ramp, _lif])
def test_every_single_lane_threshold_fault_edits_one_comparator_of_the_generated_verilog(make, tmp_path):
    from hw.build import build
    from verify.faults import KINDS, as_mutant, faults_of

    ex = load(export_network(make(), tmp_path / "snn", np.zeros((1, 12)), directed=False))
    verilog = build(ex, tmp_path / "rtl", run_lint=False).sources[-1].read_text()
    faults = faults_of(ex)
    assert len(faults) == len(KINDS) * sum(min(2, n) for n in ex.config.sizes[1:])
    edits = [as_mutant(verilog, ex, f, i) for i, f in enumerate(faults)]
    assert all(m.before != m.after for m in edits)
    assert len({(m.line, m.after) for m in edits}) == len(edits)  # each its own lane's comparator, each its own way


@pytest.mark.sim
@pytest.mark.parametrize("make, sim", [(_ramp, "verilator"), (_lif, "icarus")])
def test_the_exports_own_vectors_catch_single_lane_threshold_faults(make, sim, tmp_path):
    """A sample of the faults, each through the simulation, on an export whose directed vectors close its
    coverage; the run checks first that the design without faults passes them."""
    from verify.faults import fault_run

    path = export_network(make(), tmp_path / "snn", np.random.default_rng(0).random((1, 12)))
    assert not load(path).manifest["directed"]["coverage"]["missed"]
    sample = 1 if sim == "verilator" else 3  # each fault is a build of its own
    faults = fault_run(path, sim, 1, tmp_path / "faults", sample=sample, seed=1, build_root=tmp_path / "f")
    assert faults["faults"] == sample and faults["caught"] == sample, faults["escaped"]
    assert (tmp_path / "faults" / "faults.md").is_file()  # what the docs' faults block reads (`spikegan.pages`)


def test_a_network_of_few_inputs_is_decided_by_running_every_one():
    """Where every encoder input can be run (`model.snn.exhaustive`), the reachable bins are exactly those some
    input's golden run hits: the bound leaves them all, and the rest are proven unreachable, also some the bound
    leaves; the closure then hits every one."""
    from model.snn.bins import bound_applicable
    from model.snn.exhaustive import every_input, exhaustible, input_count
    from model.snn.golden import run_noise
    from verify.regress import case_network, draw

    decided = tighter = 0
    for seed in range(100):
        config = draw(seed)
        if not exhaustible(config) or input_count(config) > 5000:
            continue
        try:
            net = case_network(config, seed, np.random.default_rng(seed))
        except UserError:
            continue
        reached = semantic_bins(net, run_noise(net, every_input(config), record_membranes=True).traces)
        bound = set(bound_applicable(net))
        assert reached <= bound and set(semantic_applicable(net)) == reached, seed
        assert not close(net, seed).missed, seed
        decided, tighter = decided + 1, tighter + (bound != reached)
    assert decided >= 5 and tighter >= 2, (decided, tighter)


@pytest.mark.parametrize("seed", range(20))
def test_direct_currents_are_every_weighted_sum_of_the_levels(seed):
    """`direct_currents` holds exactly the currents ``b + w . x`` some levels ``x`` in ``0 .. L`` make."""
    import itertools

    from model.snn.exhaustive import direct_currents

    rng = np.random.default_rng(seed)
    w, b, levels = rng.integers(-9, 10, int(rng.integers(1, 4))), int(rng.integers(-20, 20)), int(rng.integers(1, 6))
    bits, offset = direct_currents(w, b, levels)
    made = {b + int(np.dot(w, x)) for x in itertools.product(range(levels + 1), repeat=len(w))}
    assert {offset + k for k in range(bits.bit_length()) if bits >> k & 1} == made


def test_a_direct_coded_layer_one_is_decided_by_its_currents():
    """Layer 1 of a direct-coded network reaches exactly the bins some current it can be given reaches
    (`model.snn.exhaustive.direct_layer_one`): on networks few enough inputs to run every one, the same bins as
    running them, and fewer than the bound leaves on most."""
    from model.snn.bins import bound_applicable
    from model.snn.exhaustive import direct_layer_one, every_input, exhaustible, input_count
    from model.snn.golden import run_noise
    from verify.regress import case_network, draw

    decided = tighter = 0
    for seed in range(400):
        config = draw(seed)
        if config.coding != "direct" or not exhaustible(config) or input_count(config) > 5000:
            continue
        net = case_network(config, seed, np.random.default_rng(seed))
        reached = semantic_bins(net, run_noise(net, every_input(config), record_membranes=True).traces)
        layer_one = {b for b in reached if b.startswith("L1 ")}
        assert direct_layer_one(net) == layer_one, seed
        decided += 1
        tighter += layer_one != {b for b in bound_applicable(net) if b.startswith("L1 ")}
    assert decided >= 5 and tighter >= 3, (decided, tighter)


def test_every_input_counts_through_the_levels_in_order():
    """`every_input` lists each encoder input once, the last input changing fastest."""
    import itertools

    from model.snn.exhaustive import every_input

    config = SnnConfig(sizes=(3, 2), timesteps=4, weight_bits=4, membrane_bits=10, input_bits=2)
    assert every_input(config).tolist() == [list(x) for x in itertools.product(range(5), repeat=3)]


def test_a_ramp_network_is_exhausted_at_one_update_per_neuron():
    """A ramp neuron is evaluated once per input (its membrane at the end of its window), a TTFS LIF neuron at
    every step: on the same 10^6 spike-time inputs, the ramp network is run through every one and the LIF one not."""
    from model.snn.config import RAMP, TTFS
    from model.snn.exhaustive import exhaustible, image_work, input_count

    shape = dict(sizes=(6, 4, 9, 16), timesteps=9, weight_bits=4, membrane_bits=20, input_bits=4)
    ramp_net, lif = SnnConfig(**shape, **RAMP), SnnConfig(**shape, **TTFS)
    assert input_count(ramp_net) == input_count(lif) == 10**6
    assert image_work(ramp_net) == 29 and image_work(lif) == 29 * 9
    assert exhaustible(ramp_net) and not exhaustible(lif)


def test_the_layers_after_a_narrow_one_are_bounded_by_every_train_it_could_send():
    """`above_narrow_layer` holds every bin after a narrow layer that some input reaches: on networks few enough
    inputs to run every one, and on a sample of inputs of two regression designs whose bins the bound leaves and
    no input reaches (design 98: a TTFS layer of 3 neurons; design 30: a rate layer of 2 neurons over 8 steps)."""
    from model.snn.bins import bound_applicable
    from model.snn.exhaustive import above_narrow_layer, every_input, exhaustible, input_count
    from model.snn.golden import run_noise
    from verify.regress import case_network, draw

    def after(bins, layer):
        return {b for b in bins if int(b.split()[0][1:]) > layer}

    checked = 0
    for seed in range(300):
        config = draw(seed)
        if config.neuron == "ramp" or not exhaustible(config) or input_count(config) > 5000:
            continue
        net = case_network(config, seed, np.random.default_rng(seed))
        reached = semantic_bins(net, run_noise(net, every_input(config), record_membranes=True).traces)
        for layer in range(1, config.layers):
            above = above_narrow_layer(net, layer)
            if above is not None:
                assert after(reached, layer) <= above, (seed, layer)
                checked += 1
    assert checked >= 4
    for seed, layer in ((98, 1), (30, 1)):
        net = case_network(draw(seed), seed, np.random.default_rng(seed))
        above = above_narrow_layer(net, layer)
        u = candidate_noise(net.config.sizes[0], 512, np.random.default_rng(0))
        reached = semantic_bins(net, run_noise(net, encode_noise(u, net.config), record_membranes=True).traces)
        assert after(reached, layer) <= above
        assert after(bound_applicable(net), layer) - above, seed


def test_a_narrow_layer_s_trains_are_every_one_it_could_send():
    """A TTFS layer's trains: each neuron once at one step or never; a rate layer's: every raster."""
    from model.snn.config import TTFS
    from model.snn.exhaustive import narrow_layer_trains, train_count

    ttfs = SnnConfig(sizes=(2, 2, 3), timesteps=3, weight_bits=4, membrane_bits=20, input_bits=2, **TTFS)
    rate = SnnConfig(sizes=(2, 2, 3), timesteps=3, weight_bits=4, membrane_bits=10, input_bits=2)
    for config, count in ((ttfs, 16), (rate, 64)):
        trains = narrow_layer_trains(config, 1, np.arange(train_count(config, 1)))
        assert train_count(config, 1) == count == len({x.tobytes() for x in trains})
    assert (narrow_layer_trains(ttfs, 1, np.arange(16)).sum(axis=1) <= 1).all()
