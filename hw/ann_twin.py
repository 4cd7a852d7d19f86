"""The ANN twin: a ramp network's function as an integer ANN accelerator, with the generator top's ports."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.ann_input import ActivationInput
from hw.ann_layer import AnnLayer, value_bits
from hw.events import EventBuffer
from hw.generator import CYCLE_BITS, ENCODE_WAIVER, one_choice_waivers, probe_signature
from hw.lif import LayerParams
from hw.widths import abits
from model.snn.config import IntNetwork

DESIGNS = ("ann-dense", "ann-skip")  # the twin's variants: every activation, or only the non-zero ones

class AnnTwin(wiring.Component):
    """The exact-TTFS network ``net`` computed as an ANN: ``q_l = clamp(floor((W_l q_{l-1} + B_l) / R_l), 0, T)``
    layer after layer, from the same weight and bias memories and ``P`` lanes as the spiking generator
    (docs/exact-ttfs-semantics.md: the golden model's closed form).

    The ports are the generator's (`hw.generator.Generator`), so the same testbench checks both: ``start``,
    ``vector`` (``encode`` is not read), ``busy``, ``done``, ``cycles``, the read-out (``count_data``: whether
    each neuron is non-zero, what a ramp neuron's spike counter holds) and a port per layer that pulses once
    per non-zero activation ``q`` with ``step = T - q``, the time the ramp neuron spikes at. The source
    (`ActivationInput`) and every layer (`AnnLayer`) send ``(index, value)`` events, all of them (``dense``)
    or only the non-zero ones, then one marker; ``done`` rises with the last layer's marker.
    """

    def __init__(self, net: IntNetwork, vectors: int, dense: bool):
        c = net.config
        if c.neuron != "ramp":
            raise ValueError(f"the ANN twin computes exact-TTFS (ramp) networks, not {c.neuron!r} ones")
        if vectors < 1:
            raise ValueError(f"the activation ROM needs at least one vector, got {vectors}")
        self.config, self.vectors, self.dense = c, vectors, dense
        self.layer_params = [LayerParams.of(net, l) for l in range(1, c.layers + 1)]
        self.count_bits = c.count_bits
        self.lint_waivers = one_choice_waivers(c, vectors) + ENCODE_WAIVER
        members = {
            "start": In(1),
            "encode": In(1),
            "vector": In(abits(vectors)),
            "busy": Out(1),
            "done": Out(1),
            "cycles": Out(CYCLE_BITS),
            "count_layer": In(abits(c.layers)),
            "count_addr": In(abits(c.max_groups)),
            "count_data": Out(c.lanes * self.count_bits),
        }
        for l, n in enumerate(c.sizes):
            members[f"spikes{l}"] = Out(probe_signature(n, c.timesteps))
        super().__init__(members)

    @property
    def design(self) -> str:
        return DESIGNS[0] if self.dense else DESIGNS[1]

    def elaborate(self, platform):
        m = Module()
        c = self.config
        T, vb = c.timesteps, value_bits(c.timesteps)
        m.submodules.source = source = ActivationInput(c.sizes[0], self.vectors, vb, self.dense)
        layers = []
        for l, lp in enumerate(self.layer_params, start=1):
            layer = AnnLayer(lp, self.dense)
            m.submodules[f"layer{l}"] = layer
            layers.append(layer)
        streams = [source.events] + [layer.spikes for layer in layers]
        for l, (src, layer) in enumerate(zip(streams, layers)):
            buffer = m.submodules[f"buffer{l}"] = EventBuffer(c.sizes[l], vb)
            wiring.connect(m, src, buffer.i)
            wiring.connect(m, buffer.o, layer.events)
        m.d.comb += streams[-1].ready.eq(1)

        launch = self.start & ~self.busy
        m.d.comb += [source.start.eq(launch), source.vector.eq(self.vector)]
        m.d.comb += [layer.clear.eq(launch) for layer in layers]
        for l, s in enumerate(streams):
            probe = getattr(self, f"spikes{l}")
            fired = s.valid & s.ready & ~s.payload.eos & (s.payload.value != 0)
            m.d.sync += probe.valid.eq(fired)
            with m.If(fired):
                m.d.sync += [probe.index.eq(s.payload.index), probe.step.eq(T - s.payload.value),
                             probe.total.eq(probe.total + 1)]
            with m.If(launch):
                m.d.sync += probe.total.eq(0)
        last = streams[-1]
        with m.If(last.valid & last.payload.eos):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        with m.If(self.busy):
            m.d.sync += self.cycles.eq(self.cycles + 1)
        with m.If(launch):
            m.d.sync += [self.busy.eq(1), self.done.eq(0), self.cycles.eq(0)]

        sel = Signal(abits(c.layers))
        m.d.sync += sel.eq(self.count_layer)
        m.d.comb += [layer.count_addr.eq(self.count_addr) for layer in layers]
        out = layers[-1].count_data.as_value()
        for i in reversed(range(len(layers) - 1)):
            out = Mux(sel == i, layers[i].count_data.as_value(), out)
        m.d.comb += self.count_data.eq(out)
        return m
