"""cocotb testbench of the XBAR: read order, lane routing and handshake against the weight matrix.

Plan (from `verify.blocks.XbarCase`): the weights ``W[j][i]``, a list of
events ``[index, eos]``, and the patterns the source offers them by
(``offer``) and ``enable`` is driven by. As in cocotb's matrix-multiplier
example, a monitor (`XbarMonitor`) samples the ports every cycle, a reference
model (`XbarModel`, of the input register) says what each cycle must show,
and a checker (`XbarChecker`) compares the two, cycle by cycle: the issue side
shows the event taken in an earlier cycle, its groups are issued ``0 .. G-1``
in order, ``ready`` is high exactly while the register is empty or its event
takes its last slot (or the marker's), and one cycle after each issued group
the ``P`` lanes hold ``W[g*P + p][i]`` (0 past the last neuron); otherwise the
lanes hold still.
"""

from __future__ import annotations

from typing import NamedTuple

import cocotb
import numpy as np
from cocotb.queue import Queue
from cocotb.triggers import FallingEdge, ReadOnly

from model.snn.config import groups_of
from model.snn.layout import unpack_lanes
from verify.tb.clock import cycle, reset, wait_until
from verify.tb.codecs import EventCodec
from verify.tb.patterns import Pattern
from verify.tb.plan import read_plan, write_result
from verify.tb.streams import PatternDriver, StreamSource


class Sample(NamedTuple):
    """The XBAR's ports in one cycle, once its inputs have settled."""

    cycle: int
    valid: int
    event: tuple[int, int]
    ready: int
    enable: int
    issue_valid: int
    issue_eos: int
    issue_group: int
    lanes: list[int] | None  # None: unknown (before the first read)


class Expected(NamedTuple):
    """What the model says a cycle must show."""

    ready: int
    registered: tuple[int, int] | None  # the event on the issue side, or None (issue_valid low)
    group: int | None  # the group issued this cycle, if a spike event's group is
    lanes: list[int] | None  # the word read for the group issued last cycle; None: the lanes hold still


class XbarMonitor:
    """Samples the XBAR's ports every cycle into ``samples`` (as the example's DataValidMonitor, but every
    cycle: the checker needs the cycles without a transfer too)."""

    def __init__(self, dut, codec: EventCodec, lanes: int, weight_bits: int):
        self.dut, self.codec, self.lanes, self.weight_bits = dut, codec, lanes, weight_bits
        self.samples: Queue[Sample] = Queue()
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        d = self.dut
        while True:
            await FallingEdge(d.clk)
            await ReadOnly()
            word = d.weights.value
            lanes = None  # unknown before the first read
            if word.is_resolvable:
                lanes = unpack_lanes([int(word)], self.lanes, self.weight_bits, signed=True)[0].tolist()
            self.samples.put_nowait(Sample(
                cycle(), int(d.events__valid.value), self.codec.unpack(int(d.events__payload.value)),
                int(d.events__ready.value), int(d.enable.value), int(d.issue_valid.value), int(d.issue_eos.value),
                int(d.issue_group.value), lanes))


class XbarModel:
    """The reference model of the XBAR's input register: its event and the next group to issue."""

    def __init__(self, weights: np.ndarray, lanes: int):
        self.lanes, self.groups = lanes, groups_of(len(weights), lanes)
        self.padded = np.zeros((self.groups * lanes, weights.shape[1]), dtype=np.int64)
        self.padded[: len(weights)] = weights
        self.current: tuple[int, int] | None = None
        self.group = 0
        self.pending: tuple[int, int] | None = None  # (event, group) issued last cycle: its word shows now

    @property
    def idle(self) -> bool:
        """The register is empty and the last word read has shown."""
        return self.current is None and self.pending is None

    def step(self, s: Sample) -> Expected:
        """What cycle ``s`` must show; then on to the next cycle with the handshake that happened in ``s``
        (a wrong ``ready`` is reported once by the checker, not carried on)."""
        lanes = None
        if self.pending is not None:
            i, g = self.pending
            lanes = self.padded[g * self.lanes : (g + 1) * self.lanes, i].tolist()
        expected_group, done, self.pending = None, False, None
        if self.current is not None and s.enable:
            index, eos = self.current
            if eos:
                done = True
            else:
                expected_group, self.pending = self.group, (index, self.group)
                done = self.group == self.groups - 1
                self.group += 1
        expected = Expected(int(self.current is None or done), self.current, expected_group, lanes)
        if s.ready:
            self.current, self.group = (s.event if s.valid else None), 0
        return expected


class XbarChecker:
    """Feeds the monitor's samples to the model and compares, cycle by cycle; ``errors`` in order."""

    def __init__(self, monitor: XbarMonitor, model: XbarModel):
        self.monitor, self.model = monitor, model
        self.errors: list[str] = []
        self.held: list[int] | None = None  # the lanes last cycle
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            s = await self.monitor.samples.get()
            self.compare(s, self.model.step(s))
            self.held = s.lanes

    def compare(self, s: Sample, e: Expected) -> None:
        if e.lanes is not None and s.lanes != e.lanes:
            self.errors.append(f"cycle {s.cycle}: lanes {s.lanes}, expected {e.lanes}")
        elif e.lanes is None and self.held is not None and s.lanes != self.held:
            self.errors.append(f"cycle {s.cycle}: lanes changed without an issue: {self.held} -> {s.lanes}")
        if s.issue_valid != int(e.registered is not None) or (e.registered is not None and s.issue_eos != e.registered[1]):
            self.errors.append(f"cycle {s.cycle}: issue_valid/issue_eos do not show the registered event {e.registered}")
        if e.group is not None and s.issue_group != e.group:
            self.errors.append(f"cycle {s.cycle}: event {e.registered[0]}: issued group {s.issue_group}, expected {e.group}")
        if s.ready != e.ready:
            full = "empty" if e.registered is None else "full"
            last = " and its last slot taken" if e.registered is not None and e.ready else ""
            self.errors.append(f"cycle {s.cycle}: ready={s.ready} with the register {full}{last}")


@cocotb.test()
async def xbar_reads_and_routes(dut):
    """Every issued group shows the right weights one cycle later, in order, with the right handshake."""
    plan = read_plan()
    case = plan["case"]
    codec = EventCodec(case["n_in"])
    offer, enable = Pattern(case["offer"]), Pattern(case["enable"])
    source = StreamSource(dut, "events", offer, f"{case['seed']} events")
    dut.enable.value = 0
    await reset(dut)
    PatternDriver(dut.clk, dut.enable, enable, f"{case['seed']} enable")
    model = XbarModel(np.array(plan["weights"]), case["lanes"])
    checker = XbarChecker(XbarMonitor(dut, codec, case["lanes"], case["weight_bits"]), model)
    items = plan["items"]
    await FallingEdge(dut.clk)  # the monitor samples from here on
    source.send(codec.pack(*it) for it in items)
    began = cycle()
    limit = int(50 * len(items) * (model.groups + 1) / min(offer.rate, enable.rate))
    finished = await wait_until(dut.clk, lambda: source.idle and model.idle, limit)
    errors = checker.errors
    if not finished:
        errors.append(f"stalled: {len(source.transfers)} of {len(items)} events taken in {cycle() - began} cycles")
    write_result(plan, {"cycles": cycle() - began, "events": len(source.take()), "error": "; ".join(errors[:5])})
    assert not errors, "; ".join(errors[:5])
