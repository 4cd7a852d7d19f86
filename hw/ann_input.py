"""The ANN twin's input: a stored vector's activations, sent as value-carrying events."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.events import event_signature
from hw.rom import Ram, ram_write_signature
from hw.widths import abits
from hw.ann_layer import value_bits
from model.snn.config import ACTIVATION_FILE


class ActivationInput(wiring.Component):
    """Sends the ``n`` input activations of stored vector ``vector`` (``a_i = T - X_i``, the value of an input
    that spikes at step ``X_i``), ascending, then one marker.

    The activation ROM (``ACTIVATION_FILE``: ``V * n`` words of ``value_bits``, vector after vector) is read one
    word a cycle while the output register is free or being taken, so events follow each other without a gap.
    ``dense``: every input is sent; otherwise only the non-zero ones.

    Members
    -------
    start : ``In(1)``
        Begin the vector ``vector`` names (while idle).
    vector : ``In(abits(vectors))``
    events : ``Out(event_signature(n, value_bits))``
    noise : ``In(ram_write_signature(n * vectors, noise_bits))``
        Run-time noise: a spike time ``X`` written here is stored as the activation ``T - X``.
    """

    def __init__(self, n: int, vectors: int, timesteps: int, noise_bits: int, dense: bool):
        if n < 1 or vectors < 1 or timesteps < 1 or noise_bits < 1:
            raise ValueError(f"bad activation input: {n} inputs, {vectors} vectors, T = {timesteps}, "
                             f"{noise_bits}-bit noise")
        self.n, self.vectors, self.timesteps, self.dense = n, vectors, timesteps, dense
        super().__init__({"start": In(1), "vector": In(abits(vectors)),
                          "events": Out(event_signature(n, self.value_bits)),
                          "noise": In(ram_write_signature(n * vectors, noise_bits))})

    @property
    def value_bits(self) -> int:
        return value_bits(self.timesteps)

    def elaborate(self, platform):
        m = Module()
        n = self.n
        m.submodules.ram = ram = Ram(self.value_bits, n * self.vectors, ACTIVATION_FILE)
        rom = ram.read
        m.d.comb += [ram.write.addr.eq(self.noise.addr), ram.write.en.eq(self.noise.en),
                     ram.write.data.eq(self.timesteps - self.noise.data)]
        addr = Signal(abits(n * self.vectors))
        index = Signal(range(n + 1))  # the next input to read
        pending = Signal()  # the ROM shows input `index - 1`
        running = Signal()
        o = self.events
        free = ~o.valid | o.ready
        read = running & free & (index != n)
        m.d.comb += [rom.addr.eq(addr), rom.en.eq(read)]
        with m.If(free):
            m.d.sync += o.valid.eq(0)
            with m.If(pending):
                m.d.sync += [o.valid.eq(self.dense | (rom.data != 0)), o.payload.eos.eq(0),
                             o.payload.index.eq(index - 1), o.payload.value.eq(rom.data)]
            with m.Elif(running & (index == n)):
                m.d.sync += [o.valid.eq(1), o.payload.eos.eq(1), running.eq(0)]
            m.d.sync += pending.eq(read)
        with m.If(read):
            m.d.sync += [index.eq(index + 1), addr.eq(addr + 1)]
        with m.If(self.start & ~running):
            m.d.sync += [running.eq(1), index.eq(0), addr.eq(self.vector * n), pending.eq(0)]
        return m
