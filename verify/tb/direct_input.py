"""cocotb testbench of direct coding's input stage: the current it computes is the golden model's, then T markers.

Plan (from `verify.blocks.DirectInputCase`): the configuration, layer 1's
weights and biases, the stored ``X`` of each vector, the vectors to run, in
order, and the back-pressure pattern ``accept`` the markers are taken with.
There must be exactly ``T`` markers, no spike event among them, none before
the ``N_0 * G_1`` cycles of the fill, and ``busy`` must fall after the last.
Then every word of the current is read through the ``current`` port and must
equal ``direct_current(net, X)``.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import direct_current
from model.snn.layout import unpack_lanes
from verify.tb.clock import cycle, reset
from verify.tb.codecs import EventCodec
from verify.tb.patterns import Pattern
from verify.tb.plan import read_plan, write_result
from verify.tb.streams import StreamSink


async def read_current(dut, config: SnnConfig) -> np.ndarray:
    """Every neuron's current through the read port (latency 1), as signed integers."""
    words = []
    for g in range(config.groups(1)):
        dut.current__addr.value, dut.current__en.value = g, 1
        await FallingEdge(dut.clk)
        dut.current__en.value = 0
        await ReadOnly()
        words.append(int(dut.current__data.value))
        await FallingEdge(dut.clk)
    return unpack_lanes(words, config.lanes, config.membrane_bits, signed=True).reshape(-1)[: config.sizes[1]]


async def take_markers(sink: StreamSink, config: SnnConfig, codec: EventCodec, rate: float) -> tuple[int | None, list[str]]:
    """Take the stage's events until ``T`` markers (or a time limit); (the cycles from the call to the first
    event, problems)."""
    fill = config.sizes[0] * config.groups(1)
    began = cycle()
    events = await sink.receive(config.timesteps, fill + int((4 * config.timesteps + 100) / rate))
    errors = [f"a spike event in cycle {e.cycle - began}: direct coding has no input spikes"
              for e in events if not codec.unpack(e.payload)[1]]
    if len(events) < config.timesteps:
        errors.append(f"only {len(events)} of {config.timesteps} markers in {cycle() - began} cycles")
    return (events[0].cycle - began if events else None), errors


@cocotb.test()
async def direct_input_matches_golden(dut):
    """The current B_1 + W_1 X of every vector, bit for bit, and the T step markers after it."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    net = IntNetwork(config, [np.array(plan["weights"])], [np.array(plan["biases"])], [1])
    x = np.array(plan["noise_x"], dtype=np.int64)
    codec, accept = EventCodec(config.sizes[0]), Pattern(plan["accept"])
    sink = StreamSink(dut, "events", accept, f"{plan['seed']} events")
    for name in ("start", "vector", "current__addr", "current__en"):
        getattr(dut, name).value = 0
    await reset(dut)

    failures, runs = [], []
    for v in plan["runs"]:
        dut.vector.value, dut.start.value = v, 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        first, errors = await take_markers(sink, config, codec, accept.rate)
        if first is not None and first < config.sizes[0] * config.groups(1):
            errors.append(f"a marker after {first} cycles, before the {config.sizes[0] * config.groups(1)}-cycle fill")
        await FallingEdge(dut.clk)
        if int(dut.busy.value):
            errors.append("busy still high after the last marker")
        got, expected = await read_current(dut, config), direct_current(net, x[v])
        if not np.array_equal(got, expected):
            j = int(np.flatnonzero(got != expected)[0])
            errors.append(f"neuron {j}: current {int(got[j])}, the golden model's {int(expected[j])}")
        runs.append({"vector": v, "first_marker": first, "current": got.tolist(), "ok": not errors})
        if errors:
            failures.append(f"vector {v}: " + "; ".join(errors[:3]))
    write_result(plan, {"runs": runs, "stalls": sink.stalls, "error": "; ".join(failures)})
    assert not failures, "; ".join(failures)
