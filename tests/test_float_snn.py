"""The float SNN simulator: the semantics doc's order of operations, and its exact integer mode == golden model."""

import numpy as np
import pytest
import torch

from model.common.errors import UserError
from model.snn.config import SnnConfig
from model.snn.float_snn import SnnParams, from_int_network, neuron_step, simulate
from model.snn.golden import encode_noise, encode_spikes, random_network, run_network


def _one_neuron(bias, theta, reset="subtract", leak=None, integer=False):
    w = torch.zeros(1, 1, dtype=torch.float64)
    b = torch.tensor([float(bias)], dtype=torch.float64)
    return SnnParams([w], [b], [float(theta)], reset, leak, integer, 24 if integer else None)


def test_neuron_step_order_integrate_bias_fire_reset_leak():
    p = _one_neuron(bias=3, theta=10, reset="subtract", leak=2, integer=True)
    v = torch.tensor([4.0], dtype=torch.float64)
    s, v = neuron_step(torch.tensor([5.0], dtype=torch.float64), v, p.biases[0], 10.0, p.rule)
    # 4 + 5 + 3 = 12 >= 10: fire, 12 - 10 = 2, leak 2 - (2 >> 2) = 2
    assert s.item() == 1 and v.item() == 2
    s, v = neuron_step(torch.tensor([-9.0], dtype=torch.float64), v, p.biases[0], 10.0, p.rule)
    # 2 - 9 + 3 = -4: no spike; leak -4 - floor(-4 / 4) = -3
    assert s.item() == 0 and v.item() == -3


def test_float_leak_is_exact_multiplication_and_reset_to_zero():
    p = _one_neuron(bias=0.5, theta=1.0, reset="zero", leak=1)
    v = torch.tensor([0.25], dtype=torch.float64)
    s, v = neuron_step(torch.tensor([0.5], dtype=torch.float64), v, p.biases[0], 1.0, p.rule)
    assert s.item() == 1 and v.item() == 0.0
    s, v = neuron_step(torch.tensor([0.25], dtype=torch.float64), v, p.biases[0], 1.0, p.rule)
    assert s.item() == 0 and v.item() == pytest.approx(0.75 - 0.375)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("leak", [None, 1, 3])
def test_integer_mode_equals_golden(reset, leak):
    active = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        sizes = tuple(int(x) for x in rng.integers(1, 24, size=int(rng.integers(2, 5))))
        bits = (4, 8, 12, 6)[seed]  # <= 8 bits: the int8 product; 12: the float product
        cfg = SnnConfig(sizes=sizes, timesteps=int(rng.integers(1, 40)), reset=reset, leak_shift=leak, weight_bits=bits)
        net = random_network(cfg, seed=seed, weight_scale=0.4, bias_scale=6)
        u = rng.random((5, sizes[0]))
        u[0] = 0.0  # silent input
        u[1] = 1.0  # maximal input
        spikes = encode_spikes(encode_noise(u, cfg), cfg)
        gold = run_network(net, spikes)
        fast = simulate(from_int_network(net), spikes, record_output=True, batch_size=2)
        for g, f in zip(gold.counts, fast.counts):
            np.testing.assert_array_equal(g, f.numpy().astype(np.int64))
        np.testing.assert_array_equal(gold.spikes[-1], fast.out_spikes.numpy())
        np.testing.assert_allclose(gold.image, fast.image.numpy(), rtol=0, atol=1e-7)
        active += sum(int(c.sum()) for c in gold.counts[1:])
    assert active > 0  # the cases are not all silent


def test_integer_mode_refuses_when_saturation_is_possible():
    cfg = SnnConfig(sizes=(8, 4), timesteps=50, weight_bits=8, membrane_bits=10)
    net = random_network(cfg, seed=1, weight_scale=1.0)
    net.biases[0][:] = 0
    net.weights[0][:] = 100  # 8 inputs x 100 > 2^9: a step may saturate
    net.thresholds[0] = 511
    spikes = np.ones((1, 50, 8), dtype=np.uint8)
    with pytest.raises(UserError, match="saturate"):
        simulate(from_int_network(net), spikes)


def test_synaptic_ops_and_rates():
    w1 = torch.ones(3, 2)
    w2 = torch.ones(4, 3)
    p = SnnParams([w1, w2], [torch.zeros(3), torch.zeros(4)], [1.0, 10.0])
    spikes = torch.zeros(1, 5, 2)
    spikes[0, :, 0] = 1  # input 0 fires every step, input 1 never
    r = simulate(p, spikes)
    # layer 1: each neuron gets 1 per step -> fires every step (5 each); layer 2 gets 3 per step
    assert [c.tolist() for c in r.counts[:2]] == [[[5.0, 0.0]], [[5.0, 5.0, 5.0]]]
    assert r.counts[2].tolist() == [[1.0] * 4]  # 15 over 5 steps, threshold 10, subtract: one spike
    assert r.synaptic_ops().tolist() == [5 * 3 + 15 * 4]
    assert [o.tolist() for o in r.synaptic_ops_into()] == [[5 * 3], [15 * 4]]  # into layer 1, into layer 2
    assert r.mean_rates() == [2.5, 5.0, 1.0]


def test_bad_input_shape():
    p = SnnParams([torch.ones(2, 3)], [torch.zeros(2)], [1.0])
    with pytest.raises(UserError, match="shape"):
        simulate(p, torch.zeros(1, 4, 2))
    with pytest.raises(UserError, match="reset"):
        SnnParams([torch.ones(2, 3)], [torch.zeros(2)], [1.0], reset="hold")
