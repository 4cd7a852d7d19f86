"""Generator top: Spike ROM -> LIF layers -> spike counters, start/done, read-out, spike-event ports."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.direct_input import DirectInput
from hw.events import EventBuffer
from hw.lif import LayerParams, LifLayer
from hw.noise_source import NoiseSource
from hw.ramp_layer import RampLayer
from hw.spike_rom import SpikeRom, SpikeRomParams
from hw.rom import ram_write_signature
from hw.widths import abits
from model.snn.config import IntNetwork

CYCLE_BITS = 40


def probe_signature(n: int, timesteps: int) -> wiring.Signature:
    """A layer's spike-event port: one registered pulse per spike, in emission order.

    ``valid`` pulses for one cycle per spike with its neuron ``index`` and time
    ``step``; ``total`` counts this image's spikes so far (it changes exactly
    once per spike, so a monitor can wait on it instead of on every clock).
    """
    return wiring.Signature(
        {
            "valid": Out(1),
            "index": Out(abits(n)),
            "step": Out(abits(timesteps)),
            "total": Out((n * timesteps).bit_length()),
        }
    )


ENCODE_WAIVER = (
    "// UNUSEDSIGNAL encode: a direct-coded generator has one input source, its current.\n"
    'lint_off -rule UNUSEDSIGNAL -file "*{verilog}" -match "*not used: \'encode\'*"\n'
)

WHAT = {"count_layer": "layer", "count_addr": "word", "vector": "vector"}


def one_choice_waivers(c, vectors: int, aliases: dict | None = None) -> str:
    """Lint waivers for the address ports that choose among one thing: ``count_layer`` in a one-layer
    network, ``count_addr`` when every layer is one word (``P >= N_l``), ``vector`` when the Spike ROM
    holds one vector. Nothing reads them then; they stay so that the interface is the same for every
    network. ``aliases``: the name a wrapping top gives a port, waived beside the port's own."""
    ports = ((["count_layer"] if c.layers == 1 else []) + (["count_addr"] if c.max_groups == 1 else [])
             + (["vector"] if vectors == 1 else []))
    aliases = aliases or {}
    return "".join(
        f"// UNUSEDSIGNAL {name}: it chooses among one {WHAT[p]}.\n"
        f'lint_off -rule UNUSEDSIGNAL -file "*{{verilog}}" -match "*not used: \'{name}\'*"\n'
        for p in ports for name in (p, *([aliases[p]] if p in aliases else [])))


def generator_ports(c, vectors: int) -> dict:
    """The generator's ports (`Generator`), which its ANN twin (`hw.ann_twin.AnnTwin`) has too."""
    members = {
        "start": In(1),
        "encode": In(1),
        "vector": In(abits(vectors)),
        "busy": Out(1),
        "done": Out(1),
        "cycles": Out(CYCLE_BITS),
        "count_layer": In(abits(c.layers)),
        "count_addr": In(abits(c.max_groups)),
        "count_data": Out(c.lanes * c.count_bits),
        "noise": In(ram_write_signature(vectors * c.sizes[0], c.noise_bits)),
        "seed": In(32),
        "draw": In(1),
    }
    for l, n in enumerate(c.sizes):
        members[f"spikes{l}"] = Out(probe_signature(n, c.timesteps))
    return members


def count_read_out(m: Module, top, layers) -> None:
    """``top``'s read-out: ``count_layer`` (registered: latency 1, as the layers' counter memories) picks the layer
    whose ``count_data`` at ``count_addr`` shows."""
    sel = Signal(abits(len(layers)))
    m.d.sync += sel.eq(top.count_layer)
    m.d.comb += [layer.count_addr.eq(top.count_addr) for layer in layers]
    out = layers[-1].count_data.as_value()
    for i in reversed(range(len(layers) - 1)):
        out = Mux(sel == i, layers[i].count_data.as_value(), out)
    m.d.comb += top.count_data.eq(out)


def runtime_noise(m: Module, top, write) -> Signal:
    """``top``'s run-time noise, into its noise memory's write port ``write``: ``draw`` (while not ``busy``, and
    ``start`` low) runs the on-chip `NoiseSource` from ``seed`` into vector ``vector``; while it is idle the
    ``noise`` port writes. Returns the register ``top`` sets while an image runs: ``busy`` is it or the source's
    ``busy``."""
    m.submodules.noise_source = source = NoiseSource(top.config, top.vectors)
    running = Signal()
    m.d.comb += top.busy.eq(running | source.busy)
    m.d.comb += [source.start.eq(top.draw & ~top.busy & ~top.start), source.seed.eq(top.seed),
                 source.vector.eq(top.vector)]
    with m.If(source.busy):
        m.d.comb += [write.addr.eq(source.noise.addr), write.data.eq(source.noise.data), write.en.eq(source.noise.en)]
    with m.Else():
        m.d.comb += [write.addr.eq(top.noise.addr), write.data.eq(top.noise.data), write.en.eq(top.noise.en)]
    return running


