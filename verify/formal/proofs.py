# amaranth: UnusedElaboratable=no
"""Proof harnesses: each wraps a block with the block's own ports (all inputs free for the solver), assumes the
stream rules of its inputs (`verify.formal.streams`) and asserts its properties against a small reference model.

`PROOFS` names the harnesses of the block configurations the default networks use, each with its bound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from amaranth import Array, Const, Module, Mux, Signal, signed
from amaranth.hdl import Assert, Assume, Cover
from amaranth.lib import wiring

from hw.events import EventBuffer, EventSerialiser
from model.snn.config import groups_of
from verify.formal.streams import ascending_in_step, assert_stream, assume_stream, reset_only_at_start


class Harness(wiring.Component):
    """A block under proof behind its own ports, connected whole, so every input is free for the solver: reset
    only at the start, the stream rules assumed of its input stream ``source`` and asserted of its output stream
    ``sink``; a subclass adds its own properties (`properties`)."""

    def __init__(self, dut, source: str, sink: str):
        self.dut, self.source, self.sink = dut, source, sink
        super().__init__(dut.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut.elaborate(platform)  # here, so a property can reach its submodules
        wiring.connect(m, wiring.flipped(self), self.dut)
        reset_only_at_start(m)
        assume_stream(m, getattr(self, self.source), self.source)
        assert_stream(m, getattr(self, self.sink), self.sink)
        self.properties(m, dut)
        return m

    def properties(self, m: Module, dut: Module) -> None:
        """The block's own assumptions and assertions; ``dut``: the block, elaborated."""
        raise NotImplementedError


def assert_no_overflow(m: Module, dut: Module) -> None:
    """A layer's output FIFO (its submodule ``fifo``) is never written while full: no fired group is lost."""
    fifo = dut.submodules.fifo
    m.d.comb += Assert(~fifo.w_en | fifo.w_rdy, "a fired group written into a full FIFO")


def one_image(m: Module, clear) -> Signal:
    """One image: the block is cleared the cycle after reset and never again. Returns the cycles since reset,
    up to 2."""
    age = Signal(range(3))
    m.d.sync += age.eq(Mux(age == 2, 2, age + 1))
    m.d.comb += Assume(clear == (age == 1))
    return age


def assume_layer_input(m: Module, events, n_in: int, steps: int):
    """A layer's input over one image within the event-stream rules: inputs that exist, ascending within a step,
    at most ``steps`` markers. Returns the payload and whether it is taken in this cycle."""
    e, taken = events.payload, events.valid & events.ready
    markers = Signal(range(steps + 1))
    ascending = ascending_in_step(m, taken, e.index, e.eos)
    with m.If(events.valid):
        m.d.comb += Assume(markers < steps)
        with m.If(~e.eos):
            m.d.comb += [Assume(e.index < n_in), Assume(ascending)]
    with m.If(taken):
        m.d.sync += markers.eq(markers + e.eos)
    return e, taken


def track_layer_output(m: Module, spikes, n_out: int, steps: int):
    """A layer's output over one image: its events name neurons that exist and close at most ``steps`` steps;
    covers: a second neuron sent, the last step closed. Returns the neurons sent so far, the markers sent so
    far, and whether an event is taken in this cycle."""
    e, taken = spikes.payload, spikes.valid & spikes.ready
    fired, markers = Signal(n_out), Signal(range(steps + 2))
    with m.If(spikes.valid & ~e.eos):
        m.d.comb += Assert(e.index < n_out, "an event of a neuron that does not exist")
    with m.If(spikes.valid):
        m.d.comb += Assert(markers < steps, "more steps out than the window has")
    with m.If(taken & ~e.eos):
        m.d.sync += fired.bit_select(e.index, 1).eq(1)
    with m.If(taken & e.eos):
        m.d.sync += markers.eq(markers + 1)
    m.d.comb += [Cover(taken & ~e.eos & (fired != 0)), Cover(markers == steps)]
    return fired, markers, taken


def rom_files(net) -> dict[str, str]:
    """The ``$readmemh`` files of layer 1's weight and bias ROMs (`hw.rom`), by name."""
    from hw.build import layer_mem_files
    from model.snn.layout import mem_text

    return {name: mem_text(words, width)
            for name, (words, width) in layer_mem_files(net.config, 1, net.weights[0], net.biases[0]).items()}


