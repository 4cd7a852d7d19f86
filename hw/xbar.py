"""XBAR: the weight memory of one layer and the sequencer that routes it to the neuron lanes (or, for a layer
without input spikes, the marker slot that stands in for it)."""

from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.events import event_signature
from hw.rom import Rom
from hw.widths import abits
from model.snn.config import groups_of


def xbar_signature(n_in: int, groups: int, lanes: int, weight_bits: int, value_bits: int = 0) -> wiring.Signature:
    """The XBAR's ports, as its owner (`hw.lif.LifLayer`) sees them flipped.

    Members
    -------
    events : ``In(event_signature(n_in))``
    enable : ``In(1)``
        The owner takes the slot shown on the issue side this cycle.
    issue_valid, issue_eos : ``Out(1)``
        A slot is shown: a spike's group read (``issue_eos`` = 0) or an end-of-step marker.
    issue_group : ``Out(abits(groups))``
    weights : ``Out(ArrayLayout(signed(weight_bits), lanes))``
        The lanes of the word issued in the cycle before.
    issue_value : ``Out(value_bits)``, only with ``value_bits``
        The value the issued slot's event carries (an ANN activation).
    """
    return wiring.Signature({
        "events": In(event_signature(n_in, value_bits)),
        "enable": In(1),
        "issue_valid": Out(1),
        "issue_eos": Out(1),
        "issue_group": Out(abits(groups)),
        "weights": Out(data.ArrayLayout(signed(weight_bits), lanes)),
        **({"issue_value": Out(value_bits)} if value_bits else {}),
    })


class Xbar(wiring.Component):
    """For each incoming spike ``i``, read its fan-out row and hand it to ``P`` neuron lanes.

    The weight ROM (``n_in * G`` words of ``P * q`` bits, ``G = ceil(n_out / P)``,
    the layout of ``docs/hardware-semantics.md``) is read at ``i * G + g`` for
    ``g = 0 .. G-1``, one word per cycle while ``enable`` is high; lane ``p`` of
    word ``g`` is the weight to neuron ``g * P + p``. An end-of-step marker takes
    one issue slot and reads nothing. With ``value_bits``, an event's ``value``
    stays beside its slots (``issue_value``).

    Input register: an event is taken from ``events`` into a register, with its
    row address ``i * G`` (the multiplier sits between two registers, never in
    front of the ROM); ``events.ready`` is high while the register is empty or
    its event takes its last slot, so events follow each other without a gap.

    Issue side, cycle ``c`` (from the register, independent of ``enable``):
    ``issue_valid``/``issue_eos``/``issue_group`` name the slot that is taken
    when ``enable`` is high, so the owner can read its own per-group memories at
    ``issue_group`` in the same cycle. Data side: ``weights`` shows the lanes of
    the word issued in cycle ``c`` during cycle ``c + 1`` (latency 1) and holds
    otherwise.
    """

    def __init__(self, n_in: int, n_out: int, lanes: int, weight_bits: int, weight_file: str, value_bits: int = 0):
        if n_in < 1 or n_out < 1 or lanes < 1 or weight_bits < 2 or value_bits < 0:
            raise ValueError(f"bad XBAR shape: {n_in} -> {n_out}, P={lanes}, q={weight_bits}, values of {value_bits} bits")
        self.n_in, self.n_out, self.lanes, self.weight_bits = n_in, n_out, lanes, weight_bits
        self.groups = groups_of(n_out, lanes)
        self.weight_file = weight_file
        self.value_bits = value_bits
        super().__init__(xbar_signature(n_in, self.groups, lanes, weight_bits, value_bits))

    def elaborate(self, platform):
        m = Module()
        G = self.groups
        m.submodules.rom = rom = Rom(self.lanes * self.weight_bits, self.n_in * G, self.weight_file)

        valid, eos = Signal(), Signal()
        group = Signal(abits(G))
        addr = Signal(abits(self.n_in * G))
        last = group == G - 1
        slot = valid & self.enable
        read = slot & ~eos
        m.d.comb += [
            self.issue_valid.eq(valid),
            self.issue_eos.eq(eos),
            self.issue_group.eq(group),
            self.events.ready.eq(~valid | (slot & (eos | last))),
            rom.addr.eq(addr),
            rom.en.eq(read),
            self.weights.eq(rom.data),
        ]
        with m.If(self.events.ready):
            m.d.sync += [
                valid.eq(self.events.valid),
                eos.eq(self.events.payload.eos),
                group.eq(0),
                addr.eq(self.events.payload.index * G),
            ]
        if self.value_bits:
            value = Signal(self.value_bits)
            m.d.comb += self.issue_value.eq(value)
            with m.If(self.events.ready):
                m.d.sync += value.eq(self.events.payload.value)
        with m.Elif(read):
            m.d.sync += [group.eq(group + 1), addr.eq(addr + 1)]
        return m


class MarkerSlot(wiring.Component):
    """The XBAR of a layer that takes no spikes (direct coding's layer 1, driven by a current instead):
    each end-of-step marker from ``events`` takes one issue slot, as in `Xbar`, and nothing is read
    (``weights`` is 0, ``issue_group`` 0). The events must all be markers."""

    def __init__(self, n_in: int, lanes: int, weight_bits: int):
        super().__init__(xbar_signature(n_in, 1, lanes, weight_bits))

    def elaborate(self, platform):
        m = Module()
        valid = Signal()
        m.d.comb += [
            self.issue_valid.eq(valid),
            self.issue_eos.eq(1),
            self.events.ready.eq(~valid | self.enable),
        ]
        with m.If(self.events.ready):
            m.d.sync += valid.eq(self.events.valid)
        return m
