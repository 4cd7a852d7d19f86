"""XBAR: the weight memory of one layer and the sequencer that routes it to the neuron lanes."""

from __future__ import annotations

from math import ceil

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.common import Rom, abits, event_signature


class Xbar(wiring.Component):
    """For each incoming spike ``i``, read its fan-out row and hand it to ``P`` neuron lanes.

    The weight ROM (``n_in * G`` words of ``P * q`` bits, ``G = ceil(n_out / P)``,
    the layout of ``docs/hardware-semantics.md``) is read at ``i * G + g`` for
    ``g = 0 .. G-1``, one word per cycle while ``enable`` is high; lane ``p`` of
    word ``g`` is the weight to neuron ``g * P + p``. An end-of-step marker takes
    one issue slot and reads nothing.

    Issue side, cycle ``c`` (combinational, independent of ``enable``):
    ``issue_valid``/``issue_eos``/``issue_group`` name the slot that is taken
    when ``enable`` is high, so the owner can read its own per-group memories at
    ``issue_group`` in the same cycle. ``events.ready`` is high on the last slot
    of an event. Data side: ``weights`` shows the lanes of the word issued in
    cycle ``c`` during cycle ``c + 1`` (latency 1) and holds otherwise.
    """

    def __init__(self, n_in: int, n_out: int, lanes: int, weight_bits: int, weight_file: str):
        if n_in < 1 or n_out < 1 or lanes < 1 or weight_bits < 2:
            raise ValueError(f"bad XBAR shape: {n_in} -> {n_out}, P={lanes}, q={weight_bits}")
        self.n_in, self.n_out, self.lanes, self.weight_bits = n_in, n_out, lanes, weight_bits
        self.groups = ceil(n_out / lanes)
        self.weight_file = weight_file
        super().__init__(
            {
                "events": In(event_signature(n_in)),
                "enable": In(1),
                "issue_valid": Out(1),
                "issue_eos": Out(1),
                "issue_group": Out(abits(self.groups)),
                "weights": Out(data.ArrayLayout(signed(weight_bits), lanes)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        G = self.groups
        m.submodules.rom = rom = Rom(self.lanes * self.weight_bits, self.n_in * G, self.weight_file)

        group = Signal(abits(G))
        last = group == G - 1
        take = self.events.valid & self.enable
        read = take & ~self.events.payload.eos
        m.d.comb += [
            self.issue_valid.eq(self.events.valid),
            self.issue_eos.eq(self.events.payload.eos),
            self.issue_group.eq(group),
            self.events.ready.eq(take & (self.events.payload.eos | last)),
            rom.addr.eq(self.events.payload.index * G + group),
            rom.en.eq(read),
            self.weights.eq(rom.data),
        ]
        with m.If(read):
            m.d.sync += group.eq(Mux(last, 0, group + 1))
        return m
