"""cocotb testbench of the Spike ROM: both sources give exactly the golden encoder's ``spike_0``.

Plan (from `verify.blocks.SpikeRomCase`): the configuration, the stored
encoder inputs ``X`` of each vector, the runs ``{"vector", "encode"}`` and the
back-pressure pattern ``accept`` the output is taken with. Each step's events
must be the golden model's ``encode_spikes(X)`` row, ascending, closed by one
marker, and ``busy`` must fall after the last marker.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from model.snn.config import SnnConfig
from model.snn.golden import encode_spikes
from verify.tb.clock import cycle, reset
from verify.tb.codecs import EventCodec, spike_trains
from verify.tb.patterns import Pattern
from verify.tb.plan import read_plan, write_result
from verify.tb.streams import StreamSink


@cocotb.test()
async def spike_rom_matches_encoder(dut):
    """Stored trains and the on-chip xorshift32 encoder both reproduce `encode_spikes` bit for bit."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    x = np.array(plan["noise_x"], dtype=np.int64)
    expected_all = encode_spikes(x, config)
    codec = EventCodec(config.sizes[0])
    T, N = config.timesteps, config.sizes[0]
    accept = Pattern(plan["accept"])
    sink = StreamSink(dut, "events", accept, f"{plan['seed']} events")
    for name in ("start", "encode", "vector"):
        getattr(dut, name).value = 0
    await reset(dut)

    failures, runs = [], []
    for run in plan["runs"]:
        v, encode = int(run["vector"]), int(run["encode"])
        dut.vector.value, dut.encode.value, dut.start.value = v, encode, 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        began = cycle()
        events = await sink.receive(T, int((4 * T * (N + 4) + 100) / accept.rate), where=lambda p: codec.unpack(p)[1])
        cycles = cycle() - began
        got, errors = spike_trains(codec, [e.payload for e in events], T, N)
        await FallingEdge(dut.clk)
        if int(dut.busy.value):
            errors.append("busy still high after the last marker")
        diff = np.argwhere(got != expected_all[v])
        if len(diff):
            errors.append(f"first differing (step, input): {diff[0].tolist()} of {len(diff)}")
        runs.append({"vector": v, "encode": encode, "cycles": cycles, "spikes": int(got.sum()), "ok": not errors})
        if errors:
            failures.append(f"vector {v} encode={encode}: " + "; ".join(errors[:3]))
    write_result(plan, {"runs": runs, "stalls": sink.stalls, "error": "; ".join(failures)})
    assert not failures, "; ".join(failures)
