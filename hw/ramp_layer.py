"""Ramp layer: the exact-TTFS layer of ``docs/exact-ttfs-semantics.md``, an integrating and a firing window."""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory

from hw.events import group_layout
from hw.lif import LayerParams, advance_front, fired_output, group_sweep
from hw.rom import Rom
from hw.widths import abits
from hw.xbar import Xbar


class RampLayer(wiring.Component):
    """One ramp layer: ``T`` steps integrating its input's window, then ``T`` steps firing its own.

    Slopes ``S``, membranes ``V`` and spike counters (0 or 1: whether the neuron fired) live in ``G``-word
    memories of ``P`` lanes. One issue slot a cycle, pipelined as `hw.lif.LifLayer` (issue, register, execute
    and write-back, push; the same forwarding, so no bubble is needed):

    * integrating window: an input event's fan-out row adds to ``S`` group by group (``S += W``); each
      end-of-step marker starts a sweep, ``V := (step 0 ? B : V) + S`` group by group;
    * firing window, after the ``T``-th marker: ``T`` sweeps, each when the FIFO has room for a step plus
      the groups in flight; a neuron that has not fired and has ``V >= theta - k R`` fires at step ``k``,
      its counter becomes 1, and the fired groups go out as events, each step closed by a marker.

    Cycles per image: ``(E + T) * G`` integrating (``E`` input spikes) and ``T * G`` firing. ``clear`` (one
    cycle, while idle) starts an image: the clear frontiers of `LifLayer` make every memory read as 0.

    Members
    -------
    events : ``In(event_signature(N_in))``
    spikes : ``Out(event_signature(N_out))``
    clear : ``In(1)``
    count_addr : ``In(abits(G))``
    count_data : ``Out(ArrayLayout(unsigned(count_bits), P))``
    """

    def __init__(self, params: LayerParams):
        c = params.config
        if c.neuron != "ramp":
            raise ValueError(f"a ramp layer runs ramp networks, not {c.neuron!r} ones")
        if not 1 <= params.layer <= c.layers:
            raise ValueError(f"layer {params.layer} is not one of the configuration's layers 1..{c.layers}")
        if params.threshold % c.timesteps or not c.timesteps <= params.threshold <= c.membrane_range[1]:
            raise ValueError(f"threshold {params.threshold} is not T R (T = {c.timesteps}) within {c.membrane_bits} signed bits")
        self.params = params
        self.groups = params.groups
        super().__init__(params.ports())

    @property
    def slope(self) -> int:
        """``R = theta / T``: the threshold falls by it each firing step."""
        return self.params.threshold // self.params.config.timesteps

    def elaborate(self, platform):
        m = Module()
        p, c, G = self.params, self.params.config, self.groups
        m.submodules.xbar = xbar = Xbar(p.n_in, p.n_out, c.lanes, c.weight_bits, p.weight_file)
        m.submodules.bias = bias = Rom(c.bias_word_bits, G, p.bias_file)
        wiring.connect(m, wiring.flipped(self.events), xbar.events)
        mem = self._memories(m)
        fifo = fired_output(m, p, self.spikes)
        s1 = self._issue(m, xbar, bias, mem, fifo)
        s2 = self._register(m, s1, xbar, bias, mem)
        fire, counters, slopes, membranes = self._execute(m, s2, mem)
        self._push(m, s2, fire, counters, slopes, membranes, mem, fifo)
        return m

    def _memories(self, m: Module) -> SimpleNamespace:
        """Slopes, membranes and counters (read ports transparent to their write ports), the count read-out, and
        the clear frontiers: writes come in ascending passes over the groups, so the groups written since
        ``clear`` are ``0 .. front - 1`` and the others read as 0."""
        G = self.groups
        m.submodules.smem = smem = Memory(shape=self.params.membrane_layout, depth=G, init=[])
        s_wr = smem.write_port()
        s_rd = smem.read_port(transparent_for=(s_wr,))
        m.submodules.vmem = vmem = Memory(shape=self.params.membrane_layout, depth=G, init=[])
        v_wr = vmem.write_port()
        v_rd = vmem.read_port(transparent_for=(v_wr,))
        m.submodules.cmem = cmem = Memory(shape=self.params.counter_layout, depth=G, init=[])
        c_wr = cmem.write_port()
        c_rd = cmem.read_port(transparent_for=(c_wr,))
        c_out = cmem.read_port()
        s_front, v_front, c_front = (Signal(range(G + 1), name=f"{k}_front") for k in "svc")
        unwritten = Signal()
        m.d.comb += c_out.addr.eq(self.count_addr)
        m.d.sync += unwritten.eq(self.count_addr >= c_front)
        m.d.comb += self.count_data.eq(Mux(unwritten, 0, c_out.data))
        return SimpleNamespace(s=SimpleNamespace(wr=s_wr, rd=s_rd, front=s_front),
                               v=SimpleNamespace(wr=v_wr, rd=v_rd, front=v_front),
                               c=SimpleNamespace(wr=c_wr, rd=c_rd, front=c_front))

    def _issue(self, m: Module, xbar, bias, mem, fifo) -> SimpleNamespace:
        """Cycle c: an event group, or a sweep group (integrating on a marker, firing when the FIFO has room)."""
        c, G, T = self.params.config, self.groups, self.params.config.timesteps
        firing, sweeping = Signal(name="firing"), Signal(name="sweeping")
        sw_g = Signal(abits(G))
        step = Signal(abits(T), name="step")
        thr = Signal(signed(c.membrane_bits + 1), name="thr", init=self.params.threshold)
        ev_issue, sw_start, sw_issue = Signal(name="ev_issue"), Signal(name="sw_start"), Signal(name="sw_issue")
        marker, can_fire = Signal(name="marker"), Signal(name="can_sweep")
        m.d.comb += [
            can_fire.eq(fifo.level <= G),  # room for one step's groups plus the pushes in flight
            xbar.enable.eq(~firing & ~sweeping),
            marker.eq(xbar.issue_valid & xbar.issue_eos & xbar.enable),
            ev_issue.eq(xbar.issue_valid & xbar.enable & ~xbar.issue_eos),
            sw_start.eq(marker | (firing & ~sweeping & can_fire)),
            sw_issue.eq(sw_start | sweeping),
        ]
        sw_group = group_sweep(m, sw_start, G, sweeping, sw_g)
        last = sw_issue & (sw_group == G - 1)
        with m.If(self.clear):
            m.d.sync += [firing.eq(0), step.eq(0), thr.eq(self.params.threshold)]
        with m.Elif(last):  # a step's sweep is issued: the next step, the other window after the T-th
            m.d.sync += step.eq(Mux(step == T - 1, 0, step + 1))
            with m.If(step == T - 1):
                m.d.sync += firing.eq(~firing)
            m.d.sync += thr.eq(Mux(firing, thr - self.slope, self.params.threshold))
        m.d.comb += [
            mem.s.rd.addr.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            mem.v.rd.addr.eq(sw_group),
            mem.c.rd.addr.eq(sw_group),
            bias.addr.eq(sw_group),
            bias.en.eq(sw_issue & ~firing),
        ]
        s1 = SimpleNamespace(ev=Signal(name="s1_ev"), sw=Signal(name="s1_sw"), fire=Signal(name="s1_fire"),
                             last=Signal(name="s1_last"), first=Signal(name="s1_first"),
                             g=Signal(abits(G), name="s1_g"), thr=Signal.like(thr, name="s1_thr"))
        m.d.sync += [
            s1.ev.eq(ev_issue),
            s1.sw.eq(sw_issue & ~firing),
            s1.fire.eq(sw_issue & firing),
            s1.last.eq(last),
            s1.first.eq(step == 0),
            s1.g.eq(Mux(ev_issue, xbar.issue_group, sw_group)),
            s1.thr.eq(thr),
        ]
        return s1

    def _register(self, m: Module, s1, xbar, bias, mem) -> SimpleNamespace:
        """Cycle c + 1: memory outputs into registers, taking the value written back in this cycle where the
        group matches (its read came one cycle too early)."""
        G = self.groups
        s2 = SimpleNamespace(ev=Signal(name="s2_ev"), sw=Signal(name="s2_sw"), fire=Signal(name="s2_fire"),
                             last=Signal(name="s2_last"), first=Signal(name="s2_first"),
                             g=Signal(abits(G), name="s2_g"), thr=Signal.like(s1.thr, name="s2_thr"),
                             w=Signal.like(xbar.weights, name="r_w"), b=Signal(self.params.config.bias_word_bits, name="r_b"))
        m.d.sync += [s2.ev.eq(s1.ev), s2.sw.eq(s1.sw), s2.fire.eq(s1.fire), s2.last.eq(s1.last),
                     s2.first.eq(s1.first), s2.g.eq(s1.g), s2.thr.eq(s1.thr), s2.w.eq(xbar.weights), s2.b.eq(bias.data)]
        for name, port, layout in (("s", mem.s, self.params.membrane_layout), ("v", mem.v, self.params.membrane_layout),
                                   ("c", mem.c, self.params.counter_layout)):
            fwd = Signal(name=f"{name}_fwd")
            value = Signal(layout, name=f"r_{name}")
            m.d.comb += fwd.eq(port.wr.en & (port.wr.addr == s1.g))
            m.d.sync += value.eq(Mux(fwd, port.wr.data, Mux(s1.g < port.front, port.rd.data, 0)))
            setattr(s2, name, value)
        return s2

    def _execute(self, m: Module, s2, mem) -> tuple[Signal, Signal, list, list]:
        """Cycle c + 2, from registers, per lane: the new slope ``S + W``, the new membrane ``(first ? B : V) + S``
        and the fired bit ``counter = 0 & V >= theta - k R``. The counter is the one being written back in this
        cycle where the group matches (a firing sweep of the step before, issued one cycle earlier): whether a
        neuron has fired decides whether it may fire."""
        p, c, G = self.params, self.params.config, self.groups
        mb, P = c.membrane_bits, c.lanes
        valid_in_last = p.n_out - (G - 1) * P  # lanes of the last group that hold neurons
        f_fwd = Signal(name="f_fwd")
        counters = Signal(self.params.counter_layout, name="counters")
        m.d.comb += [f_fwd.eq(mem.c.wr.en & (mem.c.wr.addr == s2.g)), counters.eq(Mux(f_fwd, mem.c.wr.data, s2.c))]
        fire = Signal(P)
        slopes, membranes = [], []
        for lane in range(P):
            s_new = Signal(signed(mb), name=f"slope{lane}")
            m.d.comb += s_new.eq(s2.s[lane] + s2.w[lane])
            slopes.append(s_new)
            start = Mux(s2.first, s2.b[lane * mb : (lane + 1) * mb].as_signed(), s2.v[lane])
            v_new = Signal(signed(mb), name=f"integrated{lane}")
            m.d.comb += v_new.eq(start + s2.s[lane])
            membranes.append(v_new)
            lane_ok = Const(1) if lane < valid_in_last else (s2.g != G - 1)
            m.d.comb += fire[lane].eq((counters[lane] == 0) & (s2.v[lane] >= s2.thr) & lane_ok)
        return fire, counters, slopes, membranes

    def _push(self, m: Module, s2, fire, counters, slopes, membranes, mem, fifo) -> None:
        """Write-back at the end of c + 2 (slopes, membranes); cycle c + 3: counters += fired bits, the fired
        group into the FIFO (a step's last group with its marker), the clear frontiers advanced."""
        G, P = self.groups, self.params.config.lanes
        f_bits, f_fire, f_last = Signal(P), Signal(), Signal()
        f_g = Signal(abits(G))
        f_c = Signal(self.params.counter_layout)
        m.d.sync += [
            f_bits.eq(fire & s2.fire.replicate(P)),
            f_fire.eq(s2.fire),
            f_last.eq(s2.last & s2.fire),
            f_g.eq(s2.g),
            f_c.eq(counters),
        ]
        with m.If(s2.ev):
            m.d.comb += [mem.s.wr.addr.eq(s2.g), mem.s.wr.en.eq(1)]
            m.d.comb += [mem.s.wr.data[lane].eq(slopes[lane]) for lane in range(P)]
        with m.If(s2.sw):
            m.d.comb += [mem.v.wr.addr.eq(s2.g), mem.v.wr.en.eq(1)]
            m.d.comb += [mem.v.wr.data[lane].eq(membranes[lane]) for lane in range(P)]
        m.d.comb += [mem.c.wr.addr.eq(f_g), mem.c.wr.en.eq(f_fire)]
        m.d.comb += [mem.c.wr.data[lane].eq(f_c[lane] + f_bits[lane]) for lane in range(P)]
        for port in (mem.s, mem.v, mem.c):
            advance_front(m, self.clear, port.wr, port.front, G)
        pushed = data.View(group_layout(self.params.n_out, P), fifo.w_data)
        m.d.comb += [
            pushed.bits.eq(f_bits),
            pushed.group.eq(f_g),
            pushed.eos.eq(f_last),
            fifo.w_en.eq((f_fire & f_bits.any()) | f_last),
        ]
