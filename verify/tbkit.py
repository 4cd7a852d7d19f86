"""Helpers for the cocotb testbenches: they run inside the simulator, started by `verify.sim.run_testbench`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from cocotb.triggers import FallingEdge

from hw.build import RtlInfo, read_rtl_info
from hw.widths import abits
from model.common.jsonio import dumps
from model.snn.config import SnnConfig
from model.snn.export import Export, load
from model.snn.layout import unpack_lanes
from verify.sim import PLAN_ENV


def read_plan() -> dict:
    """The plan the runner wrote."""
    return json.loads(Path(os.environ[PLAN_ENV]).read_text())


def write_result(plan: dict, result: dict) -> None:
    """Store ``result`` where the runner expects it."""
    Path(plan["result"]).write_text(dumps(result))


def read_coverage(dut, plan: dict) -> dict[str, int]:
    """The wrapper's coverage counters named in ``plan["cover"]`` (`verify.coverage.counter_names`), by bin name."""
    return {name: int(getattr(dut, counter).value) for counter, name in plan.get("cover", {}).items()}


def report_progress(plan: dict, count: int) -> None:
    """Tell the runner how far it is (e.g. images done)."""
    Path(plan["progress"]).write_text(str(count))


def load_plan_export(plan: dict) -> tuple[Export, RtlInfo]:
    """The export of ``plan["manifest"]`` (the reference) at the lane count ``plan["rtl_dir"]`` was built with,
    and that build's `RtlInfo`. The RTL may come from another export: the checker then names where they differ."""
    info = read_rtl_info(plan["rtl_dir"])
    return load(plan["manifest"]).with_lanes(info.lanes), info


def count_words_to_counts(config: SnnConfig, layer: int, words) -> np.ndarray:
    """A layer's read-out words (one per group, ascending) to its ``N_l`` spike counts (lane ``p`` of word ``g``
    is neuron ``g * P + p``)."""
    lanes = unpack_lanes([int(w) for w in words], config.lanes, config.count_bits, signed=False)
    return lanes.reshape(-1)[: config.sizes[layer]]


async def reset(dut, cycles: int = 3) -> None:
    """Hold the synchronous reset for ``cycles`` clocks; inputs are driven at falling edges."""
    dut.rst.value = 1
    for _ in range(cycles):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


class EventCodec:
    """Packs/unpacks an event-stream payload of a layer of ``n`` neurons: ``{eos, index}``, index in the low bits."""

    def __init__(self, n: int):
        self.bits = abits(n)

    def pack(self, index: int, eos: int) -> int:
        return (int(eos) << self.bits) | int(index)

    def unpack(self, value: int) -> tuple[int, int]:
        return value & ((1 << self.bits) - 1), value >> self.bits
