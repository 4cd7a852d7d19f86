"""The golden model against a per-neuron reference written straight from docs/hardware-semantics.md.

The reference below uses plain Python ints and loops (no numpy, no matmul, no
bound tricks); the golden model must agree with it bit for bit on spike
trains and membranes, over many seeded random small networks.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from model.common.errors import UserError
from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import (
    GoldenResult,
    _integrate_exact,
    encode_noise,
    encode_spikes,
    first_divergence,
    random_network,
    run_network,
    run_noise,
)

# ---------------------------------------------------------------- the reference


def ref_step(s):
    """xorshift32 written with multiplications and floor division instead of shifts."""
    s = s ^ ((s * 8192) % 4294967296)
    s = s ^ (s // 131072)
    s = s ^ ((s * 32) % 4294967296)
    return s


def ref_run(cfg, weights, biases, thresholds, x):
    """One image. Returns (trains[l][t][j] for l = 0..L, membranes[l][t][j] for l = 1..L, saturations)."""
    lo, hi = -(2 ** (cfg.membrane_bits - 1)), 2 ** (cfg.membrane_bits - 1) - 1
    saturations = 0

    def sat(value):
        nonlocal saturations
        if value > hi:
            saturations += 1
            return hi
        if value < lo:
            saturations += 1
            return lo
        return value

    sizes = cfg.sizes
    potentials = [[0] * sizes[l] for l in range(len(sizes))]
    trains = [[] for _ in sizes]
    membranes = [[] for _ in sizes]
    state = cfg.rng_seed
    for _t in range(cfg.timesteps):
        incoming = []
        for i in range(sizes[0]):
            state = ref_step(state)
            r = state // 2 ** (32 - cfg.input_bits)
            incoming.append(1 if x[i] > r else 0)
        trains[0].append(incoming)
        for l in range(1, len(sizes)):
            pot = potentials[l]
            for i in range(sizes[l - 1]):
                if incoming[i] == 1:
                    for j in range(sizes[l]):
                        pot[j] = sat(pot[j] + int(weights[l - 1][j][i]))
            fired = []
            for j in range(sizes[l]):
                pot[j] = sat(pot[j] + int(biases[l - 1][j]))
                spike = 1 if pot[j] >= thresholds[l - 1] else 0
                if spike:
                    pot[j] = 0 if cfg.reset == "zero" else pot[j] - thresholds[l - 1]
                if cfg.leak_shift is not None:
                    pot[j] = pot[j] - pot[j] // 2**cfg.leak_shift
                fired.append(spike)
            trains[l].append(fired)
            membranes[l].append(list(pot))
            incoming = fired
    return trains, membranes, saturations


# ---------------------------------------------------------------- random cases

KINDS = ("random", "wide", "saturate_high", "saturate_low", "zero_input", "max_input", "single")


def make_case(kind, seed):
    """A random small network, config and 3 encoder inputs, of the given kind."""
    rng = random.Random(f"{kind}-{seed}")
    q = rng.randint(2, 8)
    m = 24 if kind == "wide" else q + rng.randint(1, 5)
    depth = rng.randint(1, 4)
    sizes = [1] * (depth + 1) if kind == "single" else [rng.randint(1, 9) for _ in range(depth + 1)]
    cfg = SnnConfig(
        sizes=tuple(sizes),
        timesteps=1 if seed % 5 == 0 else rng.randint(2, 12),
        weight_bits=q,
        membrane_bits=m,
        input_bits=rng.randint(1, 8),
        leak_shift=None if rng.random() < 0.5 else rng.randint(1, m - 1),
        reset=rng.choice(["zero", "subtract"]),
        lanes=rng.randint(1, 5),
        rng_seed=rng.randint(1, 2**32 - 1),
    )
    wlo, whi = cfg.weight_range
    mlo, mhi = cfg.membrane_range
    weights, biases, thresholds = [], [], []
    for l in range(1, len(sizes)):
        shape = (sizes[l], sizes[l - 1])
        if kind == "saturate_high":
            w = [[whi] * shape[1] for _ in range(shape[0])]
            b = [rng.choice([0, mhi]) for _ in range(shape[0])]
            th = rng.choice([mhi, max(1, mhi // 2)])
        elif kind == "saturate_low":
            w = [[wlo] * shape[1] for _ in range(shape[0])]
            b = [rng.choice([0, mlo]) for _ in range(shape[0])]
            th = rng.choice([1, mhi])
        else:
            w = [[rng.randint(wlo, whi) for _ in range(shape[1])] for _ in range(shape[0])]
            b = [rng.randint(mlo, mhi) if rng.random() < 0.2 else rng.randint(wlo, whi) for _ in range(shape[0])]
            th = rng.choice([1, mhi, rng.randint(1, mhi), rng.randint(1, 4 * whi) if 4 * whi <= mhi else 1])
        weights.append(w)
        biases.append(b)
        thresholds.append(th)
    full = 2**cfg.input_bits
    if kind == "zero_input":
        xs = [[0] * sizes[0] for _ in range(3)]
    elif kind in ("max_input", "saturate_high", "saturate_low"):
        xs = [[full] * sizes[0] for _ in range(3)]
    else:
        xs = [[rng.choice([0, full, rng.randint(0, full)]) for _ in range(sizes[0])] for _ in range(3)]
    return cfg, weights, biases, thresholds, xs


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("kind", KINDS)
def test_golden_matches_reference(kind, seed):
    cfg, weights, biases, thresholds, xs = make_case(kind, seed)
    net = IntNetwork(cfg, [np.array(w) for w in weights], [np.array(b) for b in biases], thresholds)
    got = run_noise(net, np.array(xs), record_membranes=True)  # batched over the 3 images
    total_saturations = 0
    for n, x in enumerate(xs):
        trains, membranes, saturations = ref_run(cfg, weights, biases, thresholds, x)
        total_saturations += saturations
        for l in range(len(cfg.sizes)):
            assert got.spikes[l][n].tolist() == trains[l], f"image {n} layer {l} spikes"
            assert got.counts[l][n].tolist() == [sum(col) for col in zip(*trains[l])]
        for l in range(1, len(cfg.sizes)):
            assert got.membranes[l][n].tolist() == membranes[l], f"image {n} layer {l} membranes"
        assert got.image[n].tolist() == [c / cfg.timesteps for c in got.counts[-1][n].tolist()]
    if kind in ("saturate_high", "saturate_low"):
        assert total_saturations > 0  # these cases must exercise the event-by-event path
    if kind == "zero_input":
        assert not got.spikes[0].any()


def test_medium_network_with_saturation_matches_reference():
    """Wider layers, where the bound check splits neurons between the matmul and the replay."""
    cfg = SnnConfig(sizes=(24, 40, 30, 20), timesteps=12, weight_bits=8, membrane_bits=11, input_bits=6, reset="zero")
    net = random_network(cfg, seed=3, weight_scale=0.6, bias_scale=40)
    rng = np.random.default_rng(5)
    xs = rng.integers(0, 2**cfg.input_bits + 1, (2, cfg.sizes[0]))
    got = run_noise(net, xs, record_membranes=True)
    w = [a.tolist() for a in net.weights]
    b = [a.tolist() for a in net.biases]
    saturated = 0
    for n in range(2):
        trains, membranes, saturations = ref_run(cfg, w, b, net.thresholds, xs[n].tolist())
        saturated += saturations
        for l in range(len(cfg.sizes)):
            assert got.spikes[l][n].tolist() == trains[l]
        for l in range(1, len(cfg.sizes)):
            assert got.membranes[l][n].tolist() == membranes[l]
    assert saturated > 0


def test_hand_computed_subtract_and_zero_reset_and_leak():
    """One neuron, weight 5, threshold 8, input always on: traces worked out by hand from the doc."""
    base = dict(sizes=(1, 1), timesteps=6, weight_bits=4, membrane_bits=8, input_bits=1)
    spikes_in = np.ones((6, 1), dtype=np.uint8)

    def run(**kw):
        net = IntNetwork(SnnConfig(**base, **kw), [np.array([[5]])], [np.array([0])], [8])
        r = run_network(net, spikes_in, record_membranes=True)
        return r.spikes[1][:, 0].tolist(), r.membranes[1][:, 0].tolist()

    assert run(reset="subtract") == ([0, 1, 0, 1, 1, 0], [5, 2, 7, 4, 1, 6])
    assert run(reset="zero") == ([0, 1, 0, 1, 0, 1], [5, 0, 5, 0, 5, 0])
    # leak k=1 after reset: 5-2=3; 8 fires -> 0; 5-2=3; ...
    assert run(reset="zero", leak_shift=1) == ([0, 1, 0, 1, 0, 1], [3, 0, 3, 0, 3, 0])


def test_leak_of_negative_membrane_is_floor_shift():
    """V = -1, k = 1: -1 >> 1 = -1, so the leak brings V to 0 (floor, not truncation)."""
    cfg = SnnConfig(sizes=(1, 1), timesteps=2, weight_bits=4, membrane_bits=8, input_bits=1, leak_shift=1)
    net = IntNetwork(cfg, [np.array([[0]])], [np.array([-3])], [1])
    r = run_network(net, np.zeros((2, 1), dtype=np.uint8), record_membranes=True)
    # step 0: -3 - (-3 >> 1 = -2) = -1; step 1: -1 - 3 = -4, -4 - (-2) = -2
    assert r.membranes[1][:, 0].tolist() == [-1, -2]


@pytest.mark.parametrize("seed", range(20))
def test_integrate_exact_equals_sequential_loop(seed):
    """Phase 1 alone, for any mask of pairs to replay that covers the pairs that really saturate."""
    rng = np.random.default_rng(seed)
    lo, hi = -(2**7), 2**7 - 1
    nb, n, n_in = rng.integers(1, 5), rng.integers(1, 9), rng.integers(0, 30)
    v = rng.integers(lo, hi + 1, (nb, n))
    w = rng.integers(-60, 61, (n, n_in))
    s = (rng.random((nb, n_in)) < 0.6).astype(np.uint8)
    expected = np.zeros((nb, n), dtype=np.int64)
    really_saturates = np.zeros((nb, n), dtype=bool)
    for b in range(nb):
        for j in range(n):
            x = int(v[b, j])
            for i in range(n_in):
                if s[b, i]:
                    y = x + int(w[j, i])
                    x = min(max(y, lo), hi)
                    really_saturates[b, j] |= x != y
            expected[b, j] = x
    total = s.astype(np.int64) @ w.T
    for unsafe in (really_saturates, really_saturates | (rng.random((nb, n)) < 0.3), np.ones((nb, n), bool)):
        got = _integrate_exact(v, np.ascontiguousarray(w.T), s, total, unsafe, lo, hi)
        assert got.tolist() == expected.tolist()


def test_batched_equals_single_image_runs():
    cfg = SnnConfig(sizes=(20, 30, 10), timesteps=9, membrane_bits=10, leak_shift=3)
    net = random_network(cfg, seed=1, weight_scale=0.5, bias_scale=20)
    xs = np.random.default_rng(2).integers(0, 257, (4, 20))
    batch = run_noise(net, xs, record_membranes=True)
    for n in range(4):
        one = run_noise(net, xs[n], record_membranes=True)
        for l in range(3):
            assert np.array_equal(batch.spikes[l][n], one.spikes[l])
            assert np.array_equal(batch.counts[l][n], one.counts[l])
        assert np.array_equal(batch.membranes[2][n], one.membranes[2])
        assert np.array_equal(batch.image[n], one.image)


# ---------------------------------------------------------------- encoder


def test_encoder_rates_follow_x_over_2_to_the_r():
    cfg = SnnConfig(sizes=(9, 1), timesteps=8000, input_bits=8)
    x = np.array([0, 1, 16, 64, 128, 192, 250, 255, 256])
    spikes = encode_spikes(x, cfg)
    assert spikes.shape == (8000, 9) and spikes.dtype == np.uint8
    rate = spikes.mean(axis=0)
    p = x / 256
    sigma = np.sqrt(p * (1 - p) / 8000)
    assert np.all(np.abs(rate - p) <= 4 * sigma + 1e-12)
    assert rate[0] == 0 and rate[-1] == 1  # X = 0 never fires, X = 2^R always


def test_encode_noise_rounds_and_clamps():
    cfg = SnnConfig(sizes=(5, 1), input_bits=4)
    u = np.array([0.0, 1.0, 0.5 / 16, 0.49 / 16, 15.6 / 16])
    assert encode_noise(u, cfg).tolist() == [0, 16, 1, 0, 16]
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        encode_noise(np.array([0, 0, 0, 0, -0.1]), cfg)
    with pytest.raises(UserError, match="last axis"):
        encode_noise(np.zeros(4), cfg)
    with pytest.raises(UserError, match="0..2\\^R"):
        encode_spikes(np.array([0, 0, 0, 0, 17]), cfg)


def test_each_image_restarts_the_generator():
    cfg = SnnConfig(sizes=(4, 1), timesteps=5)
    x = np.array([[100, 200, 30, 256], [100, 200, 30, 256]])
    s = encode_spikes(x, cfg)
    assert np.array_equal(s[0], s[1])


# ---------------------------------------------------------------- divergence and input checks


def test_first_divergence_points_at_the_earliest_cause():
    cfg = SnnConfig(sizes=(6, 8, 5), timesteps=10)
    net = random_network(cfg, seed=0, weight_scale=0.5)
    a = run_noise(net, np.full((2, 6), 180))
    assert first_divergence(a, a) is None
    b = GoldenResult([s.copy() for s in a.spikes], a.counts, a.image)
    b.spikes[2][1, 7, 3] ^= 1  # later step, higher layer
    b.spikes[1][0, 4, 6] ^= 1
    b.spikes[2][0, 4, 0] ^= 1  # same step, higher layer: not first
    d = first_divergence(a, b)
    assert (d.step, d.layer, d.neuron, d.image) == (4, 1, 6, 0)
    assert d.expected == a.spikes[1][0, 4, 6] and d.actual == 1 - d.expected
    assert "step 4, layer 1, neuron 6" in str(d)
    # only the output layer captured, unbatched
    only_out = [None, None, b.spikes[2][1]]
    d = first_divergence([None, None, a.spikes[2][1]], only_out)
    assert (d.step, d.layer, d.neuron, d.image) == (7, 2, 3, None)
    with pytest.raises(UserError, match="cannot be compared"):
        first_divergence([a.spikes[0]], [a.spikes[0][:, :1]])


def test_run_network_rejects_bad_input():
    cfg = SnnConfig(sizes=(3, 2), timesteps=4)
    net = random_network(cfg)
    with pytest.raises(UserError, match="shape"):
        run_network(net, np.zeros((4, 5), dtype=np.uint8))
    with pytest.raises(UserError, match="0 or 1"):
        run_network(net, np.full((4, 3), 2, dtype=np.uint8))


def test_chunked_batches_equal_one_batch(monkeypatch):
    import model.snn.golden as golden

    cfg = SnnConfig(sizes=(12, 16, 8), timesteps=5, membrane_bits=11)
    net = random_network(cfg, seed=2, weight_scale=0.5, bias_scale=30)
    xs = np.random.default_rng(3).integers(0, 257, (7, 12))
    whole = run_noise(net, xs, record_membranes=True)
    monkeypatch.setattr(golden, "_BATCH_ELEMENTS", 2 * 5 * 16)  # chunks of 2 images
    parts = run_noise(net, xs, record_membranes=True)
    for l in range(3):
        assert np.array_equal(whole.spikes[l], parts.spikes[l])
    assert np.array_equal(whole.membranes[2], parts.membranes[2])
    assert np.array_equal(whole.image, parts.image)


def test_an_image_of_a_batched_run_equals_its_run_alone():
    from model.snn.config import SnnConfig
    from model.snn.golden import random_network, run_network

    c = SnnConfig(sizes=(5, 4, 3), timesteps=6, lanes=2, weight_bits=5, membrane_bits=9, input_bits=4)
    net = random_network(c, seed=2, weight_scale=0.5, bias_scale=3)
    spikes = (np.random.default_rng(2).random((3, 6, 5)) < 0.5).astype(np.uint8)
    batch = run_network(net, spikes, record_membranes=True)
    alone = run_network(net, spikes[1], record_membranes=True)
    one = batch.image_result(1)
    for l in range(c.layers + 1):
        assert np.array_equal(one.spikes[l], alone.spikes[l]) and np.array_equal(one.counts[l], alone.counts[l])
    assert np.array_equal(one.image, alone.image)
    assert all(np.array_equal(a.membranes, b.membranes) and np.array_equal(a.biased_low, b.biased_low)
               for a, b in zip(one.traces[1:], alone.traces[1:]))


def test_the_stratified_code_has_exact_rates_at_powers_of_two_and_wraps_after_two_to_the_r():
    from model.snn.config import SnnConfig
    from model.snn.golden import encode_spikes, stratified_thresholds

    c = SnnConfig(sizes=(17, 2), timesteps=32, input_bits=5, coding="stratified")
    assert stratified_thresholds(c)[:8, 0].tolist() == [0, 16, 8, 24, 4, 20, 12, 28]
    x = np.arange(33)[None, :17] * 2  # 0 .. 32 = 2^R
    for t in (1, 2, 4, 8, 16, 32):
        counts = encode_spikes(x, c, timesteps=t).sum(axis=-2)
        assert np.array_equal(counts, -(-x * t // 32))  # ceil(X T / 2^R): the rate, no coding noise
    long = encode_spikes(x, c, timesteps=64)
    assert np.array_equal(long[..., 32:, :], long[..., :32, :])  # the thresholds repeat every 2^R steps
