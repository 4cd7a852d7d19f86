"""cocotb testbench of the FPGA top (`hw.fpga_top.FpgaTop`): the narrow pin interface gives the golden model's counts.

Plan (from `verify.system.run_fpga_top`): ``manifest``, ``rtl_dir`` and
``images`` as for ``verify.tb.generator``. Per image it pulses ``start``,
waits for ``done`` and reads every neuron of every layer one at a time
through ``read_layer``/``read_group``/``read_lane`` -> ``read_count``
(``READ_LATENCY`` cycles, one read issued per cycle), then compares them with the golden
model's counts.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

from hw.fpga_top import READ_LATENCY
from model.snn.config import SnnConfig
from model.snn.golden import run_noise
from verify.perf import cycle_budget, timeout_cycles
from verify.tb.clock import reset
from verify.tb.plan import load_plan_export, read_plan, write_result
from verify.wrapper import CLOCK_PERIOD_NS


async def read_all_counts(dut, config: SnnConfig) -> list[np.ndarray]:
    """Every layer's counts, neuron by neuron, one read issued per cycle (pipelined)."""
    addrs = [(l, j) for l in range(1, config.layers + 1) for j in range(config.sizes[l])]
    counts = [np.zeros(config.sizes[l], dtype=np.int64) for l in range(config.layers + 1)]
    P = config.lanes
    for k in range(len(addrs) + READ_LATENCY):
        if k < len(addrs):
            l, j = addrs[k]
            dut.read_layer.value, dut.read_group.value, dut.read_lane.value = l - 1, j // P, j % P
        await FallingEdge(dut.clk)
        if k >= READ_LATENCY - 1 and k - (READ_LATENCY - 1) < len(addrs):
            l, j = addrs[k - (READ_LATENCY - 1)]
            counts[l][j] = int(dut.read_count.value)
    return counts[1:]


@cocotb.test()
async def fpga_top_matches_golden(dut):
    plan = read_plan()
    export, rtl = load_plan_export(plan)
    net, vectors, config = export.net, export.vectors, export.config
    stored = rtl.stored_trains  # without stored trains there is no encode pin
    for name in ("start", "vector", "read_layer", "read_group", "read_lane") + (("encode",) if stored else ()):
        getattr(dut, name).value = 0
    await reset(dut)
    images, failures = [], []
    for item in plan["images"]:
        n, encode = int(item["vector"]), int(item["encode"])
        expected = run_noise(net, vectors[n].noise_x)
        limit = timeout_cycles(config, cycle_budget(config, expected.spikes, design=rtl.design)["serial_sum"])
        await FallingEdge(dut.clk)
        dut.vector.value, dut.start.value = n, 1
        if stored:
            dut.encode.value = encode
        await FallingEdge(dut.clk)
        dut.start.value = 0
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        busy = int(dut.busy.value)  # start goes through two registers before it shows on busy
        try:
            await with_timeout(RisingEdge(dut.done), limit * CLOCK_PERIOD_NS, "ns")
        except SimTimeoutError:
            failures.append(f"vector {n} (encode={encode}): no done within {limit} cycles")
            break
        await FallingEdge(dut.clk)
        observed = await read_all_counts(dut, config)
        mismatched = [int(np.sum(expected.counts[l] != observed[l - 1])) for l in range(1, config.layers + 1)]
        ok = busy == 1 and int(dut.busy.value) == 0 and not any(mismatched)
        images.append({"vector": n, "encode": encode, "busy_after_start": busy, "mismatched_neurons": mismatched,
                       "spikes": [int(c.sum()) for c in observed], "ok": ok})
        if not ok:
            failures.append(f"vector {n} (encode={encode}): busy {busy}, mismatched neurons per layer {mismatched}")
    write_result(plan, {"images": images, "error": "; ".join(failures)})
    assert not failures, "; ".join(failures)
