"""The testbench's side of a run: the plan `verify.sim.run_testbench` wrote, the result it reads back, progress,
the export a plan names and the wrapper's coverage counters."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hw.build import RtlInfo, read_rtl_info
from model.common.jsonio import dumps
from model.snn.export import Export, load
from verify.sim import PLAN_ENV


def read_plan() -> dict:
    """The plan the runner wrote."""
    return json.loads(Path(os.environ[PLAN_ENV]).read_text())


def write_result(plan: dict, result: dict) -> None:
    """Store ``result`` where the runner expects it."""
    Path(plan["result"]).write_text(dumps(result))


def read_activity(dut, plan: dict) -> dict[str, int]:
    """The wrapper's activity counters named in ``plan["activity"]`` (`verify.coverage.counter_names`), by name."""
    return {name: int(getattr(dut, counter).value) for counter, name in plan.get("activity", {}).items()}


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
