"""The on-chip TTFS encoder: each input in the list of its spike time, so a step costs its own spikes' cycles."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, unsigned
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.rom import rom_read_signature
from hw.widths import abits


class Phase(enum.Enum, shape=3):
    """Where `TtfsLists` is: idle, clearing the lists, building them, draining the build pipeline, or walking
    step ``t``'s list (reading it, its head, its links) and offering the word."""

    IDLE = 0
    CLEAR = 1
    BUILD = 2
    DRAIN = 3
    LIST = 4
    HEAD = 5
    LINK = 6
    OFFER = 7


class TtfsLists(wiring.Component):
    """``spike_0[t][i] = (X_i == t)`` word by word, in ``T + N_0 + 2`` cycles per image plus ``E_t + 3`` per step.

    ``start`` (with ``base``, the noise ROM address of ``X_0``, held until the
    first word) runs three phases:

    * clear (``T`` cycles): every step's list empty;
    * build (``N_0`` cycles, then 1 to drain): ``X_i`` read for ascending ``i``
      and ``i`` appended to list ``X_i`` (an input at ``X_i >= T`` never fires
      and joins none). A list is ``{seen, head, tail}`` in a ``T``-word memory
      and a link ``next[i]`` in an ``N_0``-word one; the list memory's read
      port is transparent to its write port, so an input whose list the
      previous input has just extended reads the new tail (and the walk may
      read list 0 while the last input is written);
    * walk, for ``t = 0 .. T - 1``: read list ``t``, then follow its links,
      one input per cycle, setting bit ``i`` of the step's word, and offer the
      word on ``words``; the next step starts when it is taken.

    The per-step scan of all ``N_0`` inputs that a comparator encoder needs
    (``N_0 + 1`` cycles every step, see `hw.spike_rom.SpikeRom`) is gone: a
    TTFS input fires once, so the walks of an image visit ``N_0`` inputs in all.

    Members
    -------
    start : ``In(1)``
    base : ``In(abits(noise_depth))``
    noise : ``Out(rom_read_signature(noise_depth, noise_bits))``
    words : ``Out(stream.Signature(N_0))``
        One word per step, ``T`` in all, bit ``i`` = ``spike_0[t][i]``.
    """

    def __init__(self, n_inputs: int, timesteps: int, noise_depth: int, noise_bits: int):
        if n_inputs < 1 or timesteps < 1 or noise_depth < n_inputs or (timesteps - 1).bit_length() > noise_bits:
            raise ValueError(f"bad TTFS encoder shape: {n_inputs} inputs, T = {timesteps}, "
                             f"{noise_depth} x {noise_bits}-bit noise ROM")
        self.n_inputs, self.timesteps = n_inputs, timesteps
        super().__init__({
            "start": In(1),
            "base": In(abits(noise_depth)),
            "noise": Out(rom_read_signature(noise_depth, noise_bits)),
            "words": Out(stream.Signature(n_inputs)),
        })

    @property
    def list_layout(self) -> data.StructLayout:
        return data.StructLayout({"seen": 1, "head": abits(self.n_inputs), "tail": abits(self.n_inputs)})

    def elaborate(self, platform):
        m = Module()
        N, T = self.n_inputs, self.timesteps
        m.submodules.lists = lists = Memory(shape=self.list_layout, depth=T, init=[])
        l_wr = lists.write_port()
        l_rd = lists.read_port(transparent_for=(l_wr,))
        m.submodules.links = links = Memory(shape=unsigned(abits(N)), depth=N, init=[])
        n_wr, n_rd = links.write_port(), links.read_port()

        step = Signal(abits(T))  # the list being cleared, or the step being walked
        i = Signal(abits(N))
        b1_valid, b1_i = Signal(name="b1_valid"), Signal(abits(N), name="b1_i")  # X of b1_i arrives
        b2_valid, b2_i = Signal(name="b2_valid"), Signal(abits(N), name="b2_i")  # its list arrives
        b2_t = Signal(abits(T), name="b2_t")
        x = self.noise.data
        m.d.sync += [b1_valid.eq(0), b2_valid.eq(b1_valid & (x < T)), b2_i.eq(b1_i), b2_t.eq(x)]

        # --- build: append b2_i to list b2_t (the write-back of the pipeline above)
        entry = l_rd.data
        with m.If(b2_valid):
            m.d.comb += [
                l_wr.addr.eq(b2_t), l_wr.en.eq(1), l_wr.data.seen.eq(1), l_wr.data.tail.eq(b2_i),
                l_wr.data.head.eq(Mux(entry.seen, entry.head, b2_i)),
            ]
            m.d.comb += [n_wr.addr.eq(entry.tail), n_wr.en.eq(entry.seen), n_wr.data.eq(b2_i)]
        with m.If(b1_valid):
            m.d.comb += [l_rd.addr.eq(x), l_rd.en.eq(1)]

        word = Signal(N)
        tail = Signal(abits(N))
        m.d.comb += self.words.payload.eq(word)
        state = Signal(Phase)
        with m.If(state == Phase.IDLE):
            with m.If(self.start):
                m.d.sync += [step.eq(0), state.eq(Phase.CLEAR)]
        with m.Elif(state == Phase.CLEAR):
            m.d.comb += [l_wr.addr.eq(step), l_wr.en.eq(1), l_wr.data.eq(0)]
            m.d.sync += step.eq(step + 1)
            with m.If(step == T - 1):
                m.d.sync += [step.eq(0), i.eq(0), state.eq(Phase.BUILD)]
        with m.Elif(state == Phase.BUILD):
            m.d.comb += [self.noise.addr.eq(self.base + i), self.noise.en.eq(1)]
            m.d.sync += [b1_valid.eq(1), b1_i.eq(i), i.eq(i + 1)]
            with m.If(i == N - 1):
                m.d.sync += state.eq(Phase.DRAIN)
        with m.Elif(state == Phase.DRAIN):  # the last input's list is written while list 0 is read: transparent
            with m.If(~b1_valid):
                m.d.sync += state.eq(Phase.LIST)
        with m.Elif(state == Phase.LIST):  # read list `step`
            m.d.comb += [l_rd.addr.eq(step), l_rd.en.eq(1)]
            m.d.sync += [word.eq(0), state.eq(Phase.HEAD)]
        with m.Elif(state == Phase.HEAD):
            m.d.sync += [tail.eq(entry.tail), state.eq(Phase.OFFER)]
            with m.If(entry.seen):
                m.d.sync += word.bit_select(entry.head, 1).eq(1)
                m.d.comb += [n_rd.addr.eq(entry.head), n_rd.en.eq(1)]
                with m.If(entry.head != entry.tail):
                    m.d.sync += state.eq(Phase.LINK)
        with m.Elif(state == Phase.LINK):  # the input after the one set last cycle
            m.d.sync += word.bit_select(n_rd.data, 1).eq(1)
            m.d.comb += [n_rd.addr.eq(n_rd.data), n_rd.en.eq(1)]
            with m.If(n_rd.data == tail):
                m.d.sync += state.eq(Phase.OFFER)
        with m.Else():  # OFFER
            m.d.comb += self.words.valid.eq(1)
            with m.If(self.words.ready):
                m.d.sync += [step.eq(step + 1), state.eq(Phase.LIST)]
                with m.If(step == T - 1):
                    m.d.sync += state.eq(Phase.IDLE)
        return m
