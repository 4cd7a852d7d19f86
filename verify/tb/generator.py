"""cocotb testbench of the generator top against the golden model (reference model, monitors, checker).

Runs inside the simulator; `verify.sim.run_testbench` starts it with a plan:
``manifest`` (the exported network and test vectors: the reference model's
input), ``rtl_dir`` (its ``rtl.json`` says what the RTL adds, e.g. another
lane count), ``images`` (``{"vector": n, "encode": 0|1}``, run in order),
``monitor_layers`` (layers whose spike-event port is recorded; an image may
carry run-time ``noise``, ``{"load": [X_i]}`` or ``{"seed": s}``, put into its
vector's noise memory first: `GeneratorTB.set_noise`),
``observed`` (an ``.npz`` for the recorded trains and counts) and ``sweeps``
(the sweep monitor's file, `verify.sweep_monitor`, or None).
"""

from __future__ import annotations

import time

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, SimTimeoutError, ValueChange, with_timeout
from cocotb.utils import get_sim_time

from model.snn.config import SnnConfig
from model.snn.golden import draw_noise, first_divergence, output_image, run_noise
from verify.checker import artefacts, disagreement
from verify.perf import cycle_budget, timeout_cycles
from verify.sweep_monitor import SweepLog, check_sweeps
from verify.tb.codecs import count_words_to_counts
from verify.activity import slot_check
from verify.tb.plan import load_plan_export, read_activity, read_coverage, read_plan, report_progress, write_result
from verify.wrapper import CLOCK_PERIOD_NS, pulse_counter


class SpikeMonitor:
    """Records one layer's spikes from its spike-event port.

    It wakes once per spike (``total`` changes exactly then), not once per
    clock, and reads ``index``/``step`` after the edge has settled. The
    wrapper counts the cycles ``valid`` is high (`verify.wrapper.pulse_counter`):
    one per spike, which `pulses_match` checks after each image.
    """

    def __init__(self, dut, layer: int, n: int, timesteps: int):
        self.layer = layer
        self.valid = getattr(dut, f"spikes{layer}__valid")
        self.pulses = getattr(dut, pulse_counter(f"spikes{layer}__valid"), None)
        self.pulses_before = 0
        self.index = getattr(dut, f"spikes{layer}__index")
        self.step = getattr(dut, f"spikes{layer}__step")
        self.total = getattr(dut, f"spikes{layer}__total")
        self.trains = np.zeros((timesteps, n), dtype=np.uint8)
        self.seen = 0
        self.errors: list[str] = []

    def clear(self) -> None:
        self.trains[:] = 0
        self.seen = 0
        self.pulses_before = int(self.pulses.value) if self.pulses is not None else 0

    def pulses_match(self) -> None:
        """After an image: ``valid`` was high in exactly as many cycles as there were spikes."""
        if self.pulses is None:
            return
        pulses, spikes = int(self.pulses.value) - self.pulses_before, int(self.trains.sum())
        if pulses != spikes:
            self.errors.append(f"layer {self.layer}: the spike-event port's valid was high in {pulses} cycles "
                               f"for {spikes} spikes")

    async def run(self) -> None:
        while True:
            await ValueChange(self.total)
            await ReadOnly()
            total = int(self.total.value)
            if total == 0:
                continue  # cleared by start
            if total != self.seen + 1 or int(self.valid.value) != 1:
                self.errors.append(f"layer {self.layer}: spike-event port jumped from {self.seen} to {total} spikes")
            self.seen = total
            t, j = int(self.step.value), int(self.index.value)
            if t >= self.trains.shape[0] or j >= self.trains.shape[1] or self.trains[t, j]:
                self.errors.append(f"layer {self.layer}: bad or repeated spike (step {t}, neuron {j})")
            else:
                self.trains[t, j] = 1


