"""Spike ROM: the generator's input spikes, stored or made on chip by the encoder of the coding
(the rate encoder of Eq. 4, or one spike per input at its stored time for TTFS)."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.events import EventSerialiser, event_signature
from hw.rom import Ram, Rom, ram_write_signature
from hw.ttfs_lists import TtfsLists
from hw.widths import abits
from hw.xorshift import xorshift32
from model.snn.config import NOISE_FILE, SPIKE_FILE, SnnConfig


@dataclass(frozen=True)
class SpikeRomParams:
    """Shape of the Spike ROM: ``vectors`` stored noise vectors of ``n_inputs`` inputs, ``timesteps`` steps."""

    n_inputs: int
    timesteps: int
    input_bits: int
    rng_seed: int
    vectors: int
    stored_trains: bool = True  # False: no stored-train memory; every image uses the on-chip encoder
    coding: str = "bernoulli"
    spike_file: str = SPIKE_FILE
    noise_file: str = NOISE_FILE

    @classmethod
    def of(cls, config: SnnConfig, vectors: int, stored_trains: bool = True) -> "SpikeRomParams":
        return cls(config.sizes[0], config.timesteps, config.input_bits, config.rng_seed, vectors, stored_trains,
                   config.coding)


# The codings with input spikes (direct coding has none: `hw.direct_input.DirectInput` drives layer 1).
SPIKE_CODINGS = ("bernoulli", "stratified", "ttfs")


class SpikeRom(wiring.Component):
    """Emits ``spike_0[t]`` for ``t = 0 .. T-1`` as events: ascending inputs, then a marker.

    ``start`` (while not ``busy``) latches ``encode`` and ``vector``:

    * ``encode = 0``: word ``vector * T + t`` of ``spike_file`` (``V * T`` words
      of ``N_0`` bits, bit ``i`` = ``spike_0[t][i]``, the concatenated
      ``vector{n}_spikes.mem``);
    * ``encode = 1``: the on-chip encoder of the semantics doc: ``X_i`` from
      word ``vector * N_0 + i`` of ``noise_file`` (the concatenated
      ``vector{n}_noise.mem``, ``R + 1`` bits), and a xorshift32 generator
      restarted from the seed at ``start`` and stepped once per input per step:
      ``spike_0[t][i] = X_i > (s >> (32 - R))`` (stratified: the bit-reversed
      step in place of the random number); with the ``ttfs`` coding ``X_i`` is
      a spike time and ``spike_0[t][i] = (X_i == t)``, made by `TtfsLists`
      from lists of the inputs by spike time.

    ``noise`` writes the noise memory (run-time noise: the host's, or `hw.noise_source.NoiseSource`'s), so
    the encoder's next image of that vector reads the new ``X``; the stored trains do not change.

    Without ``stored_trains`` there is no ``spike_file`` memory (``V * T * N_0``
    bits saved, e.g. for small FPGAs) and ``encode`` is ignored: always 1.

    A step's word takes 2 cycles (stored), ``N_0 + 1`` cycles (rate encoder)
    or ``E_t + 3`` for ``E_t`` spikes (TTFS encoder, after ``T + N_0 + 2``
    cycles at the start of the image) to make, overlapped with emitting the
    previous step (one event per cycle, then the marker). ``busy`` falls when
    the last marker has been taken.
    """

    def __init__(self, params: SpikeRomParams):
        p = params
        if p.n_inputs < 1 or p.timesteps < 1 or p.vectors < 1 or not 1 <= p.input_bits <= 31:
            raise ValueError(f"bad Spike ROM shape {p}")
        if not 0 < p.rng_seed < 2**32:
            raise ValueError(f"xorshift32 seed must be a non-zero 32-bit value, got {p.rng_seed}")
        if p.coding not in SPIKE_CODINGS:
            raise ValueError(f"the Spike ROM encodes {', '.join(map(repr, SPIKE_CODINGS))}, not {p.coding!r}")
        self.params = p
        super().__init__(
            {
                "start": In(1),
                "encode": In(1),
                "vector": In(abits(p.vectors)),
                "busy": Out(1),
                "events": Out(event_signature(p.n_inputs)),
                "noise": In(ram_write_signature(p.vectors * p.n_inputs, p.input_bits + 1)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        p = self.params
        N, T, R = p.n_inputs, p.timesteps, p.input_bits
        m.submodules.noise_ram = noise = Ram(R + 1, p.vectors * N, p.noise_file)
        wiring.connect(m, wiring.flipped(self.noise), noise.write)
        nrom = noise.read
        m.submodules.serialiser = ser = EventSerialiser(N, N, every_word_closes=True)
        wiring.connect(m, ser.o, wiring.flipped(self.events))

        encode = Signal()
        producing = Signal()  # more words to start
        issue_step = Signal(abits(T))
        word = Signal(N)  # a finished step, waiting for the emitter
        full = Signal()
        emitted_steps = Signal(abits(T))

        # --- stored trains: one ROM read per step
        s_addr = Signal(abits(p.vectors * T))
        s_wait = Signal()
        s_issue = producing & ~encode & ~full & ~s_wait
        if p.stored_trains:
            m.submodules.spike_rom = srom = Rom(N, p.vectors * T, p.spike_file)
            m.d.comb += [srom.addr.eq(s_addr), srom.en.eq(s_issue)]
            with m.If(s_issue):
                m.d.sync += [s_wait.eq(1), s_addr.eq(s_addr + 1)]
            with m.If(s_wait):
                m.d.sync += [s_wait.eq(0), word.eq(srom.data), full.eq(1)]

        # --- on-chip encoder
        n_base = Signal(abits(p.vectors * N))  # X_0 of the chosen vector
        go = producing & encode & ~full
        launch = self.start & ~self.busy
        if p.coding == "ttfs":
            n_step_done = self._ttfs_encoder(m, nrom, n_base, launch & (self.encode if p.stored_trains else 1), go,
                                             word, full)
        else:
            n_step_done = self._comparator_encoder(m, nrom, n_base, launch, go, word, full, issue_step)

        # --- steps issued (either source)
        step_issued = s_issue | n_step_done
        with m.If(step_issued):
            m.d.sync += issue_step.eq(issue_step + 1)
            with m.If(issue_step == T - 1):
                m.d.sync += producing.eq(0)

        # --- emitter: each finished word, its events ascending, then its marker
        m.d.comb += [ser.i.valid.eq(full), ser.i.payload.bits.eq(word)]
        with m.If(ser.i.valid & ser.i.ready):
            m.d.sync += full.eq(0)
        with m.If(self.events.valid & self.events.ready & self.events.payload.eos):
            m.d.sync += emitted_steps.eq(emitted_steps + 1)
            with m.If(emitted_steps == T - 1):
                m.d.sync += self.busy.eq(0)

        with m.If(self.start & ~self.busy):
            m.d.sync += [
                self.busy.eq(1),
                encode.eq(self.encode if p.stored_trains else 1),
                producing.eq(1),
                issue_step.eq(0),
                emitted_steps.eq(0),
                s_addr.eq(self.vector * T),
                n_base.eq(self.vector * N),
            ]
        return m

    def _comparator_encoder(self, m: Module, nrom, n_base, launch, go, word, full, issue_step):
        """The rate codings' encoder: each step reads every ``X_i`` (cycle c) and compares it with the step's
        threshold (c + 1): the next xorshift32 number (restarted from the seed at ``launch``), or the
        bit-reversed step (stratified). Returns the signal that is high in the cycle a step's last input is
        read."""
        p = self.params
        N, T, R = p.n_inputs, p.timesteps, p.input_bits
        n_input = Signal(abits(N))
        n_wait, n_last = Signal(), Signal()
        # The next step's first input may be read while this step's last arrives: it lands in ``acc``. With
        # one input it would land in ``word`` itself, still full, so a one-input encoder waits for its read.
        n_issue = Signal()
        m.d.comb += n_issue.eq(go)
        if N == 1:
            m.d.comb += n_issue.eq(go & ~n_wait)
        rng = Signal(32)
        acc = Signal(max(1, N - 1))  # the inputs so far, shifting down, so input i ends at bit i
        m.d.comb += [nrom.addr.eq(n_base + n_input), nrom.en.eq(n_issue)]
        m.d.sync += [n_wait.eq(n_issue), n_last.eq(n_issue & (n_input == N - 1))]
        with m.If(n_issue):
            m.d.sync += n_input.eq(n_input + 1)
            with m.If(n_input == N - 1):
                m.d.sync += n_input.eq(0)
        stepped = Signal(32)
        spike = Signal()
        n_step = Signal(abits(T))  # the step of the input read last cycle
        m.d.sync += n_step.eq(issue_step)
        if p.coding == "stratified":  # the step's R low bits reversed (`model.snn.golden.stratified_thresholds`)
            low = n_step.as_unsigned()[:R] if len(n_step) >= R else Cat(n_step, Const(0, R - len(n_step)))
            fires = nrom.data > Cat(*(low[k] for k in reversed(range(R))))
        else:
            fires = nrom.data > stepped[32 - R :]
        m.d.comb += [stepped.eq(xorshift32(rng)), spike.eq(fires)]
        shifted = Cat(acc, spike) if N > 1 else spike
        with m.If(n_wait):
            m.d.sync += [rng.eq(stepped), acc.eq(shifted[1:] if N > 1 else 0)]
            with m.If(n_last):
                m.d.sync += [word.eq(shifted), full.eq(1)]
        with m.If(launch):
            m.d.sync += [n_input.eq(0), rng.eq(p.rng_seed)]
        return n_issue & (n_input == N - 1)

    def _ttfs_encoder(self, m: Module, nrom, n_base, launch, go, word, full):
        """The TTFS encoder (`TtfsLists`): started with the image, it hands over one word per step while
        ``go``. Returns the signal that is high in the cycle a word is taken."""
        p = self.params
        m.submodules.ttfs_lists = lists = TtfsLists(p.n_inputs, p.timesteps, p.vectors * p.n_inputs, p.input_bits + 1)
        wiring.connect(m, lists.noise, nrom)
        m.d.comb += [lists.start.eq(launch), lists.base.eq(n_base), lists.words.ready.eq(go)]
        taken = lists.words.valid & lists.words.ready
        with m.If(taken):
            m.d.sync += [word.eq(lists.words.payload), full.eq(1)]
        return taken
