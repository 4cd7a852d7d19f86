"""A finite-state machine as a chain of ``If``/``Elif`` on a state register.

Amaranth's ``m.FSM`` becomes a switch that Yosys writes as a Verilog function, which Icarus cannot read; the same
machine as a priority chain is plain multiplexers, and reads the same way.
"""

from __future__ import annotations

from amaranth import Module, Signal


def state_machine(m: Module, states: tuple[str, ...]):
    """A state register over ``states`` (the first is the reset state) in ``m``; returns ``(in_state, goto)``:
    ``with in_state(name):`` opens the statements of one state (the states' blocks must follow each other at one
    level), ``goto(name)`` moves to another at the next clock edge (the last ``goto`` of a cycle wins)."""
    if len(set(states)) != len(states) or not states:
        raise ValueError(f"a state machine needs distinct state names, got {states!r}")
    index = {name: k for k, name in enumerate(states)}
    state = Signal(range(len(states)), name="state")
    opened = []

    def in_state(name: str):
        test = state == index[name]
        block = m.Elif(test) if opened else m.If(test)
        opened.append(name)
        return block

    def goto(name: str) -> None:
        m.d.sync += state.eq(index[name])

    return in_state, goto
