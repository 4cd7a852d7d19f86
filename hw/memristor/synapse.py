"""The 1M4T memristor synapse in fixed point: pre trace, VTEAM update unit, R-STDP
mode switch and the conductance read-out (``docs/memristor-semantics.md``).

All blocks here are combinational (latency 0); the crossbar registers around them.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import enum, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from model.common.errors import UserError
from model.memristor.fixed import FixedSpec, LayerSpec


class Mode(enum.Enum, shape=2):
    """R-STDP mode of a post neuron: the 1M4T switch's polarity."""

    NONE = 0
    REWARD = 1  # normal STDP: SET pulse, state down, conductance up
    PUNISH = 2  # anti-STDP: RESET pulse, state up, conductance down


def _rom(m: Module, name: str, values: tuple[int, ...], addr, data) -> None:
    """A combinational read-only table ``data = values[addr]``."""
    width = max(1, max(values).bit_length())
    rom = Memory(shape=unsigned(width), depth=len(values), init=list(values))
    m.submodules[name] = rom
    port = rom.read_port(domain="comb")
    m.d.comb += [port.addr.eq(addr), data.eq(port.data)]


class PreTrace(wiring.Component):
    """Pre-synaptic trace from the pre neuron's raster word (bit ``s`` = spike at step ``s``).

    ``spike``: a spike at step ``t``; ``valid``: a spike at some step ``<= t``;
    ``age = t - last`` with ``last`` the latest such step. Combinational.
    """

    def __init__(self, steps: int):
        if steps < 1:
            raise UserError("PreTrace needs at least one step.")
        self.steps = steps
        super().__init__(
            {
                "word": In(steps),
                "t": In(range(steps)),
                "spike": Out(1),
                "valid": Out(1),
                "age": Out(range(steps)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        last = Signal(range(self.steps))
        for s in range(self.steps):  # ascending: the latest spike at or before t wins
            with m.If(self.word[s] & (self.t >= s)):
                m.d.comb += [last.eq(s), self.valid.eq(1)]
        m.d.comb += [self.spike.eq(self.word.bit_select(self.t, 1)), self.age.eq(self.t - last)]
        return m


class VteamUpdate(wiring.Component):
    """One programming pulse through a VTEAM memristor, in integers.

    ``volt = V[age]`` (the decaying pre waveform the 1M4T cell applies), then the
    state change of one pulse at that voltage from the device tables: REWARD
    ``max(state - DW_on[volt], 0)``, PUNISH ``min(state + DW_off[volt], 2^S - 1)``;
    NONE or no pre spike (``valid = 0``) keeps the state. Combinational.
    """

    def __init__(self, spec: FixedSpec, layer: LayerSpec):
        if len(layer.volt) != spec.steps or len(layer.dw_on) != 1 << spec.volt_bits:
            raise UserError("VteamUpdate: tables do not match the spec's steps and volt_bits.")
        if max(layer.volt) >= 1 << spec.volt_bits:
            raise UserError("VteamUpdate: a voltage code exceeds volt_bits.")
        self.spec, self.layer = spec, layer
        super().__init__(
            {
                "state": In(spec.state_bits),
                "age": In(range(spec.steps)),
                "valid": In(1),
                "mode": In(Mode),
                "volt": Out(spec.volt_bits),
                "new_state": Out(spec.state_bits),
            }
        )

    def elaborate(self, platform):
        m = Module()
        spec, layer = self.spec, self.layer
        dw_on = Signal(spec.state_bits + 1)
        dw_off = Signal(spec.state_bits + 1)
        _rom(m, "volt_rom", layer.volt, self.age, self.volt)
        _rom(m, "dw_on_rom", layer.dw_on, self.volt, dw_on)
        _rom(m, "dw_off_rom", layer.dw_off, self.volt, dw_off)
        m.d.comb += self.new_state.eq(self.state)
        with m.If(self.valid):
            with m.If(self.mode == Mode.REWARD):
                with m.If(self.state > dw_on):
                    m.d.comb += self.new_state.eq(self.state - dw_on)
                with m.Else():
                    m.d.comb += self.new_state.eq(0)
            with m.Elif(self.mode == Mode.PUNISH):
                with m.If(self.state + dw_off < spec.state_max):
                    m.d.comb += self.new_state.eq(self.state + dw_off)
                with m.Else():
                    m.d.comb += self.new_state.eq(spec.state_max)
        return m


class Synapse(wiring.Component):
    """The per-synapse datapath of the crossbar (one 1M4T cell, time-multiplexed).

    Read: ``weight = G[state >> (S - A)]`` (conductance times ``R_on``, F fraction
    bits) and ``spike`` = the pre neuron fired at step ``t``. Learn: when the post
    neuron fires (``fire``), ``new_state`` is the state after one programming pulse
    (:class:`PreTrace` + :class:`VteamUpdate`), else the unchanged state. Combinational.
    """

    def __init__(self, spec: FixedSpec, layer: LayerSpec):
        self.spec, self.layer = spec, layer
        super().__init__(
            {
                "state": In(spec.state_bits),
                "word": In(spec.steps),
                "t": In(range(spec.steps)),
                "fire": In(1),
                "mode": In(Mode),
                "spike": Out(1),
                "weight": Out(max(spec.g_rom).bit_length()),
                "new_state": Out(spec.state_bits),
            }
        )

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        m.submodules.trace = trace = PreTrace(spec.steps)
        m.submodules.vteam = vteam = VteamUpdate(spec, self.layer)
        _rom(m, "g_rom", spec.g_rom, self.state[spec.g_shift :], self.weight)
        m.d.comb += [
            trace.word.eq(self.word),
            trace.t.eq(self.t),
            self.spike.eq(trace.spike),
            vteam.state.eq(self.state),
            vteam.age.eq(trace.age),
            vteam.valid.eq(trace.valid & self.fire),
            vteam.mode.eq(self.mode),
            self.new_state.eq(vteam.new_state),
        ]
        return m
