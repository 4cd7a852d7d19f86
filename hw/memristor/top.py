"""The memristor spiking GAN on chip: initialisation, spike encoders and the three
training stages (Fig. 2), repeated for a given number of iterations.

After ``start`` the top samples ``seed``, ``target`` (flat binary image, bit ``p``
= pixel ``p``) and ``iterations``, then, with one xorshift32 generator stepped
once per draw in exactly the order of ``model.memristor.fixed.FixedGan``:

1. initial states: every G synapse, then every D synapse, in address order,
   ``lo + below(hi - lo + 1)`` (one draw and one write per cycle);
2. per iteration: encode the real image into the image raster (foreground pixels:
   spike count, then distinct times by rejection; background pixels: a zero word),
   encode the noise raster (count by the 16-bit inverse-CDF table, then times);
   stage 1 (D learns on the real image: true REWARD, false PUNISH); stage 2 (G runs
   on the noise, its spike trains overwrite the image raster, then D learns on them:
   true PUNISH, false REWARD); stage 3 (G learns on the same noise, each neuron's
   mode from Eq. 3 on D's two states, read through D's read-back port);
3. ``iter_done`` pulses with that iteration's D spike counts and G spike totals;
   after the last iteration ``done`` pulses.

``below(n) = (s * n) >> 32`` of the new state ``s``. While idle, ``rb_sel``/``rb_addr``
read (one cycle latency) 0: G states, 1: D states, 2: image raster (the last
fake in stage 2), 3: noise raster.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.memristor.crossbar import CrossbarLayer
from hw.memristor.neuron import RewardBackprop
from hw.memristor.synapse import Mode
from hw.xorshift import xorshift32
from model.common.errors import UserError
from model.memristor.data import noise_count_thresholds
from model.memristor.fixed import FixedSpec
from model.memristor.gan import GanParams

ITER_BITS = 16


class MemristorGanTop(wiring.Component):
    def __init__(self, p: GanParams, spec: FixedSpec):
        if spec.gen.n_out != spec.disc.n_in or spec.disc.n_out != 2:
            raise UserError("the top needs G outputs = D inputs and two D outputs (true, false).")
        self.p, self.spec = p, spec
        self.thresholds = noise_count_thresholds(p.enc)
        n_pix, n_lat, steps = p.n_pixels, p.n_latent, spec.steps
        depth = max(n_pix * n_lat, 2 * n_pix)
        super().__init__(
            {
                "start": In(1),
                "seed": In(32),
                "target": In(n_pix),
                "iterations": In(ITER_BITS),
                "busy": Out(1),
                "done": Out(1),
                "iter_done": Out(1),
                "iter_count": Out(ITER_BITS),
                "d_real_true": Out(range(steps + 1)),
                "d_real_false": Out(range(steps + 1)),
                "d_fake_true": Out(range(steps + 1)),
                "d_fake_false": Out(range(steps + 1)),
                "fake_spikes": Out(range(n_pix * steps + 1)),
                "learn_spikes": Out(range(n_pix * steps + 1)),
                "rb_sel": In(2),
                "rb_addr": In(range(depth)),
                "rb_data": Out(max(spec.state_bits, steps)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        p, spec = self.p, self.spec
        enc = p.enc
        n_pix, n_lat, steps = p.n_pixels, p.n_latent, spec.steps

        m.submodules.gen = gen = CrossbarLayer(spec, spec.gen)
        m.submodules.disc = disc = CrossbarLayer(spec, spec.disc)
        m.submodules.backprop = bp = RewardBackprop(spec.state_bits)
        m.submodules.image = image = Memory(shape=unsigned(steps), depth=n_pix, init=[])
        m.submodules.noise = noise = Memory(shape=unsigned(steps), depth=n_lat, init=[])
        image_rd, image_wr, image_rb = image.read_port(), image.write_port(), image.read_port()
        noise_rd, noise_wr, noise_rb = noise.read_port(), noise.write_port(), noise.read_port()

        # Layers read their input rasters; read-back ports serve the testbench.
        m.d.comb += [
            image_rd.addr.eq(disc.rin_addr),
            disc.rin_data.eq(image_rd.data),
            noise_rd.addr.eq(gen.rin_addr),
            gen.rin_data.eq(noise_rd.data),
            gen.rb_addr.eq(self.rb_addr),
            disc.rb_addr.eq(self.rb_addr),
            image_rb.addr.eq(self.rb_addr),
            noise_rb.addr.eq(self.rb_addr),
        ]
        with m.Switch(self.rb_sel):
            for sel, data in enumerate((gen.rb_data, disc.rb_data, image_rb.data, noise_rb.data)):
                with m.Case(sel):
                    m.d.comb += self.rb_data.eq(data)

        # The random source.
        s = Signal(32)
        s_next = Signal(32)
        m.d.comb += s_next.eq(xorshift32(s))

        def below(n: int):
            return (s_next * n) >> 32

        iterations = Signal(ITER_BITS)
        target = Signal(n_pix)
        k = Signal(ITER_BITS)
        addr = Signal(range(max(n_pix * n_lat, 2 * n_pix, n_pix, n_lat) + 1))
        need = Signal(range(max(enc.max_spikes, enc.noise_max) + 1))
        placed = Signal.like(need)
        word = Signal(steps)
        bp_phase = Signal(2)
        state_true = Signal(spec.state_bits)
        m.d.comb += self.iter_count.eq(k)

        lo, hi = spec.init_lo, spec.init_hi
        m.d.comb += [gen.wr_data.eq(lo + below(hi - lo + 1)), disc.wr_data.eq(lo + below(hi - lo + 1))]
        m.d.comb += [gen.wr_addr.eq(addr), disc.wr_addr.eq(addr)]

        # Rejection-sampled distinct spike times: one draw per cycle.
        t_draw = Signal(range(steps))
        m.d.comb += t_draw.eq(below(steps))
        fresh = ~word.bit_select(t_draw, 1)
        word_next = word | (1 << t_draw)
        filled = fresh & (placed + 1 == need)

        def place_times(wr, back: str):
            """One state of drawing the ``need`` spike times of pixel ``addr``; the full word goes to ``wr``."""
            m.d.comb += [self.busy.eq(1), wr.addr.eq(addr), wr.data.eq(word_next)]
            m.d.sync += s.eq(s_next)
            with m.If(fresh):
                m.d.sync += [word.eq(word_next), placed.eq(placed + 1)]
            with m.If(filled):
                m.d.comb += wr.en.eq(1)
                m.d.sync += addr.eq(addr + 1)
                m.next = back

        u = Signal(16)
        noise_count = Signal(range(len(self.thresholds) + 1))
        m.d.comb += u.eq(s_next[16:])
        m.d.comb += noise_count.eq(sum((u >= h) for h in self.thresholds) if self.thresholds else 0)

        # Discriminator modes: immediate acknowledge, fixed per stage.
        stage2 = Signal()
        truth = disc.index == 0
        m.d.comb += disc.mode_ack.eq(disc.mode_req)
        with m.If(truth ^ stage2):
            m.d.comb += disc.mode.eq(Mode.REWARD)
        with m.Else():
            m.d.comb += disc.mode.eq(Mode.PUNISH)

        # Generator modes (stage 3): Eq. 3 on D's states of pixel `gen.index`.
        m.d.comb += [bp.state_true.eq(state_true), bp.state_false.eq(disc.rb_data), gen.mode.eq(bp.mode)]

        def run(layer, learn: bool):
            m.d.comb += [layer.start.eq(1), layer.learn.eq(int(learn))]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [
                        s.eq(self.seed),
                        iterations.eq(self.iterations),
                        target.eq(self.target),
                        k.eq(0),
                        addr.eq(0),
                    ]
                    m.next = "INIT_G"
            with m.State("INIT_G"):
                m.d.comb += [self.busy.eq(1), gen.wr_en.eq(1)]
                m.d.sync += [s.eq(s_next), addr.eq(addr + 1)]
                with m.If(addr == n_pix * n_lat - 1):
                    m.d.sync += addr.eq(0)
                    m.next = "INIT_D"
            with m.State("INIT_D"):
                m.d.comb += [self.busy.eq(1), disc.wr_en.eq(1)]
                m.d.sync += [s.eq(s_next), addr.eq(addr + 1)]
                with m.If(addr == 2 * n_pix - 1):
                    m.d.sync += addr.eq(0)
                    m.next = "NEXT_ITER"
            with m.State("NEXT_ITER"):
                m.d.comb += self.busy.eq(1)
                with m.If(k == iterations):
                    m.d.comb += self.done.eq(1)
                    m.next = "IDLE"
                with m.Else():
                    m.next = "REAL_PIXEL"
            with m.State("REAL_PIXEL"):
                m.d.comb += [self.busy.eq(1), image_wr.addr.eq(addr), image_wr.data.eq(0)]
                with m.If(addr == n_pix):
                    m.d.sync += addr.eq(0)
                    m.next = "NOISE_INPUT"
                with m.Elif(target.bit_select(addr, 1)):
                    span = enc.max_spikes - enc.min_spikes + 1
                    m.d.sync += [
                        s.eq(s_next),
                        need.eq(enc.min_spikes + below(span)),
                        placed.eq(0),
                        word.eq(0),
                    ]
                    m.next = "REAL_TIMES"
                with m.Else():
                    m.d.comb += image_wr.en.eq(1)
                    m.d.sync += addr.eq(addr + 1)
            with m.State("REAL_TIMES"):
                place_times(image_wr, "REAL_PIXEL")
            with m.State("NOISE_INPUT"):
                m.d.comb += [self.busy.eq(1), noise_wr.addr.eq(addr), noise_wr.data.eq(0)]
                with m.If(addr == n_lat):
                    m.next = "STAGE1"
                with m.Else():
                    m.d.sync += s.eq(s_next)
                    with m.If(noise_count == 0):
                        m.d.comb += noise_wr.en.eq(1)
                        m.d.sync += addr.eq(addr + 1)
                    with m.Else():
                        m.d.sync += [need.eq(noise_count), placed.eq(0), word.eq(0)]
                        m.next = "NOISE_TIMES"
            with m.State("NOISE_TIMES"):
                place_times(noise_wr, "NOISE_INPUT")
            with m.State("STAGE1"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += stage2.eq(0)
                run(disc, learn=True)
                m.next = "STAGE1_RUN"
            with m.State("STAGE1_RUN"):
                m.d.comb += self.busy.eq(1)
                with m.If(disc.out_valid):
                    with m.If(truth):
                        m.d.sync += self.d_real_true.eq(disc.out_count)
                    with m.Else():
                        m.d.sync += self.d_real_false.eq(disc.out_count)
                with m.If(disc.done):
                    m.d.sync += self.fake_spikes.eq(0)
                    run(gen, learn=False)
                    m.next = "STAGE2_GEN"
            with m.State("STAGE2_GEN"):
                m.d.comb += [self.busy.eq(1), image_wr.addr.eq(gen.index), image_wr.data.eq(gen.out_word)]
                with m.If(gen.out_valid):
                    m.d.comb += image_wr.en.eq(1)
                    m.d.sync += self.fake_spikes.eq(self.fake_spikes + gen.out_count)
                with m.If(gen.done):
                    m.d.sync += stage2.eq(1)
                    m.next = "STAGE2"
            with m.State("STAGE2"):
                m.d.comb += self.busy.eq(1)
                run(disc, learn=True)
                m.next = "STAGE2_RUN"
            with m.State("STAGE2_RUN"):
                m.d.comb += self.busy.eq(1)
                with m.If(disc.out_valid):
                    with m.If(truth):
                        m.d.sync += self.d_fake_true.eq(disc.out_count)
                    with m.Else():
                        m.d.sync += self.d_fake_false.eq(disc.out_count)
                with m.If(disc.done):
                    m.d.sync += [self.learn_spikes.eq(0), bp_phase.eq(0)]
                    run(gen, learn=True)
                    m.next = "STAGE3"
            with m.State("STAGE3"):
                m.d.comb += self.busy.eq(1)
                # D's read-back port: state of (true, pixel), then of (false, pixel).
                m.d.comb += disc.rb_addr.eq(Mux(bp_phase == 0, gen.index, n_pix + gen.index))
                with m.If(gen.mode_req):
                    with m.Switch(bp_phase):
                        with m.Case(0):
                            m.d.sync += bp_phase.eq(1)
                        with m.Case(1):
                            m.d.sync += [state_true.eq(disc.rb_data), bp_phase.eq(2)]
                        with m.Case(2):
                            m.d.comb += gen.mode_ack.eq(1)
                            m.d.sync += bp_phase.eq(0)
                with m.If(gen.out_valid):
                    m.d.sync += self.learn_spikes.eq(self.learn_spikes + gen.out_count)
                with m.If(gen.done):
                    m.next = "ITER_DONE"
            with m.State("ITER_DONE"):
                m.d.comb += [self.busy.eq(1), self.iter_done.eq(1)]
                m.d.sync += [k.eq(k + 1), addr.eq(0)]
                m.next = "NEXT_ITER"
        return m
