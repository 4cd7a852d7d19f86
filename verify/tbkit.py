"""Small helpers shared by the cocotb testbenches (they run inside the simulator)."""

from __future__ import annotations

from cocotb.triggers import FallingEdge

from hw.build import read_rtl_info
from hw.common import abits
from model.export import load_network, load_vectors
from model.snn_config import SnnConfig


def load_plan_network(plan: dict):
    """The exported network and test vectors of ``plan["manifest"]``, and how ``plan["rtl_dir"]`` was built.

    Returns ``(net, vectors, rtl_info, config)``; ``config`` is the RTL's (its lanes may differ from the export's).
    """
    net, _ = load_network(plan["manifest"])
    vectors = load_vectors(plan["manifest"])
    rtl = read_rtl_info(plan["rtl_dir"])
    return net, vectors, rtl, SnnConfig.from_dict(rtl["config"])


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
