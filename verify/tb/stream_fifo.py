"""cocotb testbench of the stream kit itself (`verify.tb.streams`) around an ``amaranth.lib.fifo.SyncFIFO``.

Plan (from ``tests/test_verify_tb_kit.py``): the payloads ``items``, the
patterns ``offer`` and ``accept``, a ``seed`` and the wrapper's counter of the
cycles the FIFO is full (``cover``). A `StreamSource` feeds the FIFO's ``w``
port, a `StreamSink` takes from its ``r`` port, and a `StreamMonitor` on each
port records the same transfers on its own. The payloads must come out in
order, each side's monitor must agree with its driver, and the result says
how often the patterns paused the source and stalled either side.
"""

from __future__ import annotations

import cocotb

from verify.tb.clock import reset
from verify.tb.patterns import Pattern
from verify.tb.plan import read_coverage, read_plan, write_result
from verify.tb.streams import StreamMonitor, StreamSink, StreamSource


@cocotb.test()
async def kit_passes_a_fifo_in_order(dut):
    plan = read_plan()
    items = plan["items"]
    offer, accept = Pattern(plan["offer"]), Pattern(plan["accept"])
    source = StreamSource(dut, "w", offer, f"{plan['seed']} w")
    sink = StreamSink(dut, "r", accept, f"{plan['seed']} r")
    watch_w, watch_r = StreamMonitor(dut, "w"), StreamMonitor(dut, "r")
    await reset(dut)
    source.send(items)
    outs = await sink.receive(len(items), int((10 * len(items) + 100) / min(offer.rate, accept.rate)))
    ins = source.take()
    errors = []
    if [t.payload for t in outs] != items:
        errors.append(f"{len(outs)} of {len(items)} payloads out, not in order or not all")
    if watch_w.take() != ins or watch_r.take() != outs:
        errors.append("a monitor recorded other transfers than the source or the sink")
    write_result(plan, {
        "in_cycles": [t.cycle for t in ins], "out_cycles": [t.cycle for t in outs], "paused": source.paused,
        "input_stalls": source.stalls, "output_stalls": sink.stalls, "output_waits": sink.waits,
        "coverage": read_coverage(dut, plan), "error": "; ".join(errors)})
    assert not errors, "; ".join(errors)
