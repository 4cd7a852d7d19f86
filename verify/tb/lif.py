"""cocotb testbench of one LIF layer (XBAR + neurons) against the golden model's layer step.

Plan (from `verify.blocks.LifCase`): config, weights, biases, threshold,
input trains for several images, run back to back (each starts with
``clear``), and the patterns ``offer`` (the input source's pauses) and
``accept`` (the output's back-pressure). The checker compares every output
spike (step and neuron) and the read-out counters with
`model.snn.golden.run_layer`.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from model.snn.config import SnnConfig
from model.snn.golden import run_layer
from verify.perf import cycle_budget, timeout_cycles
from verify.tb.clock import cycle, reset
from verify.tb.codecs import EventCodec, read_layer_counts, spike_trains
from verify.tb.patterns import Pattern
from verify.tb.plan import read_coverage, read_plan, write_result
from verify.tb.streams import StreamSink, StreamSource


class LifTB:
    """Input source, output sink and read-out for `hw.lif.LifLayer`."""

    def __init__(self, dut, config: SnnConfig, seed: int, offer: Pattern, accept: Pattern):
        self.dut, self.config = dut, config
        self.inp = EventCodec(config.sizes[0])
        self.out = EventCodec(config.sizes[1])
        self.source = StreamSource(dut, "events", offer, f"{seed} events")
        self.sink = StreamSink(dut, "spikes", accept, f"{seed} spikes")

    async def run_image(self, spikes: np.ndarray, max_cycles: int) -> dict:
        d, T = self.dut, self.config.timesteps
        items = []
        for t in range(T):
            items += [(int(i), 0) for i in np.flatnonzero(spikes[t])] + [(0, 1)]
        d.clear.value = 1
        await FallingEdge(d.clk)
        d.clear.value = 0
        began = cycle()
        self.source.send(self.inp.pack(*it) for it in items)
        events = await self.sink.receive(T, max_cycles, where=lambda p: self.out.unpack(p)[1])
        cycles = cycle() - began
        trains, errors = spike_trains(self.out, [e.payload for e in events], T, self.config.sizes[1])
        taken = len(self.source.take())
        if taken < len(items):
            errors.append(f"after {cycles} cycles: {taken} of {len(items)} input events taken")
        counts = await read_layer_counts(self.dut, self.config)
        return {"trains": trains, "counts": counts, "errors": errors, "cycles": cycles}


@cocotb.test()
async def lif_matches_golden(dut):
    """Output spike trains and counters of every image equal `run_layer`'s, under the plan's stall patterns."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    w, b, theta = np.array(plan["weights"]), np.array(plan["biases"]), int(plan["threshold"])
    offer, accept = Pattern(plan["offer"]), Pattern(plan["accept"])
    tb = LifTB(dut, config, plan["seed"], offer, accept)
    dut.clear.value = 0
    dut.count_addr.value = 0
    await reset(dut)
    failures, images = [], []
    for n, spikes in enumerate(np.array(plan["spikes"], dtype=np.uint8)):
        expected, _ = run_layer(w, b, theta, config, spikes[None])
        serial = cycle_budget(config, [spikes])["serial_sum"]
        outputs = config.timesteps * (config.sizes[1] + 1)  # at most: every neuron and the marker, every step
        limit = timeout_cycles(config, int(serial / offer.rate), outputs, accept.rate)
        got = await tb.run_image(spikes, max_cycles=limit)
        diff = np.argwhere(expected[0] != got["trains"])
        counters_equal = np.array_equal(expected[0].sum(axis=0), got["counts"])
        ok = not len(diff) and not got["errors"] and counters_equal
        images.append({"cycles": got["cycles"], "spikes": int(expected[0].sum()), "ok": bool(ok)})
        if not ok:
            where = f"first differing (step, neuron): {diff[0].tolist()}" if len(diff) else "trains equal"
            failures.append(f"image {n}: {where}; counters equal: {counters_equal}; {got['errors'][:3]}")
    stalls = {"paused": tb.source.paused, "input_stalls": tb.source.stalls, "output_stalls": tb.sink.stalls}
    write_result(plan, {"images": images, "stalls": stalls, "error": "; ".join(failures),
                        "coverage": read_coverage(dut, plan)})
    assert not failures, "; ".join(failures)
