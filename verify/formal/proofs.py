"""Proof harnesses: each wraps a block with the block's own ports (all inputs free for the solver), assumes the
stream rules of its inputs (`verify.formal.streams`) and asserts its properties against a small reference model.

`PROOFS` names the harnesses of the block configurations the default networks use, each with its bound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from amaranth import Array, Module, Mux, Signal
from amaranth.hdl import Assert, Assume, Cover
from amaranth.lib import wiring

from hw.events import EventBuffer, EventSerialiser
from model.snn.config import groups_of
from verify.formal.streams import assert_stream, assume_stream, reset_only_at_start


class EventBufferProof(wiring.Component):
    """`EventBuffer`: its output keeps the stream rules, and delivers every event taken, in order, none made up,
    with ``o.valid`` high exactly while it holds one (a reference queue of the events in flight, at most two)."""

    QUEUE = 4

    def __init__(self, n: int, value_bits: int = 0, buffer=EventBuffer):
        self.dut = buffer(n, value_bits)
        super().__init__(self.dut.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        wiring.connect(m, wiring.flipped(self.i), dut.i)
        wiring.connect(m, dut.o, wiring.flipped(self.o))
        reset_only_at_start(m)
        assume_stream(m, self.i, "i")
        assert_stream(m, self.o, "o")
        width = len(self.i.payload.as_value())
        queue = Array(Signal(width, name=f"queue{k}") for k in range(self.QUEUE))
        head, tail = Signal(range(self.QUEUE)), Signal(range(self.QUEUE))
        held = Signal(range(self.QUEUE + 1))
        taken_in, taken_out = self.i.valid & self.i.ready, self.o.valid & self.o.ready
        with m.If(taken_in):
            m.d.sync += [queue[tail].eq(self.i.payload.as_value()), tail.eq(tail + 1)]
        with m.If(taken_out):
            m.d.sync += head.eq(head + 1)
            m.d.comb += Assert(self.o.payload.as_value() == queue[head], "o: not the oldest event taken")
        m.d.sync += held.eq(held + taken_in - taken_out)
        m.d.comb += [Assert(held <= 2, "more than two events held"),
                     Assert(self.o.valid == (held != 0), "o.valid differs from an event being held"),
                     Cover(taken_out & (held == 2)), Cover(taken_in & taken_out)]
        return m


class SerialiserProof(wiring.Component):
    """`EventSerialiser`: its events keep the stream rules, come in ascending neuron order within a step, name
    neurons that exist, and close a step with a marker only for a word that closes it (input words: ascending
    groups within a step, none with spikes in a padding lane, each with a spike or closing its step)."""

    def __init__(self, n: int, lanes: int, every_word_closes: bool = False, value_bits: int = 0,
                 serialiser=EventSerialiser):
        self.n, self.lanes, self.every_word_closes = n, lanes, every_word_closes
        self.dut = serialiser(n, lanes, every_word_closes, value_bits)
        super().__init__(self.dut.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        wiring.connect(m, wiring.flipped(self.i), dut.i)
        wiring.connect(m, dut.o, wiring.flipped(self.o))
        reset_only_at_start(m)
        assume_stream(m, self.i, "i")
        assert_stream(m, self.o, "o")
        self._assume_words(m)
        self._assert_events(m)
        return m

    def _assume_words(self, m: Module) -> None:
        word, groups = self.i.payload, groups_of(self.n, self.lanes)
        closes = 1 if self.every_word_closes else word.eos
        last_group, in_step = Signal.like(word.group), Signal()
        padding = self.n - (groups - 1) * self.lanes  # lanes of the last group that hold neurons
        with m.If(self.i.valid):
            m.d.comb += [Assume(word.group < groups), Assume(word.bits.any() | closes)]
            if padding < self.lanes:
                m.d.comb += Assume((word.group != groups - 1) | (word.bits[padding:] == 0))
            with m.If(in_step):
                m.d.comb += Assume(word.group > last_group)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [last_group.eq(word.group), in_step.eq(~closes)]

    def _assert_events(self, m: Module) -> None:
        event = self.o.payload
        last, in_step = Signal.like(event.index), Signal()
        closing = Signal(range(3))  # words taken that close a step, less the markers sent
        events = Signal(range(3))  # events sent in this step, up to 2
        word_closes = self.i.valid & self.i.ready & (1 if self.every_word_closes else self.i.payload.eos)
        marker = self.o.valid & self.o.ready & event.eos
        with m.If(self.o.valid & ~event.eos):
            m.d.comb += Assert(event.index < self.n, "an event of a neuron that does not exist")
            with m.If(in_step):
                m.d.comb += Assert(event.index > last, "events not ascending within a step")
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += [last.eq(event.index), in_step.eq(~event.eos),
                         events.eq(Mux(event.eos, 0, Mux(events == 2, 2, events + 1)))]
        with m.If(self.o.valid & event.eos):
            m.d.comb += Assert(closing != 0, "a marker for a step no word closed")
        m.d.sync += closing.eq(closing + word_closes - marker)
        m.d.comb += Cover(marker & (events == 2))  # a step of two or more events, closed


@dataclass(frozen=True)
class Proof:
    """A harness (``make()``) checked to ``depth`` cycles: its assertions hold in every run that long, and each
    of its cover statements is reached in one (so the assumptions leave the block something to do)."""

    name: str
    make: Callable[[], wiring.Component]
    depth: int


PROOFS = (
    Proof("event buffer, 100 inputs", lambda: EventBufferProof(100), 20),
    Proof("event buffer, 1200 neurons, 6-bit values", lambda: EventBufferProof(1200, 6), 20),
    Proof("serialiser, 784 neurons, P = 16", lambda: SerialiserProof(784, 16), 24),
    Proof("serialiser, 1200 neurons, P = 16, 6-bit values", lambda: SerialiserProof(1200, 16, value_bits=6), 24),
    Proof("serialiser, 100 inputs, every word a step", lambda: SerialiserProof(100, 100, every_word_closes=True), 16),
    Proof("serialiser, 16 neurons, P = 4", lambda: SerialiserProof(16, 4), 24),
)
