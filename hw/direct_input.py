"""Direct coding's input: layer 1's current ``C = B_1 + W_1 X``, computed once per image, then the step markers."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.events import event_signature
from hw.rom import Ram, Rom, ram_write_signature, rom_read_signature
from hw.widths import abits
from model.snn.config import NOISE_FILE, SnnConfig


class DirectInput(wiring.Component):
    """The input stage of a direct-coded generator (``docs/hardware-semantics.md``, "Input: direct current").

    ``start`` (while not ``busy``) fills a ``G_1``-word current RAM for stored
    vector ``vector`` (``X_i`` at word ``vector * N_0 + i`` of ``noise_file``):
    for each group ``g``, ascending, an accumulator starts at the bias word
    ``B_1[g]`` and adds, lane by lane, ``W_1[i * G_1 + g] * X_i`` for
    ``i = 0 .. N_0 - 1``, one weight word per cycle (``N_0 * G_1`` cycles; the
    ROM outputs and the products are registered, so neither a multiplier nor
    an adder follows a memory output in the same cycle), and its last sum is
    written to word ``g``. No order of these additions can leave the ``m``-bit range
    (`IntNetwork` refuses a network where one could), so the adders need no
    saturation. Then it emits ``T`` end-of-step markers on ``events`` (no
    spikes) and ``busy`` falls when the last is taken. Layer 1 reads the current
    through ``current``, a read port like its bias ROM's (word ``g``, lane ``p``
    = ``C[g P + p]``), so this stage owns the layer's weight and bias ROMs.

    Members
    -------
    start : ``In(1)``
    vector : ``In(abits(vectors))``
    busy : ``Out(1)``
    events : ``Out(event_signature(N_0))``
    current : ``In(rom_read_signature(G_1, P * m))``
    noise : ``In(ram_write_signature(vectors * N_0, R + 1))``
        Writes the noise memory (run-time noise), read by the next ``start``.
    """

    def __init__(self, config: SnnConfig, vectors: int):
        if not config.direct:
            raise ValueError(f"a direct input drives a direct-coded network, not a {config.coding!r}-coded one")
        if vectors < 1:
            raise ValueError(f"the noise ROM needs at least one vector, got {vectors}")
        self.config, self.vectors = config, vectors
        super().__init__({
            "start": In(1),
            "vector": In(abits(vectors)),
            "busy": Out(1),
            "events": Out(event_signature(config.sizes[0])),
            "current": In(rom_read_signature(self.groups, config.bias_word_bits)),
            "noise": In(ram_write_signature(vectors * config.sizes[0], config.noise_bits)),
        })

    @property
    def groups(self) -> int:
        return self.config.groups(1)

    @property
    def lane_layout(self) -> data.ArrayLayout:
        return data.ArrayLayout(signed(self.config.membrane_bits), self.config.lanes)

    def elaborate(self, platform):
        m = Module()
        c, G = self.config, self.groups
        N, P, q = c.sizes[0], c.lanes, c.weight_bits
        m.submodules.noise_ram = noise = Ram(c.noise_bits, self.vectors * N, NOISE_FILE)
        wiring.connect(m, wiring.flipped(self.noise), noise.write)
        x_rom = noise.read
        m.submodules.weight_rom = w_rom = Rom(P * q, N * G, c.weight_file(1))
        m.submodules.bias_rom = b_rom = Rom(c.bias_word_bits, G, c.bias_file(1))
        m.submodules.current_mem = mem = Memory(shape=self.lane_layout, depth=G, init=[])
        wr, rd = mem.write_port(), mem.read_port()
        m.d.comb += [rd.addr.eq(self.current.addr), rd.en.eq(self.current.en), self.current.data.eq(rd.data)]

        # --- issue (cycle c): W[i G + g], X_i and, at i = 0, B[g]
        filling = Signal()
        i, g = Signal(abits(N)), Signal(abits(G))
        w_addr = Signal(abits(N * G))
        x_base = Signal(abits(self.vectors * N))
        last_i = i == N - 1
        m.d.comb += [
            w_rom.addr.eq(w_addr), w_rom.en.eq(filling),
            x_rom.addr.eq(x_base + i), x_rom.en.eq(filling),
            b_rom.addr.eq(g), b_rom.en.eq(filling & (i == 0)),
        ]
        with m.If(filling):
            m.d.sync += [i.eq(Mux(last_i, 0, i + 1)), w_addr.eq(Mux(last_i, g + 1, w_addr + G))]
            with m.If(last_i):
                m.d.sync += g.eq(g + 1)
                with m.If(g == G - 1):
                    m.d.sync += filling.eq(0)
        s1 = _Stage(G, "s1")
        m.d.sync += [s1.valid.eq(filling), s1.first.eq(i == 0), s1.last.eq(last_i), s1.g.eq(g)]

        # --- register (c + 1): the ROM outputs into registers, so the multipliers start from registers
        s2 = _Stage(G, "s2")
        weights = Signal(data.ArrayLayout(signed(q), P))
        x = Signal(c.noise_bits)
        bias2 = Signal(self.lane_layout)
        m.d.sync += [s2.valid.eq(s1.valid), s2.first.eq(s1.first), s2.last.eq(s1.last), s2.g.eq(s1.g),
                     weights.eq(w_rom.data), x.eq(x_rom.data), bias2.eq(b_rom.data)]

        # --- multiply (c + 2): the lane products into registers
        s3 = _Stage(G, "s3")
        products = Signal(data.ArrayLayout(signed(q + c.noise_bits + 1), P))
        bias = Signal(self.lane_layout)
        m.d.sync += [s3.valid.eq(s2.valid), s3.first.eq(s2.first), s3.last.eq(s2.last), s3.g.eq(s2.g),
                     bias.eq(bias2)]
        m.d.sync += [products[p].eq(weights[p] * x) for p in range(P)]

        # --- accumulate (c + 3): a group's last sum goes into the current RAM
        acc = Signal(self.lane_layout)
        total = Signal(self.lane_layout)
        m.d.comb += [total[p].eq(Mux(s3.first, bias[p], acc[p]) + products[p]) for p in range(P)]
        with m.If(s3.valid):
            m.d.sync += acc.eq(total)
        m.d.comb += [wr.addr.eq(s3.g), wr.en.eq(s3.valid & s3.last), wr.data.eq(total)]

        # --- the step markers, after the last group is written
        emitting = Signal()
        markers = Signal(abits(c.timesteps))
        m.d.comb += [self.events.valid.eq(emitting), self.events.payload.eos.eq(1)]
        with m.If(s3.valid & s3.last & (s3.g == G - 1)):
            m.d.sync += emitting.eq(1)
        with m.If(self.events.valid & self.events.ready):
            m.d.sync += markers.eq(markers + 1)
            with m.If(markers == c.timesteps - 1):
                m.d.sync += [emitting.eq(0), self.busy.eq(0)]

        with m.If(self.start & ~self.busy):
            m.d.sync += [self.busy.eq(1), filling.eq(1), i.eq(0), g.eq(0), w_addr.eq(0), markers.eq(0),
                         x_base.eq(self.vector * N)]
        return m


class _Stage:
    """One pipeline stage's control: valid, the first and last input of a group, the group."""

    def __init__(self, groups: int, name: str):
        self.valid, self.first, self.last = Signal(name=f"{name}_valid"), Signal(name=f"{name}_first"), Signal(name=f"{name}_last")
        self.g = Signal(abits(groups), name=f"{name}_g")
