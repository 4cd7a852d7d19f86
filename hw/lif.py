"""LIF layer: event-driven integration, the per-step sweep, and the output spike events."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from amaranth import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.common import Rom, abits, count_bits, event_signature, lowest_set_bit, saturate_sum, saturating_add
from hw.xbar import Xbar
from model.snn_config import RESETS, IntNetwork

# Groups issued but not yet in the fire FIFO when a sweep may start: the
# register, execute and push stages hold one each.
IN_FLIGHT = 3


@dataclass(frozen=True)
class LayerParams:
    """Everything one layer's hardware needs; ``weight_file``/``bias_file`` are the ``$readmemh`` names."""

    n_in: int
    n_out: int
    lanes: int
    weight_bits: int
    membrane_bits: int
    threshold: int
    reset: str
    leak_shift: int | None
    timesteps: int
    weight_file: str
    bias_file: str

    @property
    def groups(self) -> int:
        return ceil(self.n_out / self.lanes)

    @classmethod
    def of(cls, net: IntNetwork, layer: int) -> "LayerParams":
        """Parameters of ``layer`` (1-based) of ``net``, with the file names `hw.build` writes."""
        c = net.config
        return cls(
            n_in=c.sizes[layer - 1],
            n_out=c.sizes[layer],
            lanes=c.lanes,
            weight_bits=c.weight_bits,
            membrane_bits=c.membrane_bits,
            threshold=int(net.thresholds[layer - 1]),
            reset=c.reset,
            leak_shift=c.leak_shift,
            timesteps=c.timesteps,
            weight_file=f"layer{layer}_weights.mem",
            bias_file=f"layer{layer}_bias.mem",
        )


