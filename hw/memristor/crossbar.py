"""A memristive crossbar layer with on-chip R-STDP learning, time-multiplexed.

The states of all ``n_in x n_out`` synapses live in one memory (address
``j * n_in + i``, output-major); one :class:`Synapse` datapath and one
:class:`LifNeuron` serve them in turn. Because neuron ``j``'s membrane, spikes
and synapse updates depend only on its own column and the input raster, the
layer runs the neurons one after another (``j`` outer, step ``t`` inner), which
is exactly the step-by-step order of ``model.memristor.fixed.run_layer``.

Per output neuron ``j``:

1. mode handshake: ``mode_req`` with ``index = j`` until ``mode_ack`` (``mode``
   sampled then; only when ``learn`` was set at ``start``);
2. for ``t = 0 .. steps-1``: integrate (``n_in + 1`` cycles: one synapse per
   cycle, reads registered), LIF (1 cycle), and when it fired and learns, one
   read-modify-write pass over column ``j`` (``n_in + 1`` cycles);
3. ``out_valid`` for one cycle with the spike train ``out_word`` (bit ``t``)
   and ``out_count``.

Cycles per run, with ``mode_ack`` answered at once: ``n_out * (2 + steps * (n_in + 2))
+ L * (n_in + 1)``, ``L`` = the spikes of learning neurons; ``done`` pulses with the
last ``out_valid``.

The input raster is read through ``rin_addr``/``rin_data`` (one word per input
neuron, bit ``t`` = spike at step ``t``) from a memory with one cycle of read
latency. The states can be written while the layer is idle (``wr_*``) and read
at any time (``rb_*``, one cycle latency; the top reads D's during stage 3).
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.memristor.neuron import LifNeuron
from hw.memristor.synapse import Mode, Synapse
from model.common.errors import UserError
from model.memristor.fixed import FixedSpec, LayerSpec


class CrossbarLayer(wiring.Component):
    def __init__(self, spec: FixedSpec, layer: LayerSpec):
        if layer.n_in < 1 or layer.n_out < 1:
            raise UserError("a crossbar needs at least one input and one output.")
        self.spec, self.layer = spec, layer
        self.depth = layer.n_in * layer.n_out
        self.acc_max = layer.n_in * max(spec.g_rom)
        super().__init__(
            {
                "start": In(1),
                "learn": In(1),
                "busy": Out(1),
                "done": Out(1),
                "rin_addr": Out(range(layer.n_in)),
                "rin_data": In(spec.steps),
                "mode_req": Out(1),
                "mode_ack": In(1),
                "mode": In(Mode),
                "index": Out(range(layer.n_out)),
                "out_valid": Out(1),
                "out_word": Out(spec.steps),
                "out_count": Out(range(spec.steps + 1)),
                "wr_en": In(1),
                "wr_addr": In(range(self.depth)),
                "wr_data": In(spec.state_bits),
                "rb_addr": In(range(self.depth)),
                "rb_data": Out(spec.state_bits),
            }
        )

    def elaborate(self, platform):
        m = Module()
        spec, layer = self.spec, self.layer
        n_in, steps = layer.n_in, spec.steps

        m.submodules.states = states = Memory(shape=unsigned(spec.state_bits), depth=self.depth, init=[])
        rd = states.read_port()
        wr = states.write_port()
        rb = states.read_port()
        m.d.comb += [rb.addr.eq(self.rb_addr), self.rb_data.eq(rb.data)]

        m.submodules.synapse = syn = Synapse(spec, layer)
        m.submodules.lif = lif = LifNeuron(layer.threshold, layer.leak_shift, self.acc_max)

        learn = Signal()
        mode = Signal(Mode)
        j = Signal(range(layer.n_out))
        t = Signal(range(steps))
        i = Signal(range(n_in + 1))  # next synapse to read
        pending = Signal()  # rd.data / rin_data hold synapse i - 1
        base = Signal(range(self.depth))  # j * n_in
        v = Signal(lif.width)
        acc = Signal(lif.acc.shape())
        word = Signal(steps)
        count = Signal(range(steps + 1))

        m.d.comb += [
            self.index.eq(j),
            self.out_word.eq(word),
            self.out_count.eq(count),
            rd.addr.eq(base + i),
            self.rin_addr.eq(i),
            syn.state.eq(rd.data),
            syn.word.eq(self.rin_data),
            syn.t.eq(t),
            syn.mode.eq(mode),
            lif.v.eq(v),
            lif.acc.eq(acc),
            wr.addr.eq(self.wr_addr),
            wr.data.eq(self.wr_data),
            wr.en.eq(self.wr_en & ~self.busy),
        ]
        last = pending & (i == n_in)  # the data of the column's last synapse is here

        def next_step():
            """After step t of neuron j: the next step, or emit the neuron."""
            with m.If(t == steps - 1):
                m.next = "EMIT"
            with m.Else():
                m.d.sync += [t.eq(t + 1), i.eq(0), acc.eq(0)]
                m.next = "INTEGRATE"

        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [learn.eq(self.learn), j.eq(0), base.eq(0)]
                    m.next = "MODE"
            with m.State("MODE"):
                m.d.comb += [self.busy.eq(1), self.mode_req.eq(learn)]
                with m.If(~learn | self.mode_ack):
                    m.d.sync += mode.eq(Mode.NONE)
                    with m.If(learn):
                        m.d.sync += mode.eq(self.mode)
                    m.d.sync += [
                        t.eq(0),
                        i.eq(0),
                        pending.eq(0),
                        acc.eq(0),
                        v.eq(0),
                        word.eq(0),
                        count.eq(0),
                    ]
                    m.next = "INTEGRATE"
            with m.State("INTEGRATE"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += pending.eq(i < n_in)
                with m.If(i < n_in):
                    m.d.sync += i.eq(i + 1)
                with m.If(pending & syn.spike):
                    m.d.sync += acc.eq(acc + syn.weight)
                with m.If(last):
                    m.next = "FIRE"
            with m.State("FIRE"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += [v.eq(lif.v_next), i.eq(0), pending.eq(0)]
                with m.If(lif.spike):
                    m.d.sync += [word.eq(word | (1 << t)), count.eq(count + 1)]
                with m.If(lif.spike & (mode != Mode.NONE)):
                    m.next = "LEARN"
                with m.Else():
                    next_step()
            with m.State("LEARN"):
                m.d.comb += [self.busy.eq(1), syn.fire.eq(1)]
                m.d.sync += pending.eq(i < n_in)
                with m.If(i < n_in):
                    m.d.sync += i.eq(i + 1)
                with m.If(pending):
                    m.d.comb += [wr.addr.eq(base + i - 1), wr.data.eq(syn.new_state), wr.en.eq(1)]
                with m.If(last):
                    next_step()
            with m.State("EMIT"):
                m.d.comb += [self.busy.eq(1), self.out_valid.eq(1)]
                with m.If(j == layer.n_out - 1):
                    m.d.comb += self.done.eq(1)
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [j.eq(j + 1), base.eq(base + n_in)]
                    m.next = "MODE"
        return m
