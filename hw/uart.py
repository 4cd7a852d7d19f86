"""An 8N1 UART as two byte streams: `UartRx` (pin -> stream) and `UartTx` (stream -> pin)."""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from hw.state_machine import state_machine


def check_divisor(divisor: int) -> int:
    """``divisor`` (clock cycles per bit) if a UART can run at it, else a `ValueError` naming it."""
    if not isinstance(divisor, int) or divisor < 4:
        raise ValueError(f"a UART needs at least 4 clock cycles per bit, got {divisor!r}")
    return divisor


class UartRx(wiring.Component):
    """Receives 8N1 frames on ``rx`` (idle high, LSB first) at ``divisor`` clock cycles per bit.

    ``rx`` passes a two-flop synchroniser. A falling edge starts a frame; the start bit is checked at its
    middle (a glitch shorter than half a bit is ignored), then the eight data bits and the stop bit are
    sampled at theirs. A byte with a high stop bit is offered on ``o``; one with a low stop bit is dropped and
    ``framing_error`` pulses. A byte not taken before the next one ends is overwritten (``overrun`` pulses).

    Members
    -------
    rx : ``In(1)``
    o : ``Out(stream.Signature(8))``
    framing_error : ``Out(1)``
    overrun : ``Out(1)``
    """

    def __init__(self, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__({"rx": In(1, init=1), "o": Out(stream.Signature(8)), "framing_error": Out(1),
                          "overrun": Out(1)})

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self.divisor))
        bits = Signal(range(10))  # bits still to sample after the start bit
        shift = Signal(9)  # data bits, then the stop bit, arriving at the top
        m.d.sync += [self.framing_error.eq(0), self.overrun.eq(0)]
        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        in_state, goto = state_machine(m, ("idle", "start", "data"))
        with in_state("idle"):
            with m.If(~rx):
                m.d.sync += timer.eq(self.divisor // 2 - 1)
                goto("start")
        with in_state("start"):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [timer.eq(self.divisor - 1), bits.eq(9)]
                goto("idle")
                with m.If(~rx):
                    goto("data")
        with in_state("data"):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [timer.eq(self.divisor - 1), shift.eq(Cat(shift[1:], rx)), bits.eq(bits - 1)]
                with m.If(bits == 1):
                    goto("idle")
                    with m.If(rx):
                        m.d.sync += [self.o.payload.eq(shift[1:]), self.o.valid.eq(1),
                                     self.overrun.eq(self.o.valid & ~self.o.ready)]
                    with m.Else():
                        m.d.sync += self.framing_error.eq(1)
        return m


class UartTx(wiring.Component):
    """Sends each byte taken from ``i`` as an 8N1 frame on ``tx`` (idle high, LSB first), ``divisor`` cycles per
    bit: 10 bits a byte, back to back while bytes keep coming.

    Members
    -------
    i : ``In(stream.Signature(8))``
    tx : ``Out(1)``
    """

    def __init__(self, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__({"i": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        shift = Signal(10, init=0x3FF)  # the frame's bits still to send, the current one at the bottom
        left = Signal(range(11))
        m.d.comb += [self.tx.eq(shift[0]), self.i.ready.eq(left == 0)]
        with m.If(left != 0):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [timer.eq(self.divisor - 1), shift.eq(Cat(shift[1:], 1)), left.eq(left - 1)]
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [shift.eq(Cat(0, self.i.payload, 1)), left.eq(10), timer.eq(self.divisor - 1)]
        return m