class EventBufferProof(Harness):
    """`EventBuffer`: its output keeps the stream rules, and delivers every event taken, in order, none made up,
    with ``o.valid`` high exactly while it holds one (a reference queue of the events in flight, at most two)."""

    QUEUE = 4

    def __init__(self, n: int, value_bits: int = 0, buffer=EventBuffer):
        super().__init__(buffer(n, value_bits), "i", "o")

    def properties(self, m: Module, dut: Module) -> None:
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


class SerialiserProof(Harness):
    """`EventSerialiser`: its events keep the stream rules, come in ascending neuron order within a step, name
    neurons that exist, and close a step with a marker only for a word that closes it (input words: ascending
    groups within a step, none with spikes in a padding lane, each with a spike or closing its step)."""

    def __init__(self, n: int, lanes: int, every_word_closes: bool = False, value_bits: int = 0,
                 serialiser=EventSerialiser):
        self.n, self.lanes, self.every_word_closes = n, lanes, every_word_closes
        super().__init__(serialiser(n, lanes, every_word_closes, value_bits), "i", "o")

    def properties(self, m: Module, dut: Module) -> None:
        self._assume_words(m)
        self._assert_events(m)

    def _closes(self):
        """Whether the input word closes its step."""
        return Const(1) if self.every_word_closes else self.i.payload.eos

    def _assume_words(self, m: Module) -> None:
        word, groups = self.i.payload, groups_of(self.n, self.lanes)
        padding = self.n - (groups - 1) * self.lanes  # lanes of the last group that hold neurons
        ascending = ascending_in_step(m, self.i.valid & self.i.ready, word.group, self._closes())
        with m.If(self.i.valid):
            m.d.comb += [Assume(word.group < groups), Assume(word.bits.any() | self._closes()), Assume(ascending)]
            if padding < self.lanes:
                m.d.comb += Assume((word.group != groups - 1) | (word.bits[padding:] == 0))

    def _assert_events(self, m: Module) -> None:
        event, taken = self.o.payload, self.o.valid & self.o.ready
        closing = Signal(range(3))  # words taken that close a step, less the markers sent
        events = Signal(range(3))  # events sent in this step, up to 2
        word_closes = self.i.valid & self.i.ready & self._closes()
        marker = taken & event.eos
        ascending = ascending_in_step(m, taken, event.index, event.eos)
        with m.If(self.o.valid & ~event.eos):
            m.d.comb += [Assert(event.index < self.n, "an event of a neuron that does not exist"),
                         Assert(ascending, "events not ascending within a step")]
        with m.If(taken):
            m.d.sync += events.eq(Mux(event.eos, 0, Mux(events == 2, 2, events + 1)))
        with m.If(self.o.valid & event.eos):
            m.d.comb += Assert(closing != 0, "a marker for a step no word closed")
        m.d.sync += closing.eq(closing + word_closes - marker)
        m.d.comb += Cover(marker & (events == 2))  # a step of two or more events, closed


class LayerProof(Harness):
    """A layer of a small exact-TTFS network, one image from ``clear`` (the cycle after reset) on, its input free
    within the event-stream rules (inputs that exist, ascending within a step, a step's marker per window step):
    its events keep the stream rules, name neurons that exist, no neuron is sent twice, and its output FIFO is
    never written while full. ``design``: the
    spiking layer (`RampLayer`, ``T`` steps each way, ``"snn"``) or the ANN twin's (`AnnLayer`, one activation
    per input and neuron, values ``0 .. T``: ``"ann-dense"`` sends every neuron, ``"ann-skip"`` the non-zero).

    ``files``: the ``$readmemh`` files its weight and bias ROMs read (`hw.rom`), beside ``ROM_VERILOG``."""

    def __init__(self, design: str = "snn", sizes=(2, 3), timesteps: int = 2, lanes: int = 2, seed: int = 0,
                 layer=None):
        from hw.ann_layer import AnnLayer, value_bits
        from hw.lif import LayerParams
        from hw.ramp_layer import RampLayer
        from model.snn import ramp
        from model.snn.config import RAMP, SnnConfig

        c = SnnConfig(sizes=tuple(sizes), timesteps=timesteps, weight_bits=3, membrane_bits=8, lanes=lanes, **RAMP)
        net = ramp.random_network(c, seed=seed, weight_scale=1.0, bias_scale=1.0)
        params = LayerParams.of(net, 1)
        self.config, self.design = c, design
        self.steps = timesteps if design == "snn" else 1  # markers each way in one image
        self.values = 0 if design == "snn" else value_bits(timesteps)
        if layer is None:
            layer = RampLayer if design == "snn" else (lambda p: AnnLayer(p, design == "ann-dense"))
        self.files = rom_files(net)
        super().__init__(layer(params), "events", "spikes")

    def properties(self, m: Module, dut: Module) -> None:
        c = self.config
        one_image(m, self.clear)
        e, _ = assume_layer_input(m, self.events, c.sizes[0], self.steps)
        if self.values:
            with m.If(self.events.valid & ~e.eos):
                m.d.comb += Assume(e.value <= c.timesteps)
        self._assert_output(m)
        assert_no_overflow(m, dut)

    def _assert_output(self, m: Module) -> None:
        c, e = self.config, self.spikes.payload
        fired, _, _ = track_layer_output(m, self.spikes, c.sizes[1], self.steps)
        with m.If(self.spikes.valid & ~e.eos):
            m.d.comb += Assert(~fired.bit_select(e.index, 1), "a neuron sent twice in one image")
            if self.values:
                m.d.comb += Assert(e.value <= c.timesteps, "a value above T")
            if self.design == "ann-skip":
                m.d.comb += Assert(e.value != 0, "a zero activation sent by the zero-skipping layer")
        if self.design == "ann-dense":
            with m.If(self.spikes.valid & e.eos):
                m.d.comb += Assert(fired.all(), "the dense layer's marker before every neuron was sent")


