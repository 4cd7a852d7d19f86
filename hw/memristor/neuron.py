"""LIF neuron and the reward back-propagation unit of Eq. 3, in fixed point."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.memristor.synapse import Mode
from model.common.errors import UserError


class LifNeuron(wiring.Component):
    """One LIF step: ``sum = v - (v >> k) + acc``; ``spike = sum >= threshold``;
    ``v_next = 0`` if it fired, else ``sum``. Combinational.

    ``v`` is always below the threshold between steps, so ``sum < threshold + acc``:
    the membrane width is checked to hold that bound, no saturation is needed.
    """

    def __init__(self, threshold: int, leak_shift: int, acc_max: int):
        if threshold < 1 or leak_shift < 0 or acc_max < 0:
            raise UserError("LifNeuron needs threshold >= 1, leak_shift >= 0, acc_max >= 0.")
        self.threshold, self.leak_shift = threshold, leak_shift
        self.width = (threshold - 1 + acc_max).bit_length()
        acc_width = max(1, acc_max.bit_length())
        super().__init__(
            {
                "v": In(self.width),
                "acc": In(acc_width),
                "v_next": Out(self.width),
                "spike": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        total = Signal(self.width)
        m.d.comb += [
            total.eq(self.v - (self.v >> self.leak_shift) + self.acc),
            self.spike.eq(total >= self.threshold),
            self.v_next.eq(total),
        ]
        with m.If(self.spike):
            m.d.comb += self.v_next.eq(0)
        return m


class RewardBackprop(wiring.Component):
    """Eq. 3 for one generator neuron: ``sign(g(W_D[i, true]) - g(W_D[i, false]))``.

    Conductance falls as the state rises, so this compares states: REWARD when
    ``state_false > state_true``, PUNISH when smaller, NONE when equal. Combinational.
    """

    def __init__(self, state_bits: int):
        super().__init__({"state_true": In(state_bits), "state_false": In(state_bits), "mode": Out(Mode)})

    def elaborate(self, platform):
        m = Module()
        with m.If(self.state_false > self.state_true):
            m.d.comb += self.mode.eq(Mode.REWARD)
        with m.Elif(self.state_false < self.state_true):
            m.d.comb += self.mode.eq(Mode.PUNISH)
        with m.Else():
            m.d.comb += self.mode.eq(Mode.NONE)
        return m