class Generator(wiring.Component):
    """The spiking generator of ``net``'s shape, ``docs/hardware-architecture.md``.

    ``start`` (while not ``busy``): clears every layer and runs one image from
    stored vector ``vector`` (``encode`` = 0: stored spike trains, 1: on-chip
    encoder; without ``stored_trains`` always the encoder, see `SpikeRom`; a
    direct-coded network computes layer 1's current first and ignores ``encode``,
    see `DirectInput`; the submodule ``source`` is the one or the other). The layers run as a
    pipeline, each up to two time steps ahead of the next; a ramp network's layers (`RampLayer`) run
    one window after another, each firing while the next integrates. ``done`` rises when the last layer has
    swept step ``T - 1`` and stays high until the next ``start``; ``cycles`` counts the clock
    cycles from ``start`` to ``done``.

    Read-out (latency 1): ``count_layer`` (0-based: layer ``l + 1``) and
    ``count_addr`` (group ``g``) give ``count_data``, lane ``p`` = the spike
    count of neuron ``g * P + p``. The last layer's counts are the image.

    ``spikes0`` (the input) .. ``spikes{L}`` (the output): per-layer spike-event
    ports (see `probe_signature`); ``spikes{L}`` is the output spike-event port.

    Run-time noise (`runtime_noise`): ``noise`` writes encoder inputs ``X`` into the noise memory (word
    ``v * N_0 + i`` = ``X_i`` of vector ``v``); ``draw`` fills vector ``vector`` from the on-chip source seeded
    by ``seed`` (``busy`` for ``N_0 + 1`` cycles). An image started after either reads the new ``X`` through the
    encoder (or the direct input); the stored trains stay as exported.
    """

    def __init__(self, net: IntNetwork, vectors: int, stored_trains: bool = True):
        c = net.config
        if vectors < 1:
            raise ValueError(f"the Spike ROM needs at least one vector, got {vectors}")
        self.config = c
        self.vectors = vectors
        self.rom_params = None if c.direct else SpikeRomParams.of(c, vectors, stored_trains)
        self.layer_params = [LayerParams.of(net, l) for l in range(1, c.layers + 1)]
        self.count_bits = c.count_bits
        self.lint_waivers = one_choice_waivers(c, vectors) + (ENCODE_WAIVER if c.direct else "")
        super().__init__(generator_ports(c, vectors))

    def elaborate(self, platform):
        m = Module()
        c = self.config
        T = c.timesteps
        if c.direct:
            m.submodules.source = source = DirectInput(c, self.vectors)
        else:
            m.submodules.source = source = SpikeRom(self.rom_params)
            m.d.comb += source.encode.eq(self.encode)
        layers = []
        for l, lp in enumerate(self.layer_params, start=1):
            layer = RampLayer(lp) if c.neuron == "ramp" else LifLayer(lp)
            m.submodules[f"layer{l}"] = layer
            layers.append(layer)
        streams = [source.events] + [layer.spikes for layer in layers]
        for l, (src, layer) in enumerate(zip(streams, layers)):
            buffer = m.submodules[f"buffer{l}"] = EventBuffer(c.sizes[l])
            wiring.connect(m, src, buffer.i)
            wiring.connect(m, buffer.o, layer.events)
        m.d.comb += streams[-1].ready.eq(1)
        if c.direct:
            wiring.connect(m, layers[0].current, source.current)

        running = runtime_noise(m, self, source.noise)
        launch = self.start & ~self.busy
        m.d.comb += [source.start.eq(launch), source.vector.eq(self.vector)]
        m.d.comb += [layer.clear.eq(launch) for layer in layers]

        # --- spike-event ports and the end of the image
        out_steps = Signal(abits(T))
        for l, s in enumerate(streams):
            probe = getattr(self, f"spikes{l}")
            step = Signal(abits(T), name=f"step{l}")
            xfer = s.valid & s.ready
            m.d.sync += probe.valid.eq(xfer & ~s.payload.eos)
            with m.If(xfer & ~s.payload.eos):
                m.d.sync += [probe.index.eq(s.payload.index), probe.step.eq(step), probe.total.eq(probe.total + 1)]
            with m.If(xfer & s.payload.eos):
                m.d.sync += step.eq(step + 1)
            with m.If(launch):
                m.d.sync += [step.eq(0), probe.total.eq(0)]
        last = streams[-1]
        with m.If(last.valid & last.payload.eos):
            m.d.sync += out_steps.eq(out_steps + 1)
            with m.If(out_steps == T - 1):
                m.d.sync += [running.eq(0), self.done.eq(1)]
        with m.If(running):
            m.d.sync += self.cycles.eq(self.cycles + 1)
        with m.If(launch):
            m.d.sync += [running.eq(1), self.done.eq(0), self.cycles.eq(0), out_steps.eq(0)]

        count_read_out(m, self, layers)
        return m
