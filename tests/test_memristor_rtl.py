# amaranth: UnusedElaboratable=no
"""Amaranth blocks of the memristor GAN in Amaranth's own simulator (no HDL tools
needed): LIF, Eq. 3, the crossbar layer with on-chip learning and the top,
each bit-exact with ``model.memristor.fixed``."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.memristor.crossbar import CrossbarLayer
from hw.memristor.neuron import LifNeuron, RewardBackprop
from hw.memristor.synapse import Mode, PreTrace
from hw.memristor.top import MemristorGanTop
from model.common.errors import UserError
from model.memristor.data import encode_noise, mix_seed, pack_words
from model.memristor.fixed import FixedGan, build_spec, run_layer
from model.memristor.gan import small_params
from model.snn.xorshift import Xorshift32

P = small_params()
SPEC = build_spec(P)
HW_MODE = {1: Mode.REWARD, -1: Mode.PUNISH, 0: Mode.NONE}


def _comb(dut, vectors, check):
    sim = Simulator(dut)

    async def bench(ctx):
        for vec in vectors:
            for name, value in vec.items():
                ctx.set(getattr(dut, name), value)
            await ctx.delay(1e-9)
            check(vec, ctx)

    sim.add_testbench(bench)
    sim.run()


def test_lif_neuron_step():
    dut = LifNeuron(threshold=1000, leak_shift=3, acc_max=4000)
    rng = np.random.default_rng(0)
    vecs = [{"v": int(rng.integers(0, 1000)), "acc": int(rng.integers(0, 4001))} for _ in range(200)]

    def check(vec, ctx):
        total = vec["v"] - (vec["v"] >> 3) + vec["acc"]
        assert ctx.get(dut.spike) == (total >= 1000)
        assert ctx.get(dut.v_next) == (0 if total >= 1000 else total)

    _comb(dut, vecs, check)
    with pytest.raises(UserError):
        LifNeuron(threshold=0, leak_shift=1, acc_max=1)


def test_reward_backprop_is_eq3_on_states():
    dut = RewardBackprop(16)
    vecs = [{"state_true": a, "state_false": b} for a, b in ((5, 9), (9, 5), (7, 7), (0, 65535))]
    expect = {(5, 9): Mode.REWARD, (9, 5): Mode.PUNISH, (7, 7): Mode.NONE, (0, 65535): Mode.REWARD}
    _comb(dut, vecs, lambda vec, ctx: ctx.get(dut.mode) == expect[(vec["state_true"], vec["state_false"])] or pytest.fail(str(vec)))


def test_pre_trace_age_of_latest_spike():
    dut = PreTrace(16)
    vecs = [{"word": 0b1000_0000_0010_0100, "t": t} for t in range(16)]

    def check(vec, ctx):
        past = [s for s in (2, 5, 15) if s <= vec["t"]]
        assert ctx.get(dut.valid) == bool(past)
        assert ctx.get(dut.spike) == (vec["t"] in (2, 5, 15))
        if past:
            assert ctx.get(dut.age) == vec["t"] - past[-1]

    _comb(dut, vecs, check)


def _run_layer_hw(layer, codes, raster, modes):
    """Load ``codes``, run the layer with learning, read spikes and states back."""
    dut = CrossbarLayer(SPEC, layer)
    words = pack_words(raster)
    result = {}
    sim = Simulator(dut)
    sim.add_clock(1e-8)

    async def raster_memory(ctx):  # one cycle of read latency, like the top's memories
        async for _, _, addr in ctx.tick().sample(dut.rin_addr):
            ctx.set(dut.rin_data, words[addr] if addr < len(words) else 0)

    async def bench(ctx):
        for j in range(layer.n_out):
            for i in range(layer.n_in):
                ctx.set(dut.wr_en, 1)
                ctx.set(dut.wr_addr, j * layer.n_in + i)
                ctx.set(dut.wr_data, int(codes[i, j]))
                await ctx.tick()
        ctx.set(dut.wr_en, 0)
        ctx.set(dut.start, 1)
        ctx.set(dut.learn, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        out = np.zeros((layer.n_out, SPEC.steps), dtype=bool)
        cycles = 0
        while True:
            cycles += 1
            ctx.set(dut.mode_ack, ctx.get(dut.mode_req))
            ctx.set(dut.mode, HW_MODE[int(modes[ctx.get(dut.index)])])
            if ctx.get(dut.out_valid):
                word = ctx.get(dut.out_word)
                out[ctx.get(dut.index)] = [(word >> t) & 1 for t in range(SPEC.steps)]
                assert ctx.get(dut.out_count) == bin(word).count("1")
            done = ctx.get(dut.done)
            await ctx.tick()
            if done:
                break
        got = np.zeros_like(codes)
        for j in range(layer.n_out):
            for i in range(layer.n_in):
                ctx.set(dut.rb_addr, j * layer.n_in + i)
                await ctx.tick()
                got[i, j] = ctx.get(dut.rb_data)
        result.update(out=out, codes=got, cycles=cycles)

    sim.add_process(raster_memory)
    sim.add_testbench(bench)
    sim.run()
    return result["out"], result["codes"], result["cycles"]


@pytest.mark.parametrize("name", ["gen", "disc"])
def test_crossbar_layer_learns_bit_exact(name):
    layer = SPEC.layer(name)
    rng = Xorshift32(mix_seed(10))
    codes = np.array([[rng.below(20000) for _ in range(layer.n_out)] for _ in range(layer.n_in)], dtype=np.int64)
    raster = encode_noise(layer.n_in, rng, P.enc)
    modes = np.array([(1, -1, 0)[rng.below(3)] for _ in range(layer.n_out)])
    expect_out, expect_codes = run_layer(codes, raster, SPEC, layer, modes)
    out, got, cycles = _run_layer_hw(layer, codes, raster, modes)
    assert expect_out.sum() > 3 and (expect_codes != codes).sum() > 3  # the run did spike and learn
    assert np.array_equal(out, expect_out)
    assert np.array_equal(got, expect_codes)
    learning_spikes = int(expect_out[modes != 0].sum())
    assert cycles == layer.n_out * (2 + SPEC.steps * (layer.n_in + 2)) + learning_spikes * (layer.n_in + 1)


def test_top_two_iterations_bit_exact():
    target = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0], dtype=bool)
    seed = mix_seed(3)
    model = FixedGan(P, Xorshift32(seed))
    records = [model.step(target) for _ in range(2)]
    dut = MemristorGanTop(P, SPEC)
    got = {"iters": []}
    sim = Simulator(dut)
    sim.add_clock(1e-8)

    async def bench(ctx):
        ctx.set(dut.seed, seed)
        ctx.set(dut.target, sum(int(b) << i for i, b in enumerate(target)))
        ctx.set(dut.iterations, 2)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        while not ctx.get(dut.done):
            if ctx.get(dut.iter_done):
                got["iters"].append([ctx.get(getattr(dut, n)) for n in ("d_real_true", "d_real_false", "d_fake_true",
                                                                         "d_fake_false", "fake_spikes", "learn_spikes")])
            await ctx.tick()
        await ctx.tick()
        states = []
        for a in range(P.n_latent * P.n_pixels):
            ctx.set(dut.rb_sel, 0)
            ctx.set(dut.rb_addr, a)
            await ctx.tick()
            states.append(ctx.get(dut.rb_data))
        got["gen"] = states

    sim.add_testbench(bench)
    sim.run()
    expect = [[*r.d_real.tolist(), *r.d_fake.tolist(), int(r.fake_counts.sum()), int(r.learn_counts.sum())] for r in records]
    assert got["iters"] == expect
    assert got["gen"] == model.codes["gen"].T.reshape(-1).tolist()


def test_top_checks_its_shape():
    bad = build_spec(small_params())
    with pytest.raises(UserError):
        MemristorGanTop(small_params(), type(bad)(**{**bad.__dict__, "disc": bad.gen}))