class LifLayer(wiring.Component):
    """One spiking layer (XBAR + neurons), exactly the layer step of ``docs/hardware-semantics.md``.

    Membranes live in a ``G``-word memory, ``P`` lanes of ``m`` bits per word.
    Per time step it takes the incoming spikes from ``events`` (ascending, then
    an end-of-step marker) and

    * integrates: one read-modify-write of one group per cycle, ``V = sat(V + W)``
      lane by lane, in the order the XBAR reads the weights (events ascending,
      groups ascending), so each neuron sees its additions in ascending input
      order;
    * sweeps on the marker: one group per cycle, bias (saturating), fire,
      reset, leak, and adds the fired bits to the per-neuron spike counters;
    * emits the fired neurons as events on ``spikes``, ascending, followed by a
      marker, one event per cycle, through a FIFO of fired groups that holds up
      to two steps, so the layer can integrate step ``t + 1`` while the next
      layer still consumes step ``t``.

    Pipeline, one group per cycle: issue (cycle ``c``: memory addresses),
    register (``c + 1``: memory outputs into registers), execute (``c + 2``:
    the lane arithmetic from registers only; write-back), push (``c + 3``:
    the fired group into the FIFO). A group may be issued again before its
    write-back: the membrane and counter read ports are transparent to their
    write ports (a read issued in the write-back cycle sees the new value) and
    the register stage takes the value being written back when its group
    matches (a read issued one cycle earlier), so no bubble is ever needed.

    Cycles per step: ``E * G`` (``E`` incoming spikes) + ``G`` for the sweep,
    which starts in the cycle the marker is taken, if the FIFO has room for a
    step plus the groups in flight (else it waits). Latency: a group issued in
    cycle ``c`` is written in ``c + 2``; a fired neuron appears on ``spikes``
    no earlier than ``c + 5``.

    ``clear`` (one cycle, only while idle) zeroes membranes and counters at
    once: writes come in ascending passes over all groups, so a counter per
    memory (the groups written so far are ``0 .. frontier - 1``) makes a group
    not yet written since read as 0, and writes need no clear path. ``count_addr``/``count_data`` read
    the counters of group ``count_addr`` (lane ``p`` = neuron ``g * P + p``),
    latency 1.
    """

    def __init__(self, params: LayerParams):
        p = params
        if p.reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {p.reset!r}")
        if not 2 <= p.weight_bits < p.membrane_bits:
            raise ValueError(f"need 2 <= weight_bits < membrane_bits, got {p.weight_bits}, {p.membrane_bits}")
        if not 1 <= p.threshold <= (1 << (p.membrane_bits - 1)) - 1:
            raise ValueError(f"threshold {p.threshold} does not fit {p.membrane_bits} signed bits")
        if p.leak_shift is not None and not 1 <= p.leak_shift < p.membrane_bits:
            raise ValueError(f"leak_shift {p.leak_shift} not in 1..{p.membrane_bits - 1}")
        if p.n_in < 1 or p.n_out < 1 or p.lanes < 1 or p.timesteps < 1:
            raise ValueError(f"bad layer shape {p}")
        self.params = p
        self.groups = p.groups
        self.count_bits = count_bits(p.timesteps)
        super().__init__(
            {
                "events": In(event_signature(p.n_in)),
                "spikes": Out(event_signature(p.n_out)),
                "clear": In(1),
                "count_addr": In(abits(self.groups)),
                "count_data": Out(data.ArrayLayout(unsigned(self.count_bits), p.lanes)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        p = self.params
        G, P, mb = self.groups, p.lanes, p.membrane_bits

        m.submodules.xbar = xbar = Xbar(p.n_in, p.n_out, P, p.weight_bits, p.weight_file)
        wiring.connect(m, wiring.flipped(self.events), xbar.events)
        m.submodules.bias = bias = Rom(P * mb, G, p.bias_file)

        vlayout = data.ArrayLayout(signed(mb), P)
        clayout = data.ArrayLayout(unsigned(self.count_bits), P)
        m.submodules.vmem = vmem = Memory(shape=vlayout, depth=G, init=[])
        v_wr = vmem.write_port()
        v_rd = vmem.read_port(transparent_for=(v_wr,))
        m.submodules.cmem = cmem = Memory(shape=clayout, depth=G, init=[])
        c_wr = cmem.write_port()
        c_rd = cmem.read_port(transparent_for=(c_wr,))
        c_out = cmem.read_port()
        m.d.comb += [c_out.addr.eq(self.count_addr), self.count_data.eq(c_out.data)]

        entry = data.StructLayout({"bits": P, "group": abits(G), "eos": 1})
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=entry.size, depth=2 * G + IN_FLIGHT)

        # --- clear: a group not yet written in this image reads as 0, so nothing is written to
        # clear and no write needs a clear mux. Writes come in whole passes over the groups in
        # ascending order (an event's G groups, a sweep's G groups), so the groups written so
        # far are always 0 .. frontier - 1: one counter per memory, not a bit per group.
        v_front, c_front = Signal(range(G + 1)), Signal(range(G + 1))

        # --- issue stage (cycle c): an event group from the XBAR, or a sweep group
        sweeping = Signal()
        sw_g = Signal(abits(G))
        can_sweep = fifo.level <= G  # room for one step's groups plus the pushes in flight
        m.d.comb += xbar.enable.eq(~sweeping & (~xbar.issue_eos | can_sweep))
        ev_issue = xbar.issue_valid & xbar.enable & ~xbar.issue_eos
        sw_start = xbar.issue_valid & xbar.enable & xbar.issue_eos
        sw_issue = sw_start | sweeping
        sw_group = Mux(sweeping, sw_g, 0)
        with m.If(sw_start):
            m.d.sync += [sweeping.eq(G > 1), sw_g.eq(1)]
        with m.Elif(sweeping):
            m.d.sync += sw_g.eq(sw_g + 1)
            with m.If(sw_g == G - 1):
                m.d.sync += sweeping.eq(0)
        m.d.comb += [
            v_rd.addr.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            c_rd.addr.eq(sw_group),
            bias.addr.eq(sw_group),
            bias.en.eq(sw_issue),
        ]
        s1_ev, s1_sw, s1_last = Signal(), Signal(), Signal()
        s1_g = Signal(abits(G))
        m.d.sync += [
            s1_ev.eq(ev_issue),
            s1_sw.eq(sw_issue),
            s1_g.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            s1_last.eq(sw_issue & (sw_group == G - 1)),
        ]

        # --- register stage (cycle c + 1): memory outputs into registers, forwarding the write of cycle c + 1
        s2_ev, s2_sw, s2_last = Signal(), Signal(), Signal()
        s2_g = Signal(abits(G))
        r_v = Signal(vlayout)
        r_c = Signal(clayout)
        r_w = Signal.like(xbar.weights)
        r_b = Signal(P * mb)
        m.d.sync += [s2_ev.eq(s1_ev), s2_sw.eq(s1_sw), s2_last.eq(s1_last), s2_g.eq(s1_g),
                     r_w.eq(xbar.weights), r_b.eq(bias.data)]
        # a group being written back right now was read too early: take the value being written
        v_fwd = v_wr.en & (v_wr.addr == s1_g)
        c_fwd = c_wr.en & (c_wr.addr == s1_g)
        m.d.sync += [
            r_v.eq(Mux(v_fwd, v_wr.data, Mux(s1_g < v_front, v_rd.data, 0))),
            r_c.eq(Mux(c_fwd, c_wr.data, Mux(s1_g < c_front, c_rd.data, 0))),
        ]

        # --- execute stage (cycle c + 2): the lane arithmetic, from registers only
        th = p.threshold
        hi = (1 << (mb - 1)) - 1
        valid_in_last = p.n_out - (G - 1) * P  # lanes of the last group that hold neurons
        fire = Signal(P)
        integrated, swept = [], []
        for lane in range(P):
            v = r_v[lane]
            s_ev = Signal(signed(mb), name=f"integrated{lane}")
            m.d.comb += s_ev.eq(saturating_add(v, r_w[lane], mb))
            integrated.append(s_ev)

            # sat(V + B) >= theta  <=>  V + B - theta >= 0 on the exact sum (theta is in range):
            # one subtraction gives both the comparison and the subtract-reset value
            total = Signal(signed(mb + 1), name=f"total{lane}")
            m.d.comb += total.eq(v + r_b[lane * mb : (lane + 1) * mb].as_signed())
            over = Signal(signed(mb + 2), name=f"over{lane}")
            m.d.comb += over.eq(total - th)
            v1 = Signal(signed(mb), name=f"biased{lane}")
            m.d.comb += v1.eq(saturate_sum(total, mb))
            lane_ok = Const(1) if lane < valid_in_last else (s2_g != G - 1)
            m.d.comb += fire[lane].eq(~over[mb + 1] & lane_ok)
            if p.reset == "zero":
                reset_value = Const(0, signed(mb))
            else:  # v1 - theta: the exact difference, or hi - theta where V + B overflowed upwards
                reset_value = Mux(total[mb] == total[mb - 1], over[:mb].as_signed(), Const(hi - th, signed(mb)))
            v2 = Signal(signed(mb), name=f"reset{lane}")
            m.d.comb += v2.eq(Mux(fire[lane], reset_value, v1))
            v3 = Signal(signed(mb), name=f"leaked{lane}")
            m.d.comb += v3.eq(v2 if p.leak_shift is None else v2 - (v2 >> p.leak_shift))
            swept.append(v3)

        # --- push stage (cycle c + 3): counters += fired bits, the fired group into the FIFO
        f_bits, f_sw, f_last = Signal(P), Signal(), Signal()
        f_g = Signal(abits(G))
        f_c = Signal(clayout)
        m.d.sync += [
            f_bits.eq(fire),
            f_sw.eq(s2_sw),
            f_last.eq(s2_last),
            f_g.eq(s2_g),
            f_c.eq(Mux(c_wr.en & (c_wr.addr == s2_g), c_wr.data, r_c)),  # forwarding, as above
        ]

        with m.If(s2_ev):
            m.d.comb += [v_wr.addr.eq(s2_g), v_wr.en.eq(1)]
            m.d.comb += [v_wr.data[lane].eq(integrated[lane]) for lane in range(P)]
        with m.Elif(s2_sw):
            m.d.comb += [v_wr.addr.eq(s2_g), v_wr.en.eq(1)]
            m.d.comb += [v_wr.data[lane].eq(swept[lane]) for lane in range(P)]
        m.d.comb += [c_wr.addr.eq(f_g), c_wr.en.eq(f_sw)]
        m.d.comb += [c_wr.data[lane].eq(f_c[lane] + f_bits[lane]) for lane in range(P)]
        with m.If(self.clear):
            m.d.sync += [v_front.eq(0), c_front.eq(0)]
        with m.Else():
            with m.If(v_wr.en & (v_front != G)):
                m.d.sync += v_front.eq(v_front + 1)
            with m.If(c_wr.en & (c_front != G)):
                m.d.sync += c_front.eq(c_front + 1)

        pushed = data.View(entry, fifo.w_data)
        m.d.comb += [
            pushed.bits.eq(f_bits),
            pushed.group.eq(f_g),
            pushed.eos.eq(f_last),
            fifo.w_en.eq(f_sw & (f_bits.any() | f_last)),
        ]

        # --- serialiser: fired groups -> one spike event per cycle, then the marker
        cur_bits = Signal(P)
        cur_group = Signal(abits(G))
        cur_eos = Signal()
        low = lowest_set_bit(m, cur_bits, "lowest")
        has_spike = cur_bits.any()
        rest = cur_bits & (cur_bits - 1)
        transfer = self.spikes.valid & self.spikes.ready
        m.d.comb += [
            self.spikes.valid.eq(has_spike | cur_eos),
            self.spikes.payload.index.eq(cur_group * P + low),
            self.spikes.payload.eos.eq(~has_spike),
        ]
        entry_done = ~self.spikes.valid | (transfer & (~has_spike | ((rest == 0) & ~cur_eos)))
        popped = data.View(entry, fifo.r_data)
        m.d.comb += fifo.r_en.eq(entry_done)
        with m.If(entry_done & fifo.r_rdy):
            m.d.sync += [cur_bits.eq(popped.bits), cur_group.eq(popped.group), cur_eos.eq(popped.eos)]
        with m.Elif(entry_done):
            m.d.sync += [cur_bits.eq(0), cur_eos.eq(0)]
        with m.Elif(transfer):
            m.d.sync += cur_bits.eq(rest)
        return m
