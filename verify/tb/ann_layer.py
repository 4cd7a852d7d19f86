"""cocotb testbench of one ANN-twin layer against the golden model's closed form.

Plan (from `verify.blocks.AnnLayerCase`): config, weights, biases, threshold ``T R``, whether the layer is
dense, and input activations for several images, run back to back (each starts with ``clear``) under the
patterns ``offer`` (the input source's pauses) and ``accept`` (the output's back-pressure). The input is what
the twin's previous stage sends: every activation (dense) or the non-zero ones, then one marker. The checker
compares the output events (index and value, in order) and the read-out (which neurons are non-zero) with
`model.snn.ramp.fire` of ``W a + B``.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from model.snn.config import SnnConfig
from model.snn.ramp import fire
from verify.tb.clock import cycle, reset
from verify.tb.codecs import EventCodec, read_layer_counts
from verify.tb.patterns import Pattern
from verify.tb.plan import read_plan, write_result
from verify.tb.streams import StreamSink, StreamSource


def expected_events(values: np.ndarray, dense: bool) -> list[tuple[int, int]]:
    """The ``(index, value)`` events a layer sends for its outputs ``values``: all of them, or the non-zero ones."""
    return [(int(n), int(v)) for n, v in enumerate(values) if dense or v]


class AnnLayerTB:
    """Input source, output sink and read-out for `hw.ann_layer.AnnLayer`."""

    def __init__(self, dut, config: SnnConfig, value_bits: int, seed: int, offer: Pattern, accept: Pattern):
        self.dut, self.config = dut, config
        self.inp, self.out = EventCodec(config.sizes[0], value_bits), EventCodec(config.sizes[1], value_bits)
        self.source = StreamSource(dut, "events", offer, f"{seed} events")
        self.sink = StreamSink(dut, "spikes", accept, f"{seed} spikes")

    async def run_image(self, events: list[tuple[int, int]], max_cycles: int) -> dict:
        d = self.dut
        d.clear.value = 1
        await FallingEdge(d.clk)
        d.clear.value = 0
        began = cycle()
        self.source.send([self.inp.pack(i, 0, v) for i, v in events] + [self.inp.pack(0, 1)])
        got = await self.sink.receive(1, max_cycles, where=lambda p: self.out.unpack(p)[1])
        cycles = cycle() - began
        errors = [] if got and self.out.unpack(got[-1].payload)[1] else [f"no marker after {cycles} cycles"]
        out = [(self.out.unpack(t.payload)[0], self.out.value(t.payload)) for t in got
               if not self.out.unpack(t.payload)[1]]
        nonzero = await read_layer_counts(self.dut, self.config)
        return {"events": out, "nonzero": nonzero, "errors": errors, "cycles": cycles}


@cocotb.test()
async def ann_layer_matches_golden(dut):
    """Output events and read-out of every image equal the closed form's, under the plan's stall patterns."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    w, b = np.array(plan["weights"]), np.array(plan["biases"])
    dense, offer, accept = plan["dense"], Pattern(plan["offer"]), Pattern(plan["accept"])
    tb = AnnLayerTB(dut, config, plan["value_bits"], plan["seed"], offer, accept)
    dut.clear.value = 0
    dut.count_addr.value = 0
    await reset(dut)
    failures, images = [], []
    for n, a in enumerate(np.array(plan["activations"])):
        values = fire(a @ w.T + b, plan["threshold"], config.timesteps)
        inputs = expected_events(a, dense)
        slots = (len(inputs) + 1) * config.groups(1) + 2 * config.sizes[1] + 64
        got = await tb.run_image(inputs, max_cycles=int(4 * slots / (offer.rate * accept.rate)))
        want = expected_events(values, dense)
        ok = got["events"] == want and np.array_equal(got["nonzero"], values > 0) and not got["errors"]
        images.append({"cycles": got["cycles"], "values": values.tolist(), "ok": bool(ok)})
        if not ok:
            first = next((k for k, (x, y) in enumerate(zip(got["events"], want)) if x != y), min(len(got["events"]), len(want)))
            failures.append(f"image {n}: {len(got['events'])} events, {len(want)} expected, first difference at "
                            f"{first}; read-out equal: {np.array_equal(got['nonzero'], values > 0)}; {got['errors']}")
    stalls = {"paused": tb.source.paused, "input_stalls": tb.source.stalls, "output_stalls": tb.sink.stalls}
    write_result(plan, {"images": images, "stalls": stalls, "error": "; ".join(failures)})
    assert not failures, "; ".join(failures)
