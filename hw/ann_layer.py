"""ANN layer: a ramp network's layer computed as an integer ANN, ``q = clamp(floor((W a + B) / R), 0, T)``."""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.events import EventSerialiser, event_signature, group_layout
from hw.lif import IN_FLIGHT, LayerParams, advance_front, group_sweep
from hw.rom import Rom
from hw.widths import abits
from hw.xbar import Xbar


def value_bits(timesteps: int) -> int:
    """Bits of an activation ``0 .. T``."""
    return timesteps.bit_length()


def read_out_fifo_depth(groups: int) -> int:
    """Words of an ANN layer's output FIFO: one read-out sweep's groups plus the pushes in flight."""
    return groups + IN_FLIGHT


def quotient_digits(m: Module, rest, divisor: int, bits, name: str):
    """Restoring division of ``rest`` by ``divisor`` over the quotient bits ``bits`` (descending): a subtraction and
    a comparison per bit, no divider. Returns what is left of ``rest`` and the digits, highest first."""
    digits = []
    for b in bits:
        step = divisor << b
        take = Signal(name=f"{name}_b{b}")
        m.d.comb += take.eq(rest >= step)
        digits.append(take)
        rest = Mux(take, rest - step, rest)
    return rest, digits


class AnnLayer(wiring.Component):
    """One layer of the ANN twin (`hw.ann_twin`): multiply-accumulate per input activation, then the read-out.

    Accumulators ``A`` (the membrane width: they hold what a ramp neuron's membrane holds, `W q`) live in a
    ``G``-word memory of ``P`` lanes. For each input event ``(i, a_i)`` the XBAR reads the row of ``i`` group by
    group and the layer adds ``a_i W`` lane by lane: one read-modify-write a cycle, issue, register (the weights
    and the accumulators, taking the value written back in the same cycle; no multiplier follows a memory
    output) and execute with write-back, as the ramp layer's slopes. The marker that closes the input starts the read-out sweep once the
    output FIFO is empty: per group, ``A + B`` into a register, then ``q = clamp(floor((A + B) / R), 0, T)`` lane
    by lane in two registered halves of restoring division (`quotient_digits`), ``q > 0`` into the counters, and
    the word into the FIFO, whose serialiser sends one event per neuron (``dense``) or per non-zero ``q``, then
    one marker. ``clear`` (one cycle, while idle) starts an image: memories not yet written since read as 0.

    Members
    -------
    events : ``In(event_signature(N_in, value_bits(T)))``
    spikes : ``Out(event_signature(N_out, value_bits(T)))``
        Activations out, ascending, then the marker.
    clear : ``In(1)``
    count_addr : ``In(abits(G))``
    count_data : ``Out(ArrayLayout(unsigned(count_bits), P))``
        Whether each neuron of group ``count_addr`` is non-zero, one cycle later.
    """

    def __init__(self, params: LayerParams, dense: bool):
        c = params.config
        if c.neuron != "ramp":
            raise ValueError(f"the ANN twin computes ramp networks, not {c.neuron!r} ones")
        if not 1 <= params.layer <= c.layers:
            raise ValueError(f"layer {params.layer} is not one of the configuration's layers 1..{c.layers}")
        if params.threshold % c.timesteps or params.threshold < c.timesteps:
            raise ValueError(f"threshold {params.threshold} is not T R (T = {c.timesteps}, R >= 1)")
        self.params, self.dense, self.groups = params, dense, params.groups
        vb = value_bits(c.timesteps)
        super().__init__({
            "events": In(event_signature(params.n_in, vb)),
            "spikes": Out(event_signature(params.n_out, vb)),
            "clear": In(1),
            "count_addr": In(abits(self.groups)),
            "count_data": Out(params.counter_layout),
        })

    @property
    def slope(self) -> int:
        """``R = theta / T``, the divisor of the read-out."""
        return self.params.threshold // self.params.config.timesteps

    def elaborate(self, platform):
        m = Module()
        p, c = self.params, self.params.config
        vb = value_bits(c.timesteps)
        m.submodules.xbar = xbar = Xbar(p.n_in, p.n_out, c.lanes, c.weight_bits, p.weight_file, vb)
        m.submodules.bias = bias = Rom(c.bias_word_bits, self.groups, p.bias_file)
        wiring.connect(m, wiring.flipped(self.events), xbar.events)
        mem = self._memories(m)
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=group_layout(p.n_out, c.lanes, vb).size,
                                                    depth=read_out_fifo_depth(self.groups))
        m.submodules.serialiser = ser = EventSerialiser(p.n_out, c.lanes, value_bits=vb)
        m.d.comb += [ser.i.payload.eq(fifo.r_data), ser.i.valid.eq(fifo.r_rdy), fifo.r_en.eq(ser.i.ready)]
        wiring.connect(m, ser.o, wiring.flipped(self.spikes))
        s1 = self._issue(m, xbar, bias, mem, fifo)
        s2 = self._register(m, s1, xbar, bias, mem)
        s3 = self._execute(m, s2, mem)
        s4, values = self._divide(m, s3)
        self._push(m, s4, values, mem, fifo)
        return m

    def _memories(self, m: Module) -> SimpleNamespace:
        """Accumulators (read port transparent to the write port) and the non-zero bits with their read-out; a
        clear frontier each: writes come in ascending passes over the groups, so groups at or above it read 0."""
        G, p = self.groups, self.params
        m.submodules.amem = amem = Memory(shape=p.membrane_layout, depth=G, init=[])
        a_wr = amem.write_port()
        a_rd = amem.read_port(transparent_for=(a_wr,))
        m.submodules.cmem = cmem = Memory(shape=p.counter_layout, depth=G, init=[])
        c_wr = cmem.write_port()
        c_out = cmem.read_port()
        a_front, c_front = Signal(range(G + 1), name="a_front"), Signal(range(G + 1), name="c_front")
        unwritten = Signal()
        m.d.comb += c_out.addr.eq(self.count_addr)
        m.d.sync += unwritten.eq(self.count_addr >= c_front)
        m.d.comb += self.count_data.eq(Mux(unwritten, 0, c_out.data))
        for wr, front in ((a_wr, a_front), (c_wr, c_front)):
            advance_front(m, self.clear, wr, front, G)
        return SimpleNamespace(a=SimpleNamespace(wr=a_wr, rd=a_rd, front=a_front), c=SimpleNamespace(wr=c_wr))

    def _issue(self, m: Module, xbar, bias, mem, fifo) -> SimpleNamespace:
        """Cycle c: an input event's group, or a group of the read-out sweep (started by the marker when the FIFO
        is empty)."""
        G = self.groups
        sweeping = Signal(name="sweeping")
        sw_g = Signal(abits(G), name="sw_g")
        marker, ev_issue, sw_start = Signal(name="marker"), Signal(name="ev_issue"), Signal(name="sw_start")
        m.d.comb += [
            xbar.enable.eq(~sweeping & ~(xbar.issue_eos & (fifo.level != 0))),
            marker.eq(xbar.issue_valid & xbar.issue_eos & xbar.enable),
            ev_issue.eq(xbar.issue_valid & ~xbar.issue_eos & xbar.enable),
            sw_start.eq(marker),
        ]
        sw_issue = sw_start | sweeping
        sw_group = group_sweep(m, sw_start, G, sweeping, sw_g)
        m.d.comb += [
            mem.a.rd.addr.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            bias.addr.eq(sw_group),
            bias.en.eq(sw_issue),
        ]
        s1 = SimpleNamespace(ev=Signal(name="s1_ev"), sw=Signal(name="s1_sw"), last=Signal(name="s1_last"),
                             g=Signal(abits(G), name="s1_g"), a=Signal.like(xbar.issue_value, name="s1_a"))
        m.d.sync += [
            s1.ev.eq(ev_issue),
            s1.sw.eq(sw_issue),
            s1.last.eq(sw_issue & (sw_group == G - 1)),
            s1.g.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            s1.a.eq(xbar.issue_value),
        ]
        return s1

    def _register(self, m: Module, s1, xbar, bias, mem) -> SimpleNamespace:
        """Cycle c + 1: the weights, the activation, the accumulators and the bias into registers (the
        accumulators as written back in this cycle where the group matches)."""
        c = self.params.config
        s2 = SimpleNamespace(ev=Signal(name="s2_ev"), sw=Signal(name="s2_sw"), last=Signal(name="s2_last"),
                             g=Signal.like(s1.g, name="s2_g"), a=Signal.like(s1.a, name="s2_a"),
                             w=Signal.like(xbar.weights, name="r_w"), b=Signal(c.bias_word_bits, name="r_b"),
                             acc=Signal(self.params.membrane_layout, name="r_acc"))
        fwd = Signal(name="a_fwd")
        m.d.comb += fwd.eq(mem.a.wr.en & (mem.a.wr.addr == s1.g))
        m.d.sync += [s2.ev.eq(s1.ev), s2.sw.eq(s1.sw), s2.last.eq(s1.last), s2.g.eq(s1.g), s2.a.eq(s1.a),
                     s2.w.eq(xbar.weights), s2.b.eq(bias.data),
                     s2.acc.eq(Mux(fwd, mem.a.wr.data, Mux(s1.g < mem.a.front, mem.a.rd.data, 0)))]
        return s2

    def _execute(self, m: Module, s2, mem) -> SimpleNamespace:
        """Cycle c + 2, per lane: an event's ``A + a W`` written back; a sweep group's ``A + B`` into a register."""
        c = self.params.config
        mb = c.membrane_bits
        s3 = SimpleNamespace(sw=Signal(name="s3_sw"), last=Signal(name="s3_last"), g=Signal.like(s2.g, name="s3_g"),
                             x=Signal(data.ArrayLayout(signed(mb + 1), c.lanes), name="r_sum"))
        with m.If(s2.ev):
            m.d.comb += [mem.a.wr.addr.eq(s2.g), mem.a.wr.en.eq(1)]
        for lane in range(c.lanes):
            acc = Signal(signed(mb), name=f"acc{lane}")
            m.d.comb += [acc.eq(s2.acc[lane] + s2.a * s2.w[lane]), mem.a.wr.data[lane].eq(acc)]
            m.d.sync += s3.x[lane].eq(s2.acc[lane] + s2.b[lane * mb:(lane + 1) * mb].as_signed())
        m.d.sync += [s3.sw.eq(s2.sw), s3.last.eq(s2.last), s3.g.eq(s2.g)]
        return s3

    def _divide(self, m: Module, s3) -> tuple[SimpleNamespace, list]:
        """Cycles c + 3 and c + 4: ``clamp(floor(x / R), 0, T)`` per lane, the quotient's high bits in the first
        cycle (with the clamp's comparisons), its low bits and the result in the second."""
        c = self.params.config
        T, r = c.timesteps, self.slope
        bits = T.bit_length()
        high, low = range(bits - 1, bits // 2 - 1, -1), range(bits // 2 - 1, -1, -1)
        s4 = SimpleNamespace(sw=Signal(name="s4_sw"), last=Signal(name="s4_last"), g=Signal.like(s3.g, name="s4_g"))
        values = []
        m.d.sync += [s4.sw.eq(s3.sw), s4.last.eq(s3.last), s4.g.eq(s3.g)]
        for lane in range(c.lanes):
            x = s3.x[lane]
            rest, digits = quotient_digits(m, x, r, high, f"q{lane}")
            r_rest, r_high = Signal.like(x, name=f"q{lane}_rest"), Signal(len(high), name=f"q{lane}_high")
            neg, sat = Signal(name=f"q{lane}_neg"), Signal(name=f"q{lane}_sat")
            m.d.sync += [r_rest.eq(rest), r_high.eq(Cat(*reversed(digits))), neg.eq(x < 0), sat.eq(x >= T * r)]
            _, digits = quotient_digits(m, r_rest, r, low, f"q{lane}")
            q = Signal(bits, name=f"q{lane}")
            m.d.comb += q.eq(Mux(neg, 0, Mux(sat, T, Cat(*reversed(digits), r_high))))
            values.append(q)
        return s4, values

    def _push(self, m: Module, s2, values, mem, fifo) -> None:
        """Cycle c + 5: a sweep group's non-zero bits into the counters and its word into the FIFO (the last group
        with the marker; a word with nothing to send only if it is the last)."""
        p, c = self.params, self.params.config
        P, G, vb = c.lanes, self.groups, value_bits(c.timesteps)
        word = Signal(group_layout(p.n_out, P, vb), name="word")
        f_sw, f_last, f_nonzero = Signal(name="f_sw"), Signal(name="f_last"), Signal(P, name="f_nonzero")
        f_g, f_values = Signal.like(s2.g, name="f_g"), Signal.like(word.values, name="f_values")
        valid_in_last = p.n_out - (G - 1) * P  # lanes of the last group that hold neurons

        def live(g):
            return Cat(*(Const(1) if lane < valid_in_last else (g != G - 1) for lane in range(P)))

        nonzero = Cat(*(q != 0 for q in values)) & live(s2.g)
        m.d.sync += [f_sw.eq(s2.sw), f_last.eq(s2.last), f_nonzero.eq(nonzero), f_g.eq(s2.g),
                     *[f_values[lane].eq(values[lane]) for lane in range(P)]]
        m.d.comb += [
            word.bits.eq(live(f_g) if self.dense else f_nonzero),
            word.group.eq(f_g),
            word.eos.eq(f_last),
            word.values.eq(f_values),
            mem.c.wr.en.eq(f_sw),
            mem.c.wr.addr.eq(f_g),
            *[mem.c.wr.data[lane].eq(f_nonzero[lane]) for lane in range(P)],
            fifo.w_data.eq(word),
            fifo.w_en.eq(f_sw & (word.bits.any() | word.eos)),
        ]
