"""cocotb testbench of the event buffer (`hw.events.EventBuffer`): order, no loss, no duplicates, full rate.

Plan (from `verify.blocks.EventBufferCase`): a list of events ``[index, eos]``.
Phase 1 offers them with random gaps against a randomly ready consumer and
checks that the same sequence comes out; phase 2 offers them back to back to
an always-ready consumer and checks one transfer per cycle (latency 1).
"""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly

from verify.tb.clock import reset
from verify.tb.codecs import EventCodec
from verify.tb.plan import read_plan, write_result


async def pass_through(dut, items, codec, offer_rate: float, ready_rate: float, rng, limit: int):
    """Drive ``items`` through; returns (what came out, cycles)."""
    out, k, cycles = [], 0, 0
    while len(out) < len(items) and cycles < limit:
        offer = k < len(items) and rng.random() < offer_rate
        ready = rng.random() < ready_rate
        dut.i__valid.value = int(offer)
        dut.i__payload.value = codec.pack(*items[k]) if offer else 0
        dut.o__ready.value = int(ready)
        await ReadOnly()
        if offer and int(dut.i__ready.value):
            k += 1
        if ready and int(dut.o__valid.value):
            out.append(list(codec.unpack(int(dut.o__payload.value))))
        await FallingEdge(dut.clk)
        cycles += 1
    dut.i__valid.value = 0
    dut.o__ready.value = 0
    return out, cycles


@cocotb.test()
async def event_buffer_passes_every_event_in_order(dut):
    plan = read_plan()
    items = [[int(i), int(e)] for i, e in plan["items"]]
    codec = EventCodec(plan["n"])
    rng = random.Random(plan["seed"])
    dut.i__valid.value = 0
    dut.o__ready.value = 0
    await reset(dut)
    errors = []
    out, random_cycles = await pass_through(dut, items, codec, 0.7, 0.5, rng, 20 * len(items) + 100)
    if out != items:
        errors.append(f"random handshakes: {len(out)} of {len(items)} events out, first difference at "
                      f"{next((j for j, (a, b) in enumerate(zip(out, items)) if a != b), min(len(out), len(items)))}")
    for _ in range(3):
        await FallingEdge(dut.clk)
    out, full_cycles = await pass_through(dut, items, codec, 1.0, 1.0, rng, 20 * len(items) + 100)
    if out != items or full_cycles != len(items) + 1:
        errors.append(f"back to back: {len(out)} events in {full_cycles} cycles, expected {len(items)} in {len(items) + 1}")
    write_result(plan, {"random_cycles": random_cycles, "full_rate_cycles": full_cycles, "events": len(items),
                        "error": "; ".join(errors)})
    assert not errors, "; ".join(errors)
