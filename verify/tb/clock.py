"""The wrapper's clock as the testbenches see it: inputs are driven at falling edges, reset is synchronous."""

from __future__ import annotations

from cocotb.triggers import FallingEdge


async def reset(dut, cycles: int = 3) -> None:
    """Hold the synchronous reset for ``cycles`` clocks; inputs are driven at falling edges."""
    dut.rst.value = 1
    for _ in range(cycles):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
