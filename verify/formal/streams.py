"""The stream rules as formal properties: a producer holds ``valid`` until the payload is taken and keeps the
payload stable meanwhile (`amaranth.lib.stream`). A harness assumes them of a block's inputs and asserts them of
its outputs; and the event order within a step (`ascending_in_step`)."""

from __future__ import annotations

from amaranth import Module, ResetSignal, Signal
from amaranth.asserts import Initial
from amaranth.hdl import Assert, Assume


def reset_only_at_start(m: Module) -> None:
    """The block is reset in the first cycle and never again."""
    m.d.comb += Assume(ResetSignal() == Initial())


def _held(m: Module, port, name: str):
    """Whether ``port`` was stalled last cycle (valid, not ready), and its payload then."""
    stalled = Signal(name=f"{name}_stalled")
    payload = Signal(len(port.payload.as_value()), name=f"{name}_payload")
    m.d.sync += [stalled.eq(port.valid & ~port.ready), payload.eq(port.payload.as_value())]
    return stalled, payload


def assume_stream(m: Module, port, name: str) -> None:
    """What ``port``'s producer outside the block does: held valid and a stable payload while stalled."""
    stalled, payload = _held(m, port, name)
    with m.If(stalled):
        m.d.comb += [Assume(port.valid), Assume(port.payload.as_value() == payload)]


def assert_stream(m: Module, port, name: str) -> None:
    """What the block must do as ``port``'s producer: hold valid and a stable payload while stalled."""
    stalled, payload = _held(m, port, name)
    with m.If(stalled):
        m.d.comb += [Assert(port.valid, f"{name}: valid dropped while stalled"),
                     Assert(port.payload.as_value() == payload, f"{name}: payload changed while stalled")]


def ascending_in_step(m: Module, taken, key, closes):
    """Whether ``key`` comes after the last key taken in the current step (always, for a step's first): a
    transfer is ``taken`` with its ``key``, and one that ``closes`` ends the step."""
    last, in_step = Signal.like(key), Signal()
    with m.If(taken):
        m.d.sync += [last.eq(key), in_step.eq(~closes)]
    return ~in_step | (key > last)
