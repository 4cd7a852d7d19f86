"""Functional coverage: the golden model's trace of what it passed through, the bins read from it, which bins a
design has, the directed vectors, and the RTL's coverage counters on both simulators."""

from __future__ import annotations

import numpy as np
import pytest

from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import encode_noise, encode_spikes, random_network, run_network
from model.snn.bins import per_image, semantic_bins
from model.snn.closure import candidate_noise, directed_noise
from model.snn.exhaustive import semantic_applicable
from verify.coverage import applicable, rtl_points


def one_neuron(weights, bias=0, threshold=6, reset="zero", membrane_bits=5):
    c = SnnConfig(sizes=(len(weights), 1), timesteps=1, weight_bits=4, membrane_bits=membrane_bits, lanes=1, reset=reset)
    return IntNetwork(c, [np.array([weights])], [np.array([bias])], [threshold])


def test_the_trace_flags_a_saturated_addition_even_when_the_step_ends_inside_the_range():
    net = one_neuron([7, 7, 7, -8], threshold=9)  # 7, 14, 15 (the top of 5 bits), 7
    trace = run_network(net, np.ones((1, 4), dtype=np.uint8), record_membranes=True).traces[1]
    assert trace.integrated_high.tolist() == [[True]] and not trace.integrated_low.any()
    assert trace.biased.tolist() == [[7]]


def test_the_trace_flags_the_bias_saturating_and_records_the_value_compared_with_the_threshold():
    net = one_neuron([-8, -8, -2], bias=-4)  # -8, -16, -16 (saturated); -16 - 4 -> -16
    trace = run_network(net, np.ones((1, 3), dtype=np.uint8), record_membranes=True).traces[1]
    assert trace.integrated_low.all() and trace.biased_low.all() and trace.biased.tolist() == [[-16]]
    # in the last step the saturated membrane is never seen: not a bin
    assert semantic_bins(net, [None, trace]) == {"L1 lane 0 weight saturates low"}
    two_steps = run_network(net, np.ones((2, 3), dtype=np.uint8), record_membranes=True).traces
    assert "L1 lane 0 bias saturates low" in semantic_bins(net, two_steps)


def test_the_weight_saturation_bins_are_per_lane_and_so_is_their_reach():
    """Each lane has its own saturating adder: a vector that saturates lane 0 says nothing of lane 1's."""
    c = SnnConfig(sizes=(3, 2), timesteps=1, weight_bits=4, membrane_bits=5, lanes=2)
    net = IntNetwork(c, [np.array([[7, 7, 7], [1, 1, 1]])], [np.zeros(2, dtype=int)], [15])
    gold = run_network(net, np.ones((1, 3), dtype=np.uint8), record_membranes=True)
    hit = semantic_bins(net, gold.traces)
    assert "L1 lane 0 weight saturates high" in hit and "L1 lane 1 weight saturates high" not in hit
    wanted = semantic_applicable(net)
    assert "L1 lane 0 weight saturates high" in wanted and "L1 lane 1 weight saturates high" not in wanted


def test_the_threshold_bins_are_per_lane():
    c = SnnConfig(sizes=(1, 3), timesteps=1, weight_bits=5, membrane_bits=6, lanes=2)
    net = IntNetwork(c, [np.array([[6], [5], [6]])], [np.zeros(3, dtype=int)], [6])
    gold = run_network(net, np.ones((1, 1), dtype=np.uint8), record_membranes=True)
    hit = semantic_bins(net, gold.traces)
    # neurons 0 and 2 (lane 0) reach theta = 6, neuron 1 (lane 1) stops one below
    assert {"L1 lane 0 at threshold", "L1 lane 1 one below threshold"} <= hit
    assert "L1 lane 1 at threshold" not in hit and "L1 lane 0 one below threshold" not in hit


def test_a_design_has_the_forwarding_bins_only_where_a_group_can_follow_itself():
    c = SnnConfig(sizes=(4, 3, 12), timesteps=4, lanes=4, reset="subtract")
    net = random_network(c, seed=0, bias_scale=2)
    bins = applicable(net)
    assert "L1 forward membrane" in bins and "L1 forward counter" in bins
    assert "L2 forward membrane" not in bins and "L2 forward counter" not in bins  # three words
    assert "L1 lane 3 at threshold" not in bins  # a layer of three neurons has lanes 0..2
    assert {p.name for p in rtl_points(c)} >= {"L1 fire FIFO full", "L2 sweep held by the FIFO"}


def test_bias_saturation_is_a_bin_only_where_it_can_happen_and_upwards_only_for_subtraction():
    def net(reset, bias, membrane_bits=5):
        c = SnnConfig(sizes=(3, 1), timesteps=4, weight_bits=4, membrane_bits=membrane_bits, lanes=1, reset=reset)
        return IntNetwork(c, [np.array([[7, 7, 7]])], [np.array([bias])], [15])

    assert "L1 lane 0 bias saturates high" in applicable(net("subtract", 3))
    assert "L1 lane 0 bias saturates high" not in applicable(net("zero", 3))
    assert "L1 lane 0 bias saturates low" not in applicable(net("subtract", 3))  # no negative weight or bias
    # 12-bit membranes: three weights of 7 a step never reach the top, so the saturation logic is never used
    assert not [b for b in applicable(net("subtract", 3, membrane_bits=12)) if "saturates" in b]