class LifLayerProof(Harness):
    """A `LifLayer` of a small network, one image from ``clear`` (the cycle after reset) on, its input free within
    the event-stream rules (inputs that exist, ascending within a step, ``T`` markers; under ``coding="ttfs"``
    each input at most once, as a TTFS layer's inputs come): its events keep the stream rules and name neurons
    that exist, no more than ``T`` markers go out, the fire FIFO is never written while full (no fired group is
    lost), under TTFS (reset to the floor) no neuron is sent twice, and each step sends exactly the neurons a
    reference without pipeline or forwarding fires (`_reference`): the pipeline is the layer step, bit for bit."""

    def __init__(self, coding: str = "ttfs", sizes=(2, 3), timesteps: int = 2, lanes: int = 2, seed: int = 6,
                 layer=None):  # seed 6: two of the three neurons fire on either input alone, so could fire twice
        from hw.lif import LayerParams, LifLayer
        from model.snn.config import TTFS, SnnConfig
        from model.snn.golden import random_network

        fields = TTFS if coding == "ttfs" else {"coding": coding, "reset": "subtract"}
        c = SnnConfig(sizes=tuple(sizes), timesteps=timesteps, weight_bits=3, membrane_bits=6, lanes=lanes, **fields)
        net = random_network(c, seed=seed, weight_scale=1.0, bias_scale=0 if coding == "ttfs" else 2)
        self.config, self.net, self.once = c, net, coding == "ttfs"
        self.files = rom_files(net)
        super().__init__((layer or LifLayer)(LayerParams.of(net, 1)), "events", "spikes")

    def properties(self, m: Module, dut: Module) -> None:
        c = self.config
        with m.If(one_image(m, self.clear) != 2):
            m.d.comb += Assume(~self.events.valid)  # the image starts after its clear
        e, taken = assume_layer_input(m, self.events, c.sizes[0], c.timesteps)
        if self.once:  # each input at most once
            sent = Signal(c.sizes[0])
            with m.If(self.events.valid & ~e.eos):
                m.d.comb += Assume(~sent.bit_select(e.index, 1))
            with m.If(taken & ~e.eos):
                m.d.sync += sent.bit_select(e.index, 1).eq(1)
        self._assert_output(m, *self._reference(m))
        assert_no_overflow(m, dut)

    def _reference(self, m: Module):
        """The layer step of docs/hardware-semantics.md one neuron at a time, without pipeline: ``V = sat(V + W)``
        as each event is taken, the sweep (``sat(V + B)``, fire, reset, leak) as each marker is taken. Returns
        each step's fired neurons and how many steps it has swept."""
        c, e, taken = self.config, self.events.payload, self.events.valid & self.events.ready
        (lo, hi), th = c.membrane_range, int(self.net.thresholds[0])
        w, b = self.net.weights[0], self.net.biases[0]
        expected = Array(Signal(c.sizes[1], name=f"ref_fired{t}") for t in range(c.timesteps))
        swept, fired = Signal(range(c.timesteps + 1)), Signal(c.sizes[1])

        def sat(x):
            return Mux(x > hi, hi, Mux(x < lo, lo, x))

        for j in range(c.sizes[1]):
            v, biased = Signal(signed(c.membrane_bits), name=f"ref_v{j}"), Signal(signed(c.membrane_bits))
            m.d.comb += [biased.eq(sat(v + int(b[j]))), fired[j].eq(biased >= th)]
            after = Mux(fired[j], {"zero": 0, "floor": lo, "subtract": biased - th}[c.reset], biased)
            if c.leak_shift is not None:
                after = after - (after >> c.leak_shift)
            with m.If(taken & ~e.eos):
                m.d.sync += v.eq(sat(v + Array(Const(int(x), signed(c.weight_bits)) for x in w[j])[e.index]))
            with m.Elif(taken & e.eos):
                m.d.sync += v.eq(after)
        with m.If(taken & e.eos):
            m.d.sync += [expected[swept].eq(fired), swept.eq(swept + 1)]
        return expected, swept

    def _assert_output(self, m: Module, expected, swept) -> None:
        c, e = self.config, self.spikes.payload
        fired, markers, taken = track_layer_output(m, self.spikes, c.sizes[1], c.timesteps)
        in_step = Signal(c.sizes[1])  # the neurons sent in this step
        with m.If(self.spikes.valid & ~e.eos):
            fired_there = (markers < swept) & expected[markers].bit_select(e.index, 1)
            m.d.comb += Assert(fired_there, "a neuron sent that the reference did not fire in that step")
            if self.once:
                m.d.comb += Assert(~fired.bit_select(e.index, 1), "a TTFS neuron sent twice in one image")
        with m.If(self.spikes.valid & e.eos):
            closes_right = (markers < swept) & (in_step == expected[markers])
            m.d.comb += Assert(closes_right, "a step closed without every neuron the reference fired in it")
        with m.If(taken & ~e.eos):
            m.d.sync += in_step.bit_select(e.index, 1).eq(1)
        with m.If(taken & e.eos):
            m.d.sync += in_step.eq(0)


