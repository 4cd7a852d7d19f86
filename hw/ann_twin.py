"""The ANN twin: a ramp network's function as an integer ANN accelerator, with the generator top's ports."""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring

from hw.ann_input import ActivationInput
from hw.ann_layer import AnnLayer, value_bits
from hw.events import EventBuffer
from hw.generator import ENCODE_WAIVER, count_read_out, generator_ports, one_choice_waivers, runtime_noise
from hw.lif import LayerParams
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
    or only the non-zero ones, then one marker; ``done`` rises with the last layer's marker. Run-time noise as
    the generator's: a spike time ``X`` loaded or drawn is stored as the activation ``T - X``.
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
        super().__init__(generator_ports(c, vectors))

    @property
    def design(self) -> str:
        return DESIGNS[0] if self.dense else DESIGNS[1]

    def elaborate(self, platform):
        m = Module()
        c = self.config
        T, vb = c.timesteps, value_bits(c.timesteps)
        m.submodules.source = source = ActivationInput(c.sizes[0], self.vectors, T, c.noise_bits, self.dense)
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

        running = runtime_noise(m, self, source.noise)
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
            m.d.sync += [running.eq(0), self.done.eq(1)]
        with m.If(running):
            m.d.sync += self.cycles.eq(self.cycles + 1)
        with m.If(launch):
            m.d.sync += [running.eq(1), self.done.eq(0), self.cycles.eq(0)]

        count_read_out(m, self, layers)
        return m
