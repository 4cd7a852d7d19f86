"""The wrapper's clock as the testbenches see it: inputs are driven at falling edges and sampled once they have
settled (the values the next rising edge takes); cycles are numbered from the start of the simulation."""

from __future__ import annotations

from collections.abc import Callable

from cocotb.triggers import FallingEdge
from cocotb.utils import get_sim_time

from verify.wrapper import CLOCK_PERIOD_NS


def cycle() -> int:
    """The number of the clock cycle now: the falling edge ``k`` starts cycle ``k``, whose rising edge follows."""
    return int(get_sim_time("ns")) // CLOCK_PERIOD_NS


async def reset(dut, cycles: int = 3) -> None:
    """Hold the synchronous reset for ``cycles`` clocks; inputs are driven at falling edges."""
    dut.rst.value = 1
    for _ in range(cycles):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


async def wait_until(clk, done: Callable[[], bool], max_cycles: int) -> bool:
    """Wait until ``done()`` holds, asked at each falling edge (True), or ``max_cycles`` cycles (False).

    Called at a falling edge, it returns at one, where the caller may drive inputs again; ``done`` then
    sees every cycle sampled before it.
    """
    for _ in range(max_cycles):
        if done():
            return True
        await FallingEdge(clk)
    return done()