@dataclass(frozen=True)
class Proof:
    """A harness (``make()``) checked to ``depth`` cycles: its assertions hold in every run that long, and each
    of its cover statements is reached in one (so the assumptions leave the block something to do).
    ``quick``: the shortest bound that still reaches every cover statement, the one `make test` checks."""

    name: str
    make: Callable[[], wiring.Component]
    depth: int
    quick: int = 8


PROOFS = (
    Proof("event buffer, 100 inputs", lambda: EventBufferProof(100), 20),
    Proof("event buffer, 1200 neurons, 6-bit values", lambda: EventBufferProof(1200, 6), 20),
    Proof("serialiser, 784 neurons, P = 16", lambda: SerialiserProof(784, 16), 24),
    Proof("serialiser, 1200 neurons, P = 16, 6-bit values", lambda: SerialiserProof(1200, 16, value_bits=6), 24),
    Proof("serialiser, 100 inputs, every word a step", lambda: SerialiserProof(100, 100, every_word_closes=True), 16),
    Proof("serialiser, 16 neurons, P = 4", lambda: SerialiserProof(16, 4), 24),
    # a layer's bound covers one whole image; the solver's time grows steeply beyond it
    Proof("exact-TTFS (ramp) layer, 2-3, T = 2, P = 2", lambda: LayerProof("snn"), 24, quick=24),
    Proof("ANN twin's layer, dense, 2-3, T = 2, P = 2", lambda: LayerProof("ann-dense"), 24, quick=24),
    Proof("ANN twin's layer, zero-skipping, 2-3, T = 2, P = 2", lambda: LayerProof("ann-skip"), 24, quick=24),
    # P = 2: two groups, one read again in its write-back cycle; P = 3: one group, read again the cycle after
    Proof("LIF layer, TTFS, 2-3, T = 2, P = 2", lambda: LifLayerProof("ttfs", lanes=2), 24, quick=16),
    Proof("LIF layer, TTFS, 2-3, T = 2, P = 3", lambda: LifLayerProof("ttfs", lanes=3), 24, quick=16),
    Proof("LIF layer, Bernoulli, 2-3, T = 2, P = 2", lambda: LifLayerProof("bernoulli", lanes=2), 24, quick=16),
    Proof("LIF layer, Bernoulli, 2-3, T = 2, P = 3", lambda: LifLayerProof("bernoulli", lanes=3), 24, quick=16),
)
