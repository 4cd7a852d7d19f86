"""The on-chip noise source: a fresh noise vector from a seed, written into the generator's noise memory."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.rom import ram_write_signature
from hw.widths import abits
from hw.xorshift import xorshift32
from model.snn.config import SnnConfig
from model.snn.golden import noise_levels


class NoiseSource(wiring.Component):
    """Draws the encoder inputs of one image from xorshift32 (`model.snn.golden.draw_noise`).

    ``start`` (while not ``busy``) latches ``seed`` and ``vector``; then for ``i = 0 .. N_0 - 1`` the state
    steps once (``r_{i+1} = xorshift32(r_i)``, ``r_0`` = the seed) and, a cycle later,
    ``x_i = (r_{i+1} full + 2^31) >> 32`` (``full - x_i`` for the ramp neuron) is written to word
    ``vector * N_0 + i`` of the noise memory: ``N_0 + 1`` cycles. A zero seed draws ``X = 0`` (ramp: ``full``)
    everywhere: xorshift32 stays at zero.

    Members
    -------
    start : ``In(1)``
    seed : ``In(32)``
    vector : ``In(abits(vectors))``
    busy : ``Out(1)``
    noise : ``Out(ram_write_signature(vectors * N_0, noise_bits))``
    """

    def __init__(self, config: SnnConfig, vectors: int):
        if vectors < 1:
            raise ValueError(f"the noise memory needs at least one vector, got {vectors}")
        self.config, self.vectors = config, vectors
        super().__init__({
            "start": In(1),
            "seed": In(32),
            "vector": In(abits(vectors)),
            "busy": Out(1),
            "noise": Out(ram_write_signature(vectors * config.sizes[0], config.noise_bits)),
        })

    @property
    def full(self) -> int:
        return noise_levels(self.config)

    def elaborate(self, platform):
        m = Module()
        n = self.config.sizes[0]
        state = Signal(32)
        drawing = Signal()
        left = Signal(range(n + 1))  # states still to draw
        write = self.noise
        level = (state * self.full + (1 << 31))[32:]
        m.d.comb += write.data.eq(self.full - level if self.config.neuron == "ramp" else level)
        m.d.comb += self.busy.eq(drawing | write.en)
        m.d.sync += write.en.eq(drawing)
        with m.If(drawing):
            m.d.sync += [state.eq(xorshift32(state)), left.eq(left - 1), drawing.eq(left != 1)]
        with m.If(write.en):
            m.d.sync += write.addr.eq(write.addr + 1)
        with m.If(self.start & ~self.busy):
            m.d.sync += [state.eq(self.seed), left.eq(n), drawing.eq(1), write.addr.eq(self.vector * n)]
        return m