def test_the_reach_bound_holds_on_random_networks():
    """Every saturation the golden model sees on random inputs is one `applicable` allows."""
    for seed in range(20):
        c = SnnConfig(sizes=(6, 5, 4), timesteps=8, weight_bits=5, membrane_bits=7 + seed % 4, lanes=2,
                      reset=("zero", "subtract")[seed % 2])
        net = random_network(c, seed=seed, weight_scale=0.5, bias_scale=4)
        u = candidate_noise(6, 64, np.random.default_rng(seed))
        seen = semantic_bins(net, run_network(net, encode_spikes(encode_noise(u, c), c), record_membranes=True).traces)
        unused = "bias saturates high" if c.reset == "zero" else None  # it fires: the saturated value is unused
        assert {b for b in seen if "saturates" in b and not (unused and b.endswith(unused))} <= set(applicable(net))


def test_directed_vectors_hit_more_bins_than_the_same_number_of_random_ones():
    c = SnnConfig(sizes=(16, 4, 12, 3, 10), timesteps=12, lanes=4, weight_bits=6, membrane_bits=8, reset="subtract")
    net = random_network(c, seed=23, weight_scale=0.4, bias_scale=6)

    def bins(u):
        return semantic_bins(net, run_network(net, encode_spikes(encode_noise(u, c), c), record_membranes=True).traces)

    directed = bins(directed_noise(net, 4, seed=1))
    random = bins(np.random.default_rng(1).random((4, 16)))
    assert len(directed) > len(random)
    pool = candidate_noise(16, 8, np.random.default_rng(0))
    assert pool[0].max() == 0 and pool[1].min() == 1  # a silent and a saturated input are always candidates
    assert per_image(run_network(net, encode_spikes(encode_noise(pool, c), c), record_membranes=True).traces, 1)[1].biased.ndim == 2


@pytest.mark.sim
def test_the_rtl_counters_agree_between_the_simulators_and_see_a_one_word_layer_forward(tmp_path):
    from model.snn.export import load
    from verify.system import random_export, run_generator, sim_build

    c = SnnConfig(sizes=(8, 3, 6), timesteps=6, lanes=4, weight_bits=6, membrane_bits=10, input_bits=4)
    ex = load(random_export(tmp_path / "snn", c, seed=1, vectors=1, weight_scale=0.5))
    images = [{"vector": 0, "encode": 0}]
    counts = {}
    for sim in ("icarus", "verilator"):
        result, _ = run_generator(ex, sim, sim_build(ex, tmp_path / sim, run_lint=True), images, optimize=False)
        assert not result["error"]
        counts[sim] = result["coverage"]
    assert counts["icarus"] == counts["verilator"]
    assert counts["icarus"]["L1 read of a cleared group"] > 0 and counts["icarus"]["L1 forward membrane"] > 0
    assert counts["icarus"]["L2 forward membrane"] == 0  # two words: a group never follows itself


def test_the_output_fifo_is_full_only_where_its_always_ready_consumer_cannot_keep_up():
    from verify.coverage import output_fifo_can_fill

    slow = SnnConfig(sizes=(4, 3, 16), timesteps=4, lanes=2)  # 8 words, a word out every 3 cycles at worst
    assert not output_fifo_can_fill(slow) and "L2 fire FIFO full" not in applicable(random_network(slow, seed=0))
    assert "L1 fire FIFO full" in applicable(random_network(slow, seed=0))  # its consumer is the slow layer 2
    wide = SnnConfig(sizes=(4, 2, 16), timesteps=8, lanes=16)  # one word of 16 spikes: 16 cycles to empty
    assert output_fifo_can_fill(wide)


@pytest.mark.sim
@pytest.mark.parametrize("lanes", [16, 2])
def test_an_output_layer_that_fires_every_step_fills_its_fifo_only_if_one_word_outlasts_a_sweep(tmp_path, lanes):
    """Both sides of `output_fifo_can_fill` on the RTL: 16 output neurons, each biased to fire at every step,
    after a silent input, so its steps come back to back: one word of 16 spikes fills the FIFO; eight words
    of 2 never do."""
    from model.snn.export import export_network, load
    from verify.coverage import output_fifo_can_fill
    from verify.system import run_generator, sim_build

    c = SnnConfig(sizes=(4, 2, 16), timesteps=8, lanes=lanes, weight_bits=4, membrane_bits=8)
    net = IntNetwork(c, [np.zeros((2, 4), dtype=int), np.zeros((16, 2), dtype=int)],
                     [np.zeros(2, dtype=int), np.full(16, 5)], [5, 5])
    ex = load(export_network(net, tmp_path / "snn", np.zeros((1, 4))))
    result, _ = run_generator(ex, "icarus", sim_build(ex, tmp_path / "b"), [{"vector": 0, "encode": 0}], optimize=False)
    assert not result["error"] and result["coverage"]["L2 sweep held by the FIFO"] > 0
    assert (result["coverage"]["L2 fire FIFO full"] > 0) == output_fifo_can_fill(c) == (lanes == 16)


def test_ramp_bins_of_the_membrane_at_the_end_of_its_integrating_window():
    from model.snn.bins import RAMP_BINS, ramp_bins_of

    t, r = 8, 3
    v = np.array([24, 25, 3, 2, 0, -1, 6, 5])
    bins = ramp_bins_of(v, t * r, t)
    assert list(bins) == list(RAMP_BINS)
    np.testing.assert_array_equal(bins["at a step's threshold"], [1, 0, 1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(bins["one below a step's threshold"], [0, 0, 0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(bins["above theta"], [0, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(bins["negative"], [0, 0, 0, 0, 0, 1, 0, 0])
