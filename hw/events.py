"""Event streams between the generator's blocks: the payload, a register slice, and the serialiser.

Per time step a stream carries the step's spikes in ascending neuron index,
then exactly one end-of-step marker (``docs/hardware-architecture.md``). The
ANN twin's streams (`hw.ann_twin`) carry activations the same way: an event
with a ``value``, one marker per image.
"""

from __future__ import annotations

from amaranth import Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.priority import lowest_set_bit
from hw.widths import abits
from model.snn.config import groups_of


def event_layout(n: int, value_bits: int = 0) -> data.StructLayout:
    """Payload of an event stream into/out of a layer of ``n`` neurons.

    ``eos`` = 0: a spike of neuron ``index``; ``eos`` = 1: the end of the current
    time step (``index`` is don't-care). Per step, spikes come in ascending
    ``index`` and are followed by exactly one end-of-step marker. ``value_bits``:
    the event carries a ``value`` too (an ANN activation).
    """
    fields = {"index": unsigned(abits(n)), "eos": 1}
    return data.StructLayout(fields | ({"value": unsigned(value_bits)} if value_bits else {}))


def event_signature(n: int, value_bits: int = 0) -> stream.Signature:
    """A stream of `event_layout` payloads."""
    return stream.Signature(event_layout(n, value_bits))


class EventBuffer(wiring.Component):
    """A register slice for an event stream of ``n`` neurons (a two-entry skid buffer), of ``value_bits`` values.

    ``o.valid``, ``o.payload`` and ``i.ready`` all come straight from
    registers, so it cuts every combinational path between a producer (its
    priority encoder) and a consumer (its weight-address arithmetic), in both
    directions. Latency 1, one transfer per cycle while the consumer keeps up.
    """

    def __init__(self, n: int, value_bits: int = 0):
        super().__init__({"i": In(event_signature(n, value_bits)), "o": Out(event_signature(n, value_bits))})

    def elaborate(self, platform):
        m = Module()
        skid = Signal.like(self.i.payload)
        skid_valid = Signal()
        m.d.comb += self.i.ready.eq(~skid_valid)
        with m.If(~self.o.valid | self.o.ready):
            with m.If(skid_valid):
                m.d.sync += [self.o.payload.eq(skid), self.o.valid.eq(1), skid_valid.eq(0)]
            with m.Else():
                m.d.sync += [self.o.payload.eq(self.i.payload), self.o.valid.eq(self.i.valid)]
        with m.Elif(self.i.valid & ~skid_valid):
            m.d.sync += [skid.eq(self.i.payload), skid_valid.eq(1)]
        return m


def group_layout(n: int, lanes: int, value_bits: int = 0) -> data.StructLayout:
    """One word of fired neurons for `EventSerialiser`: ``bits`` (lane ``p`` = neuron ``group * P + p``),
    ``group``, and ``eos`` (the word closes its time step: the marker follows its spikes); ``value_bits``: each
    lane's ``values`` too."""
    fields = {"bits": lanes, "group": abits(groups_of(n, lanes)), "eos": 1}
    values = {"values": data.ArrayLayout(unsigned(value_bits), lanes)} if value_bits else {}
    return data.StructLayout(fields | values)


class EventSerialiser(wiring.Component):
    """Words of fired neurons in, spike events out: one per cycle, ascending, and a marker after an ``eos`` word.

    Members
    -------
    i : ``In(stream.Signature(group_layout(n, lanes)))``
        Words in ascending ``group`` order within a step. A word is taken in
        the cycle its last event (or its marker) is taken, or while nothing
        is being emitted, so back-to-back words leave no gap.
    o : ``Out(event_signature(n))``
        The events of ``n`` neurons: neuron ``group * P + p`` for each set bit
        ``p``, lowest first, then the marker if the word had ``eos``.

    ``every_word_closes``: every word is a whole time step (the Spike ROM's),
    so ``eos`` is taken as 1 and a word ends with its marker; the serialiser
    then needs no test for a word's last spike (a ``P``-bit decrement and
    compare in its ready path, long for a 100-input word). ``value_bits``: the
    words carry a value per lane and each event the value of its lane.
    """

    def __init__(self, n: int, lanes: int, every_word_closes: bool = False, value_bits: int = 0):
        if n < 1 or lanes < 1 or value_bits < 0:
            raise ValueError(f"the serialiser needs n >= 1, lanes >= 1 and value_bits >= 0, got n={n}, "
                             f"lanes={lanes}, value_bits={value_bits}")
        self.n, self.lanes, self.every_word_closes, self.value_bits = n, lanes, every_word_closes, value_bits
        super().__init__({"i": In(stream.Signature(group_layout(n, lanes, value_bits))),
                          "o": Out(event_signature(n, value_bits))})

    def elaborate(self, platform):
        m = Module()
        bits = Signal(self.lanes)
        group = Signal.like(self.i.payload.group)
        eos = Signal()
        low = lowest_set_bit(m, bits, "lowest")
        has_spike = bits.any()
        rest = Signal(self.lanes)  # the word's spikes after the one being emitted
        m.d.comb += rest.eq(bits & (bits - 1))
        transfer = self.o.valid & self.o.ready
        m.d.comb += [
            self.o.valid.eq(has_spike | eos),
            self.o.payload.index.eq(group * self.lanes + low),
            self.o.payload.eos.eq(~has_spike),
        ]
        if self.every_word_closes:
            word_done = ~self.o.valid | (transfer & ~has_spike)
            word_eos = 1
        else:
            word_done = ~self.o.valid | (transfer & (~has_spike | ((rest == 0) & ~eos)))
            word_eos = self.i.payload.eos
        m.d.comb += self.i.ready.eq(word_done)
        if self.value_bits:
            values = Signal.like(self.i.payload.values)
            m.d.comb += self.o.payload.value.eq(values[low])
            with m.If(word_done & self.i.valid):
                m.d.sync += values.eq(self.i.payload.values)
        with m.If(word_done & self.i.valid):
            m.d.sync += [bits.eq(self.i.payload.bits), group.eq(self.i.payload.group), eos.eq(word_eos)]
        with m.Elif(word_done):
            m.d.sync += [bits.eq(0), eos.eq(0)]
        with m.Elif(transfer):
            m.d.sync += bits.eq(rest)
        return m
