"""LIF layer: event-driven integration, the per-step sweep, and the output spike events."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from amaranth import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.events import EventSerialiser, event_signature, group_layout
from hw.rom import Rom, rom_read_signature
from hw.saturate import saturate_sum, saturating_add
from hw.widths import abits
from hw.xbar import MarkerSlot, Xbar
from model.snn.config import IntNetwork, SnnConfig

# Groups issued but not yet in the fire FIFO when a sweep may start: the
# register, execute and push stages hold one each.
IN_FLIGHT = 3


@dataclass(frozen=True)
class LayerParams:
    """One layer of a network: its configuration, which layer (1-based) and its threshold.

    Everything else the layer's hardware needs is derived from the
    configuration, so it is the exporter's view of the same layer.
    """

    config: SnnConfig
    layer: int
    threshold: int

    @classmethod
    def of(cls, net: IntNetwork, layer: int) -> "LayerParams":
        return cls(net.config, layer, int(net.thresholds[layer - 1]))

    @property
    def n_in(self) -> int:
        return self.config.sizes[self.layer - 1]

    @property
    def n_out(self) -> int:
        return self.config.sizes[self.layer]

    @property
    def groups(self) -> int:
        return self.config.groups(self.layer)

    @property
    def weight_file(self) -> str:
        return self.config.weight_file(self.layer)

    @property
    def bias_file(self) -> str:
        return self.config.bias_file(self.layer)

    @property
    def membrane_layout(self) -> data.ArrayLayout:
        """A word of ``P`` membranes (or slopes) of ``m`` bits."""
        return data.ArrayLayout(signed(self.config.membrane_bits), self.config.lanes)

    @property
    def counter_layout(self) -> data.ArrayLayout:
        """A word of ``P`` spike counters that count up to ``T``."""
        return data.ArrayLayout(unsigned(self.config.count_bits), self.config.lanes)

    def ports(self) -> dict:
        """The ports every layer has: its input and output events, ``clear`` and the count read-out."""
        return {
            "events": In(event_signature(self.n_in)),
            "spikes": Out(event_signature(self.n_out)),
            "clear": In(1),
            "count_addr": In(abits(self.groups)),
            "count_data": Out(self.counter_layout),
        }

    @property
    def driven(self) -> bool:
        """Layer 1 of a direct-coded network: no input spikes, a current read in place of the bias."""
        return self.config.driven(self.layer)


def group_sweep(m: Module, start, groups: int, sweeping: Signal, sw_g: Signal):
    """A sweep over ``groups`` groups, one a cycle: ``start`` issues group 0, then ``sweeping`` issues the next ones
    (``sw_g``). Returns the group issued in this cycle (0 when none)."""
    with m.If(start):
        m.d.sync += [sweeping.eq(groups > 1), sw_g.eq(1)]
    with m.Elif(sweeping):
        m.d.sync += sw_g.eq(sw_g + 1)
        with m.If(sw_g == groups - 1):
            m.d.sync += sweeping.eq(0)
    return Mux(sweeping, sw_g, 0)


def advance_front(m: Module, clear, wr, front: Signal, groups: int) -> None:
    """A memory's clear frontier: 0 on ``clear``, then one more group at each write through ``wr`` (writes come in
    ascending passes over the groups, so groups at or above it have not been written since ``clear``)."""
    with m.If(clear):
        m.d.sync += front.eq(0)
    with m.Elif(wr.en & (front != groups)):
        m.d.sync += front.eq(front + 1)


def fire_fifo_depth(groups: int) -> int:
    """Words of a spiking layer's fire FIFO (`fired_output`): two steps' groups plus the pushes in flight."""
    return 2 * groups + IN_FLIGHT


def fired_output(m: Module, params: LayerParams, spikes) -> SyncFIFOBuffered:
    """A layer's way out: the fire FIFO (words of fired neurons; room for two steps plus the groups in flight)
    and the serialiser that turns its words into the events of ``spikes``. Returns the FIFO, whose write side
    is the layer's."""
    c = params.config
    m.submodules.fifo = fifo = SyncFIFOBuffered(width=group_layout(params.n_out, c.lanes).size,
                                                depth=fire_fifo_depth(params.groups))
    m.submodules.serialiser = ser = EventSerialiser(params.n_out, c.lanes)
    m.d.comb += [ser.i.payload.eq(fifo.r_data), ser.i.valid.eq(fifo.r_rdy), fifo.r_en.eq(ser.i.ready)]
    wiring.connect(m, ser.o, wiring.flipped(spikes))
    return fifo


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

    Pipeline, one group per cycle (``docs/hardware-architecture.md``), one
    method each: issue (cycle ``c``: memory addresses), register (``c + 1``:
    memory outputs into registers), execute (``c + 2``: the lane arithmetic
    from registers only; write-back), push (``c + 3``: the fired group into
    the FIFO). A group may be issued again before its write-back: the membrane
    and counter read ports are transparent to their write ports (a read issued
    in the write-back cycle sees the new value) and the register stage takes
    the value being written back when its group matches (a read issued one
    cycle earlier), so no bubble is ever needed.

    Cycles per step: ``E * G`` (``E`` incoming spikes) + ``G`` for the sweep,
    which starts in the cycle the marker is taken, if the FIFO has room for a
    step plus the groups in flight (else it waits); where a step without input
    events changes nothing (`SnnConfig.sweeps_event_steps_only`) such a step
    is not swept and costs the marker's cycle alone. Latency: a group issued in
    cycle ``c`` is written in ``c + 2``; a fired neuron appears on ``spikes``
    no earlier than ``c + 5``.

    ``clear`` (one cycle, only while idle) zeroes membranes and counters at
    once: writes come in ascending passes over all groups, so a counter per
    memory (the groups written so far are ``0 .. frontier - 1``) makes a group
    not yet written since read as 0, and writes need no clear path.
    ``count_addr``/``count_data`` read the counters of group ``count_addr``
    (lane ``p`` = neuron ``g * P + p``), latency 1.

    Members
    -------
    events : ``In(event_signature(N_in))``
    spikes : ``Out(event_signature(N_out))``
    clear : ``In(1)``
    count_addr : ``In(abits(G))``
    count_data : ``Out(ArrayLayout(unsigned(count_bits), P))``
    current : ``Out(rom_read_signature(G, P * m))``, only where `LayerParams.driven`
        Direct coding's layer 1 (`hw.direct_input.DirectInput`): its events are
        markers only, it has no XBAR (a `MarkerSlot` takes the markers), and its
        sweep reads the current where another layer reads its bias ROM.
    """

    def __init__(self, params: LayerParams):
        c = params.config
        if not 1 <= params.layer <= c.layers:
            raise ValueError(f"layer {params.layer} is not one of the configuration's layers 1..{c.layers}")
        if not 1 <= params.threshold <= c.membrane_range[1]:
            raise ValueError(f"threshold {params.threshold} does not fit {c.membrane_bits} signed bits")
        self.params = params
        self.groups = params.groups
        super().__init__({
            **params.ports(),
            **({"current": Out(rom_read_signature(self.groups, c.bias_word_bits))} if params.driven else {}),
        })

    def elaborate(self, platform):
        m = Module()
        p, c, G = self.params, self.params.config, self.groups
        if p.driven:
            m.submodules.xbar = xbar = MarkerSlot(p.n_in, c.lanes, c.weight_bits)
            bias = self.current
        else:
            m.submodules.xbar = xbar = Xbar(p.n_in, p.n_out, c.lanes, c.weight_bits, p.weight_file)
            m.submodules.bias = bias = Rom(c.bias_word_bits, G, p.bias_file)
        wiring.connect(m, wiring.flipped(self.events), xbar.events)
        mem = self._memories(m)
        fifo = fired_output(m, p, self.spikes)
        s1 = self._issue(m, xbar, bias, mem, fifo)
        s2 = self._register(m, s1, xbar, bias, mem)
        fire, integrated, swept = self._execute(m, s2)
        self._push(m, s2, fire, integrated, swept, mem, fifo)
        return m

    def _memories(self, m: Module) -> SimpleNamespace:
        """Membranes and counters (read ports transparent to their write ports), the count read-out, and the
        clear frontiers: a group not yet written in this image reads as 0."""
        G = self.groups
        m.submodules.vmem = vmem = Memory(shape=self.params.membrane_layout, depth=G, init=[])
        v_wr = vmem.write_port()
        v_rd = vmem.read_port(transparent_for=(v_wr,))
        m.submodules.cmem = cmem = Memory(shape=self.params.counter_layout, depth=G, init=[])
        c_wr = cmem.write_port()
        c_rd = cmem.read_port(transparent_for=(c_wr,))
        c_out = cmem.read_port()
        # Writes come in whole passes over the groups in ascending order (an event's G groups, a
        # sweep's G groups), so the groups written so far are always 0 .. frontier - 1.
        v_front, c_front = Signal(range(G + 1), name="v_front"), Signal(range(G + 1), name="c_front")
        m.d.comb += c_out.addr.eq(self.count_addr)
        if self.params.config.sweeps_event_steps_only:  # a layer without input events is never swept
            unwritten = Signal()
            m.d.sync += unwritten.eq(self.count_addr >= c_front)
            m.d.comb += self.count_data.eq(Mux(unwritten, 0, c_out.data))
        else:
            m.d.comb += self.count_data.eq(c_out.data)
        return SimpleNamespace(v_wr=v_wr, v_rd=v_rd, c_wr=c_wr, c_rd=c_rd, v_front=v_front, c_front=c_front)

    def _issue(self, m: Module, xbar, bias, mem, fifo) -> SimpleNamespace:
        """Cycle c: an event group from the XBAR, or a sweep group on the marker; the memory addresses."""
        G = self.groups
        sweeping = Signal()
        sw_g = Signal(abits(G))
        # named, as are the forwarding conditions below, for the coverage monitor (`verify.coverage`)
        can_sweep, marker = Signal(name="can_sweep"), Signal(name="marker")
        ev_issue, sw_start, sw_issue = Signal(name="ev_issue"), Signal(name="sw_start"), Signal(name="sw_issue")
        m.d.comb += [
            can_sweep.eq(fifo.level <= G),  # room for one step's groups plus the pushes in flight
            marker.eq(xbar.issue_valid & xbar.issue_eos),
            xbar.enable.eq(~sweeping & (~xbar.issue_eos | can_sweep)),
            ev_issue.eq(xbar.issue_valid & xbar.enable & ~xbar.issue_eos),
            sw_start.eq(marker & xbar.enable),
        ]
        # a step without input events: no sweep where it changes nothing (`SnnConfig.sweeps_event_steps_only`),
        # only its marker goes on, in the marker's own slot
        skip = Signal(name="sw_skip")
        if self.params.config.sweeps_event_steps_only:
            stepped = Signal(name="stepped")  # an event of this step has been issued
            with m.If(sw_start | self.clear):
                m.d.sync += stepped.eq(0)
            with m.Elif(ev_issue):
                m.d.sync += stepped.eq(1)
            m.d.comb += skip.eq(sw_start & ~stepped)
        m.d.comb += sw_issue.eq((sw_start & ~skip) | sweeping)
        sw_group = group_sweep(m, sw_start & ~skip, G, sweeping, sw_g)
        m.d.comb += [
            mem.v_rd.addr.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            mem.c_rd.addr.eq(sw_group),
            bias.addr.eq(sw_group),
            bias.en.eq(sw_issue),
        ]
        s1 = SimpleNamespace(ev=Signal(name="s1_ev"), sw=Signal(name="s1_sw"), last=Signal(name="s1_last"),
                             g=Signal(abits(G), name="s1_g"))
        m.d.sync += [
            s1.ev.eq(ev_issue),
            s1.sw.eq(sw_issue),
            s1.g.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            s1.last.eq((sw_issue & (sw_group == G - 1)) | skip),
        ]
        return s1

    def _register(self, m: Module, s1, xbar, bias, mem) -> SimpleNamespace:
        """Cycle c + 1: memory outputs into registers, forwarding the write of this cycle."""
        G = self.groups
        s2 = SimpleNamespace(ev=Signal(name="s2_ev"), sw=Signal(name="s2_sw"), last=Signal(name="s2_last"),
                             g=Signal(abits(G), name="s2_g"), v=Signal(self.params.membrane_layout, name="r_v"),
                             c=Signal(self.params.counter_layout, name="r_c"), w=Signal.like(xbar.weights, name="r_w"),
                             b=Signal(self.params.config.bias_word_bits, name="r_b"))
        m.d.sync += [s2.ev.eq(s1.ev), s2.sw.eq(s1.sw), s2.last.eq(s1.last), s2.g.eq(s1.g),
                     s2.w.eq(xbar.weights), s2.b.eq(bias.data)]
        # a group being written back right now was read too early: take the value being written
        v_fwd, c_fwd = Signal(name="v_fwd"), Signal(name="c_fwd")
        m.d.comb += [v_fwd.eq(mem.v_wr.en & (mem.v_wr.addr == s1.g)), c_fwd.eq(mem.c_wr.en & (mem.c_wr.addr == s1.g))]
        m.d.sync += [
            s2.v.eq(Mux(v_fwd, mem.v_wr.data, Mux(s1.g < mem.v_front, mem.v_rd.data, 0))),
            s2.c.eq(Mux(c_fwd, mem.c_wr.data, Mux(s1.g < mem.c_front, mem.c_rd.data, 0))),
        ]
        return s2

    def _execute(self, m: Module, s2) -> tuple[Signal, list, list]:
        """Cycle c + 2, from registers only: per lane the integrated value ``sat(V + W)`` and the swept value
        (bias, fire, reset, leak); returns the fired bits and both values."""
        p, c, G = self.params, self.params.config, self.groups
        mb, P, th = c.membrane_bits, c.lanes, p.threshold
        hi = c.membrane_range[1]
        valid_in_last = p.n_out - (G - 1) * P  # lanes of the last group that hold neurons
        fire = Signal(P)
        integrated, swept = [], []
        for lane in range(P):
            v = s2.v[lane]
            s_ev = Signal(signed(mb), name=f"integrated{lane}")
            m.d.comb += s_ev.eq(saturating_add(v, s2.w[lane], mb))
            integrated.append(s_ev)

            # sat(V + B) >= theta  <=>  V + B - theta >= 0 on the exact sum (theta is in range):
            # one subtraction gives both the comparison and the subtract-reset value
            total = Signal(signed(mb + 1), name=f"total{lane}")
            m.d.comb += total.eq(v + s2.b[lane * mb : (lane + 1) * mb].as_signed())
            over = Signal(signed(mb + 2), name=f"over{lane}")
            m.d.comb += over.eq(total - th)
            v1 = Signal(signed(mb), name=f"biased{lane}")
            m.d.comb += v1.eq(saturate_sum(total, mb))
            lane_ok = Const(1) if lane < valid_in_last else (s2.g != G - 1)
            m.d.comb += fire[lane].eq(~over[mb + 1] & lane_ok)
            if c.reset == "zero":
                reset_value = Const(0, signed(mb))
            elif c.reset == "floor":  # TTFS: the neuron can never reach theta again this image
                reset_value = Const(c.membrane_range[0], signed(mb))
            else:  # v1 - theta: the exact difference, or hi - theta where V + B overflowed upwards
                reset_value = Mux(total[mb] == total[mb - 1], over[:mb].as_signed(), Const(hi - th, signed(mb)))
            v2 = Signal(signed(mb), name=f"reset{lane}")
            m.d.comb += v2.eq(Mux(fire[lane], reset_value, v1))
            v3 = Signal(signed(mb), name=f"leaked{lane}")
            m.d.comb += v3.eq(v2 if c.leak_shift is None else v2 - (v2 >> c.leak_shift))
            swept.append(v3)
        return fire, integrated, swept

    def _push(self, m: Module, s2, fire, integrated, swept, mem, fifo) -> None:
        """Cycle c + 3 (write-back at the end of c + 2): membranes written, counters += fired bits, the fired
        group into the FIFO, the clear frontiers advanced."""
        G, P = self.groups, self.params.config.lanes
        f_bits, f_sw, f_last = Signal(P), Signal(), Signal()
        f_g = Signal(abits(G))
        f_c = Signal(self.params.counter_layout)
        f_fwd = Signal(name="f_fwd")
        m.d.comb += f_fwd.eq(mem.c_wr.en & (mem.c_wr.addr == s2.g))
        m.d.sync += [
            f_bits.eq(fire & s2.sw.replicate(P)),  # a skipped step's marker slot carries no spikes
            f_sw.eq(s2.sw),
            f_last.eq(s2.last),
            f_g.eq(s2.g),
            f_c.eq(Mux(f_fwd, mem.c_wr.data, s2.c)),  # forwarding, as above
        ]
        with m.If(s2.ev):
            m.d.comb += [mem.v_wr.addr.eq(s2.g), mem.v_wr.en.eq(1)]
            m.d.comb += [mem.v_wr.data[lane].eq(integrated[lane]) for lane in range(P)]
        with m.Elif(s2.sw):
            m.d.comb += [mem.v_wr.addr.eq(s2.g), mem.v_wr.en.eq(1)]
            m.d.comb += [mem.v_wr.data[lane].eq(swept[lane]) for lane in range(P)]
        m.d.comb += [mem.c_wr.addr.eq(f_g), mem.c_wr.en.eq(f_sw)]
        m.d.comb += [mem.c_wr.data[lane].eq(f_c[lane] + f_bits[lane]) for lane in range(P)]
        with m.If(self.clear):
            m.d.sync += [mem.v_front.eq(0), mem.c_front.eq(0)]
        with m.Else():
            with m.If(mem.v_wr.en & (mem.v_front != G)):
                m.d.sync += mem.v_front.eq(mem.v_front + 1)
            with m.If(mem.c_wr.en & (mem.c_front != G)):
                m.d.sync += mem.c_front.eq(mem.c_front + 1)
        pushed = data.View(group_layout(self.params.n_out, P), fifo.w_data)
        m.d.comb += [
            pushed.bits.eq(f_bits),
            pushed.group.eq(f_g),
            pushed.eos.eq(f_last),
            fifo.w_en.eq((f_sw & f_bits.any()) | f_last),
        ]
