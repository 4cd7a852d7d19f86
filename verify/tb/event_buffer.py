"""cocotb testbench of the event buffer (`hw.events.EventBuffer`): order, no loss, no duplicates, full rate.

Plan (from `verify.blocks.EventBufferCase`): a list of events ``[index, eos]``
and the patterns ``offer`` (the source's pauses) and ``accept`` (the
consumer's back-pressure). Phase 1 passes the events through under those
patterns and checks that the same sequence comes out; phase 2 offers them
back to back to an always-ready consumer and checks one transfer per cycle,
each out in the cycle after it went in (latency 1).
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import FallingEdge

from verify.tb.clock import reset
from verify.tb.codecs import EventCodec
from verify.tb.patterns import ALWAYS, Pattern
from verify.tb.plan import read_coverage, read_plan, write_result
from verify.tb.streams import StreamSink, StreamSource, Transfer


async def pass_through(source: StreamSource, sink: StreamSink, payloads: list[int],
                       limit: int) -> tuple[list[Transfer], list[Transfer]]:
    """Send ``payloads`` through; the transfers (in, out)."""
    source.send(payloads)
    out = await sink.receive(len(payloads), limit)
    return source.take(), out


def first_difference(got: list, want: list) -> int:
    """The first position where ``got`` and ``want`` differ (the shorter length if one is a prefix)."""
    return next((j for j, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))


@cocotb.test()
async def event_buffer_passes_every_event_in_order(dut):
    plan = read_plan()
    codec = EventCodec(plan["n"])
    payloads = [codec.pack(i, e) for i, e in plan["items"]]
    offer, accept = Pattern(plan["offer"]), Pattern(plan["accept"])
    source = StreamSource(dut, "i", offer, f"{plan['seed']} i")
    sink = StreamSink(dut, "o", accept, f"{plan['seed']} o")
    await reset(dut)
    errors = []
    limit = int((20 * len(payloads) + 100) / min(offer.rate, accept.rate))
    ins, outs = await pass_through(source, sink, payloads, limit)
    got = [t.payload for t in outs]
    if got != payloads:
        errors.append(f"under the patterns: {len(got)} of {len(payloads)} events out, first difference at "
                      f"{first_difference(got, payloads)}")
    patterned = {"cycles": outs[-1].cycle - ins[0].cycle + 1 if outs and ins else None, "paused": source.paused,
                 "input_stalls": source.stalls, "output_stalls": sink.stalls}

    source.use(ALWAYS)
    sink.use(ALWAYS)
    for _ in range(3):
        await FallingEdge(dut.clk)
    ins, outs = await pass_through(source, sink, payloads, 20 * len(payloads) + 100)
    first = ins[0].cycle if ins else 0
    full_cycles = outs[-1].cycle - first + 1 if outs else None
    back_to_back = [t.cycle for t in ins] == list(range(first, first + len(payloads)))
    latency_1 = [t.cycle for t in outs] == [t.cycle + 1 for t in ins]
    if [t.payload for t in outs] != payloads or not (back_to_back and latency_1):
        errors.append(f"back to back: {len(outs)} events in {full_cycles} cycles, expected {len(payloads)} in "
                      f"{len(payloads) + 1} (one in per cycle: {back_to_back}, each out one cycle later: {latency_1})")
    write_result(plan, {"patterned": patterned, "full_rate_cycles": full_cycles, "events": len(payloads),
                        "coverage": read_coverage(dut, plan), "error": "; ".join(errors)})
    assert not errors, "; ".join(errors)
