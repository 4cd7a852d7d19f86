"""cocotb testbench of one LIF layer (XBAR + neurons) against the golden model's layer step.

Plan (from `verify.blocks.LifCase`): config, weights, biases, threshold, and
input trains for several images, run back to back (each starts with
``clear``). The driver offers the input events with random gaps, the output
is accepted with random backpressure; the checker compares every output spike
(step and neuron) and the read-out counters with `model.snn.golden.run_layer`.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from model.snn.config import SnnConfig
from model.snn.golden import run_layer
from verify.perf import lower_bound_cycles, timeout_cycles
from verify.tb.clock import reset
from verify.tb.codecs import EventCodec, count_words_to_counts
from verify.tb.plan import read_coverage, read_plan, write_result


class LifTB:
    """Driver, monitor and read-out for `hw.lif.LifLayer`, one clock per loop turn."""

    def __init__(self, dut, config: SnnConfig, seed: int, ready_rate: float):
        self.dut, self.config, self.ready_rate = dut, config, ready_rate
        self.rng = random.Random(seed)
        self.inp = EventCodec(config.sizes[0])
        self.out = EventCodec(config.sizes[1])

    async def run_image(self, spikes: np.ndarray, max_cycles: int) -> dict:
        d, T = self.dut, self.config.timesteps
        items = []
        for t in range(T):
            items += [(int(i), 0) for i in np.flatnonzero(spikes[t])] + [(0, 1)]
        d.clear.value = 1
        await FallingEdge(d.clk)
        d.clear.value = 0
        trains = np.zeros((T, self.config.sizes[1]), dtype=np.uint8)
        errors, k, step, cycles = [], 0, 0, 0
        while step < T:
            offer = k < len(items) and self.rng.random() < 0.8
            d.events__valid.value = int(offer)
            d.events__payload.value = self.inp.pack(*items[k]) if offer else 0
            ready = self.rng.random() < self.ready_rate
            d.spikes__ready.value = int(ready)
            await ReadOnly()
            if offer and int(d.events__ready.value):
                k += 1
            if ready and int(d.spikes__valid.value):
                j, eos = self.out.unpack(int(d.spikes__payload.value))
                if eos:
                    step += 1
                elif j >= trains.shape[1] or trains[step, j:].any():
                    errors.append(f"step {step}: neuron {j} out of range, repeated or not ascending")
                else:
                    trains[step, j] = 1
            await FallingEdge(d.clk)
            cycles += 1
            if cycles > max_cycles:
                errors.append(f"timeout after {cycles} cycles at step {step}, input item {k}/{len(items)}")
                break
        d.events__valid.value = 0
        d.spikes__ready.value = 0
        counts = await self.read_counts()
        return {"trains": trains, "counts": counts, "errors": errors, "cycles": cycles}

    async def read_counts(self) -> np.ndarray:
        words = []
        for g in range(self.config.groups(1)):
            self.dut.count_addr.value = g
            await FallingEdge(self.dut.clk)
            words.append(int(self.dut.count_data.value))
        return count_words_to_counts(self.config, 1, words)


@cocotb.test()
async def lif_matches_golden(dut):
    """Output spike trains and counters of every image equal `run_layer`'s, under random stalls on both sides."""
    plan = read_plan()
    config = SnnConfig.from_dict(plan["config"])
    w, b, theta = np.array(plan["weights"]), np.array(plan["biases"]), int(plan["threshold"])
    tb = LifTB(dut, config, plan["seed"], plan["ready_rate"])
    dut.clear.value = 0
    dut.events__valid.value = 0
    dut.spikes__ready.value = 0
    dut.count_addr.value = 0
    await reset(dut)
    failures, images = [], []
    for n, spikes in enumerate(np.array(plan["spikes"], dtype=np.uint8)):
        expected, _ = run_layer(w, b, theta, config, spikes[None])
        bound = lower_bound_cycles(config, [spikes])["bound"]
        outputs = config.timesteps * (config.sizes[1] + 1)  # at most: every neuron and the marker, every step
        limit = timeout_cycles(config, bound, outputs, plan["ready_rate"])
        got = await tb.run_image(spikes, max_cycles=limit)
        diff = np.argwhere(expected[0] != got["trains"])
        ok = not len(diff) and not got["errors"] and np.array_equal(expected[0].sum(axis=0), got["counts"])
        images.append({"cycles": got["cycles"], "spikes": int(expected[0].sum()), "ok": bool(ok)})
        if not ok:
            where = f"first differing (step, neuron): {diff[0].tolist()}" if len(diff) else "trains equal"
            failures.append(f"image {n}: {where}; counters equal: {np.array_equal(expected[0].sum(axis=0), got['counts'])}; {got['errors'][:3]}")
    write_result(plan, {"images": images, "error": "; ".join(failures), "coverage": read_coverage(dut, plan)})
    assert not failures, "; ".join(failures)
