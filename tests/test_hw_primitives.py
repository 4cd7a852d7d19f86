"""The shared combinational pieces of the blocks (Amaranth's simulator, no Verilog): priority encoder, saturation."""

from __future__ import annotations

import random

import pytest
from amaranth import Module, Signal, signed
from amaranth.sim import Simulator

from hw.priority import lowest_set_bit
from hw.saturate import saturating_add


def _check(m: Module, bench) -> None:
    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("n", [1, 2, 3, 5, 16, 17, 64, 100])
def test_lowest_set_bit_tree(n):
    m = Module()
    bits = Signal(n)
    out = lowest_set_bit(m, bits, "low")
    rng = random.Random(n)
    cases = [0, (1 << n) - 1] + [1 << i for i in range(n)] + [rng.getrandbits(n) for _ in range(200)]

    async def bench(ctx):
        for v in cases:
            ctx.set(bits, v)
            assert ctx.get(out) == ((v & -v).bit_length() - 1 if v else 0), v

    _check(m, bench)


@pytest.mark.parametrize("bits,other", [(7, 7), (8, 4), (24, 8)])
def test_saturating_add_matches_clamp(bits, other):
    m = Module()
    a, b = Signal(signed(bits)), Signal(signed(other))
    out = Signal(signed(bits))
    m.d.comb += out.eq(saturating_add(a, b, bits))
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    blo, bhi = -(1 << (other - 1)), (1 << (other - 1)) - 1
    rng = random.Random(bits)
    cases = [(x, y) for x in (lo, lo + 1, -1, 0, 1, hi - 1, hi) for y in (blo, -1, 0, 1, bhi)]
    cases += [(rng.randint(lo, hi), rng.randint(blo, bhi)) for _ in range(300)]

    async def bench(ctx):
        for x, y in cases:
            ctx.set(a, x)
            ctx.set(b, y)
            assert ctx.get(out) == min(max(x + y, lo), hi), (x, y)

    _check(m, bench)