class GeneratorTB:
    """Drives the generator: reset, one image per `run_image`, counts through the read-out port."""

    def __init__(self, dut, config: SnnConfig, monitor_layers):
        self.dut = dut
        self.config = config
        self.monitors = {l: SpikeMonitor(dut, l, config.sizes[l], config.timesteps) for l in monitor_layers}
        self.busy_cycles = getattr(dut, pulse_counter("busy"), None)

    async def reset(self) -> None:
        d = self.dut
        d.rst.value = 1
        for name in ("start", "encode", "vector", "count_layer", "count_addr", "draw", "seed", "noise__en",
                     "noise__addr", "noise__data"):
            getattr(d, name).value = 0
        for _ in range(3):
            await FallingEdge(d.clk)
        d.rst.value = 0
        for mon in self.monitors.values():
            cocotb.start_soon(mon.run())

    async def set_noise(self, vector: int, noise: dict) -> np.ndarray:
        """Put run-time noise into vector ``vector``'s noise memory: ``{"load": [X_i]}`` through the ``noise``
        port, one word a cycle, or ``{"seed": s}`` drawn by the on-chip source. Returns the ``X`` now there."""
        d, n0 = self.dut, self.config.sizes[0]
        await FallingEdge(d.clk)
        if "load" in noise:
            x = np.asarray(noise["load"], dtype=np.int64)
            for i, xi in enumerate(x):
                d.noise__addr.value, d.noise__data.value, d.noise__en.value = vector * n0 + i, int(xi), 1
                await FallingEdge(d.clk)
            d.noise__en.value = 0
            return x
        d.vector.value, d.seed.value, d.draw.value = vector, int(noise["seed"]), 1
        await FallingEdge(d.clk)
        d.draw.value = 0
        for _ in range(n0 + 1):
            await FallingEdge(d.clk)
        if int(d.busy.value):
            raise AssertionError(f"the noise source was still busy {n0 + 1} cycles after draw")
        return draw_noise(int(noise["seed"]), self.config)

    async def run_image(self, vector: int, encode: int, timeout_cycles: int) -> dict:
        d = self.dut
        for mon in self.monitors.values():
            mon.clear()
        await FallingEdge(d.clk)
        launched = get_sim_time("ns") + CLOCK_PERIOD_NS / 2  # the rising edge that takes start
        busy_before = int(self.busy_cycles.value) if self.busy_cycles is not None else 0
        d.vector.value, d.encode.value, d.start.value = vector, encode, 1
        await FallingEdge(d.clk)
        d.start.value = 0
        await with_timeout(RisingEdge(d.done), timeout_cycles * CLOCK_PERIOD_NS, "ns")
        counted = round((get_sim_time("ns") - launched) / CLOCK_PERIOD_NS)
        await FallingEdge(d.clk)
        cycles = int(d.cycles.value)
        busy = int(self.busy_cycles.value) - busy_before if self.busy_cycles is not None else None
        counts = await self.read_counts()
        return {"cycles": cycles, "counted_cycles": counted, "busy_cycles": busy, "counts": counts,
                "trains": {l: m.trains.copy() for l, m in self.monitors.items()}}

    async def read_counts(self) -> list[np.ndarray]:
        """Every layer's counters through the read-out port (latency 1, pipelined: one word per cycle)."""
        c, d = self.config, self.dut
        words = [(l, g) for l in range(1, c.layers + 1) for g in range(c.groups(l))]
        raw = []
        for k in range(len(words) + 1):
            if k < len(words):
                d.count_layer.value, d.count_addr.value = words[k][0] - 1, words[k][1]
            if k > 0:
                raw.append(int(d.count_data.value))
            await FallingEdge(d.clk)
        return [count_words_to_counts(c, l, [w for (k, _), w in zip(words, raw) if k == l]) for l in range(1, c.layers + 1)]


def compare(config: SnnConfig, expected, observed: dict, monitor_layers) -> dict:
    """The checker: per-layer mismatched neurons (counts) and spikes (trains), the first divergence."""
    mismatched = []
    for l in range(1, config.layers + 1):
        mismatched.append(int(np.sum(expected.counts[l] != observed["counts"][l - 1])))
    train_errors = {}
    trains = [None] * (config.layers + 1)
    for l in monitor_layers:
        trains[l] = observed["trains"][l]
        train_errors[l] = int(np.sum(expected.spikes[l] != trains[l]))
        if l >= 1 and not np.array_equal(trains[l].sum(axis=0), observed["counts"][l - 1]):
            train_errors[l] = max(train_errors[l], 1)
    div = first_divergence(expected.spikes, trains)
    first = None
    if div is not None:
        first = {"layer": div.layer, "neuron": div.neuron, "step": div.step,
                 "text": f"the RTL's spike trains differ from the golden model's: {div}"}
    elif any(mismatched):
        l = next(i for i, n in enumerate(mismatched, start=1) if n)
        j = int(np.flatnonzero(expected.counts[l] != observed["counts"][l - 1])[0])
        first = {"layer": l, "neuron": j, "step": None,
                 "text": f"the RTL's counts of layer {l} differ from the golden model's at neuron {j} (trains not monitored)"}
    return {
        "mismatched_neurons": mismatched,
        "mismatched_spikes": {str(l): n for l, n in train_errors.items()},
        "first_divergence": first,
        "ok": first is None and not any(train_errors.values()),
    }


def three_way(check: dict, expected, vec, observed: dict, image) -> None:
    """Add to ``check`` the first disagreement between the RTL, the golden model and the export's expected
    outputs (`verify.checker`); the RTL's own divergence from the golden model, if any, stays first."""
    sources = {
        "RTL": artefacts(observed["counts"], observed["trains"].get(len(observed["counts"])), image),
        "golden model": artefacts(expected.counts[1:], expected.spikes[-1], expected.image),
        "export": artefacts(vec.counts, vec.out_spikes, vec.image),
    }
    found = disagreement(sources)
    if found is not None:
        check["ok"] = False
        check["disagreement"] = found
        check["first_divergence"] = check["first_divergence"] or {k: found.get(k) for k in ("layer", "neuron", "step", "text")}


