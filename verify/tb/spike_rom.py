"""cocotb testbench of the Spike ROM: both sources give exactly the golden encoder's ``spike_0``.

Plan (from `verify.blocks.SpikeRomCase`): the configuration, the stored
encoder inputs ``X`` of each vector and the runs ``{"vector", "encode"}``. The
output is accepted with random backpressure; each step's events must be the
golden model's ``encode_spikes(X)`` row, ascending, closed by one marker, and
``busy`` must fall after the last marker.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from model.snn.config import SnnConfig
from model.snn.golden import encode_spikes
from verify.tb.clock import reset
from verify.tb.codecs import EventCodec
from verify.tb.plan import read_plan, write_result


@cocotb.test()
async def spike_rom_matches_encoder(dut):
    """Stored trains and the on-chip xorshift32 encoder both reproduce `encode_spikes` bit for bit."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    x = np.array(plan["noise_x"], dtype=np.int64)
    expected_all = encode_spikes(x, config)
    codec = EventCodec(config.sizes[0])
    rng = random.Random(plan["seed"])
    T, N = config.timesteps, config.sizes[0]
    for name in ("start", "encode", "vector", "events__ready"):
        getattr(dut, name).value = 0
    await reset(dut)

    failures, runs = [], []
    for run in plan["runs"]:
        v, encode = int(run["vector"]), int(run["encode"])
        dut.vector.value, dut.encode.value, dut.start.value = v, encode, 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        got = np.zeros((T, N), dtype=np.uint8)
        errors, step, cycles = [], 0, 0
        while step < T and cycles < 4 * T * (N + 4) + 100:
            ready = rng.random() < 0.6
            dut.events__ready.value = int(ready)
            await ReadOnly()
            if ready and int(dut.events__valid.value):
                i, eos = codec.unpack(int(dut.events__payload.value))
                if eos:
                    step += 1
                elif i >= N or got[step, i:].any():
                    errors.append(f"step {step}: input {i} out of range, repeated or not ascending")
                else:
                    got[step, i] = 1
            await FallingEdge(dut.clk)
            cycles += 1
        dut.events__ready.value = 0
        await FallingEdge(dut.clk)
        if int(dut.busy.value):
            errors.append("busy still high after the last marker")
        diff = np.argwhere(got != expected_all[v])
        if len(diff):
            errors.append(f"first differing (step, input): {diff[0].tolist()} of {len(diff)}")
        if step < T:
            errors.append(f"only {step} of {T} steps in {cycles} cycles")
        runs.append({"vector": v, "encode": encode, "cycles": cycles, "spikes": int(got.sum()), "ok": not errors})
        if errors:
            failures.append(f"vector {v} encode={encode}: " + "; ".join(errors[:3]))
    write_result(plan, {"runs": runs, "error": "; ".join(failures)})
    assert not failures, "; ".join(failures)