@cocotb.test()
async def generator_matches_golden(dut):
    """Every requested image: spike counts of every layer, the monitored spike trains and (with the sweep
    monitor) every membrane after every step equal the golden model's."""
    plan = read_plan()
    export, info = load_plan_export(plan)
    net, vectors, config = export.net, export.vectors, export.config
    monitor_layers = [int(l) for l in plan["monitor_layers"]]
    tb = GeneratorTB(dut, config, monitor_layers)
    sweep_log = SweepLog(plan["sweeps"]) if plan.get("sweeps") else None
    await tb.reset()

    images, arrays, failures = [], {}, []
    runtime = {}  # the vectors whose noise memory holds run-time noise: X
    reads_noise = not info.stored_trains or config.direct or info.design != "snn"  # whatever encode says
    for k, item in enumerate(plan["images"]):
        n, encode = int(item["vector"]), int(item["encode"])
        vec = vectors[n]
        if "noise" in item:
            runtime[n] = await tb.set_noise(n, item["noise"])
        x = runtime[n] if n in runtime and (encode or reads_noise) else vec.noise_x
        expected = run_noise(net, x, record_membranes=sweep_log is not None)  # the reference model
        budget = cycle_budget(config, expected.spikes, encode, info.design)
        start = time.perf_counter()
        limit = timeout_cycles(config, budget["serial_sum"])
        before = read_activity(dut, plan)
        try:
            observed = await tb.run_image(n, encode, timeout_cycles=limit)
        except SimTimeoutError:
            failures.append(f"vector {n} (encode={encode}): no done within {limit} cycles; the RTL hangs")
            break
        wall = time.perf_counter() - start
        check = compare(config, expected, observed, monitor_layers)
        for mon in tb.monitors.values():
            mon.pulses_match()
            if mon.errors:
                check["ok"] = False
                check.setdefault("monitor_errors", []).extend(mon.errors[:5])
                check["first_divergence"] = check["first_divergence"] or {"text": mon.errors[0]}
        image = output_image(config, observed["counts"][-1], observed["trains"].get(config.layers))
        if x is vec.noise_x:  # the export's expected outputs are of its own noise
            three_way(check, expected, vec, observed, image)
        sweep_ends = {}
        if sweep_log is not None:
            problem, sweep_ends = check_sweeps(config, expected, sweep_log.read_image(config.layers))
            if problem and check["ok"]:
                check["ok"] = False
                check["first_divergence"] = {"text": problem}
        activity = {k: v - before[k] for k, v in read_activity(dut, plan).items()}
        problem = slot_check(config, info.design, expected.spikes, activity) if activity else None
        if problem and check["ok"]:
            check["ok"] = False
            check["first_divergence"] = {"text": f"activity counters: {problem}"}
        if observed["cycles"] != observed["counted_cycles"] and check["ok"]:
            check["ok"] = False
            check["first_divergence"] = {"text": f"the RTL's cycle counter says {observed['cycles']}, the testbench "
                                                 f"counted {observed['counted_cycles']} clock cycles from start to done"}
        if observed["busy_cycles"] not in (None, observed["counted_cycles"]) and check["ok"]:
            check["ok"] = False
            check["first_divergence"] = {"text": f"busy was high in {observed['busy_cycles']} cycles of an image that "
                                                 f"ran {observed['counted_cycles']} (it must be high from start to done)"}
        images.append(
            {
                "vector": n,
                "encode": encode,
                "noise": next(iter(item["noise"])) if "noise" in item else None,  # run-time noise: load or seed
                "cycles": observed["cycles"],
                "cycle_budget": budget,
                "wall_s": wall,
                "mse_vs_golden": float(np.mean((image - expected.image) ** 2)),
                "sweep_ends": {str(l): ends for l, ends in sweep_ends.items()},
                "activity": activity,
                **check,
            }
        )
        for l, counts in enumerate(observed["counts"], start=1):
            arrays[f"image{k}_counts{l}"] = counts
        for l, trains in observed["trains"].items():
            arrays[f"image{k}_spikes{l}"] = trains
        if not check["ok"]:
            failures.append(f"vector {n} (encode={encode}): {check['first_divergence'] or check}")
        report_progress(plan, k + 1)
        dut._log.info(
            "vector %d encode=%d: %d cycles (lower bound %d), %.2f s, %s",
            n, encode, observed["cycles"], budget["lower_bound"], wall, "match" if check["ok"] else "MISMATCH",
        )
    np.savez_compressed(plan["observed"], **arrays)
    write_result(plan, {"images": images, "error": "; ".join(failures), "coverage": read_coverage(dut, plan)})
    assert not failures, "; ".join(failures)
